"""Run several Core statements in one round trip: psycopg's pipeline mode on PostgreSQL.

The ingest decides a batch with a handful of independent reads (the licensees' locks, the
log, held events, stations, the rows its events name) and, at its end, a handful of
independent multi-row writes. One at a time, each costs a round trip (~150 us here) plus
SQLAlchemy's per-execution work; :func:`run` sends them all and waits once.

On PostgreSQL it compiles each statement once per set of parameter names (cached, as the
statements are module constants), converts parameters and results with the column types'
own processors (:class:`~server.db.types.UtcDateTime`, :class:`~server.db.types.ExactDecimal`),
and executes them through psycopg in one pipeline; an error in any statement raises (as the
psycopg error, which the caller's transaction then rolls back). Elsewhere (SQLite, in
process, where a "round trip" is a function call) it executes them in order, each compiled
once and sent to the sqlite3 cursor itself when it can (:func:`_run_local`).

A statement given a list of parameter sets runs as ``executemany``; a
:class:`~server.db.bulk.BulkInsert` or :class:`~server.db.bulk.BulkUpdate` given one runs as
one statement over arrays on PostgreSQL (:mod:`server.db.bulk`). Statements with expanding
``IN`` parameters cannot be compiled ahead; on PostgreSQL use ``= ANY(array)`` instead.

**Plans.** psycopg prepares a statement on the server after its fifth execution, and
PostgreSQL then settles on a *generic* plan, made once for any parameter values and kept for
the session. For a statement that joins an array of keys to a table (the bulk writes' ``FROM
unnest``, the prefetch reads, :attr:`Step.custom_plan`) that is wrong twice over: the generic
plan guesses the array's length, and it was made when the table was small. Measured
(``docs/performance.md``, 2026-12-05 evening): the ``plants`` UPDATE of a single harvest kept a
hash join over a sequential scan of all ~10,000 plants, made during the first batches, 1.4-2.5
ms for one row instead of ~0.05 ms. Those statements are therefore never prepared: each
execution is planned for its own array (PostgreSQL reads a constant array's length) and the
table's current size, ~0.1 ms of planning each.
"""

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from server.db.bulk import Bulk, BulkInsert, BulkUpdate, prepare

Params = dict[str, Any]
Match = Callable[[sa.ColumnElement[str], str], sa.ColumnElement[bool]]


def any_of(column: sa.ColumnElement[str], name: str) -> sa.ColumnElement[bool]:
    """``column = ANY(:name)``, an array parameter: for PostgreSQL (compiled ahead, and the
    plan does not depend on how many values there are)."""
    return column == sa.any_(sa.bindparam(name, type_=postgresql.ARRAY(sa.String)))


def in_list(column: sa.ColumnElement[str], name: str) -> sa.ColumnElement[bool]:
    """``column IN (:name...)``: for SQLite, which has no arrays."""
    return column.in_(sa.bindparam(name, expanding=True))


MATCH: dict[str, Match] = {"postgresql": any_of, "sqlite": in_list}


@dataclass(frozen=True, slots=True)
class Step:
    """One statement and its parameters (a list: ``executemany``). ``rows``: return its
    result rows (a SELECT, or a statement with RETURNING)."""

    statement: sa.Executable | Bulk
    params: Params | list[Params]
    rows: bool = False
    # PostgreSQL: plan this execution for its own parameters, never a prepared statement's
    # generic plan (a join to an array of keys: see the module's docstring, "Plans").
    custom_plan: bool = False

    @property
    def core(self) -> sa.Executable:
        """The Core statement (a bulk write's row-by-row form)."""
        if isinstance(self.statement, BulkInsert | BulkUpdate):
            return self.statement.statement
        return self.statement


@dataclass(frozen=True, slots=True)
class _Compiled:
    compiled: sa.sql.compiler.SQLCompiler
    binds: dict[str, Callable[[Any], Any] | None]
    results: list[Callable[[Any], Any] | None]
    # The result columns that have a processor, by index: most have none, and a call per
    # value cost more than the rest of reading a wide row (a rebuild reads millions).
    processed: tuple[tuple[int, Callable[[Any], Any]], ...] = ()

    @property
    def sql(self) -> str:
        return self.compiled.string


_COMPILED: dict[tuple[int, str, frozenset[str]], _Compiled] = {}


def _compile(statement: sa.Executable, keys: frozenset[str], dialect: sa.Dialect) -> _Compiled:
    cache_key = (id(statement), dialect.name, keys)
    found = _COMPILED.get(cache_key)
    if found is not None:
        return found
    assert isinstance(statement, sa.ClauseElement)
    compiled = statement.compile(dialect=dialect, column_keys=sorted(keys))
    assert isinstance(compiled, sa.sql.compiler.SQLCompiler)
    binds: dict[str, Callable[[Any], Any] | None] = {
        name: bind.type.dialect_impl(dialect).bind_processor(dialect)
        for name, bind in compiled.binds.items()
    }
    results: list[Callable[[Any], Any] | None] = []
    if isinstance(statement, sa.Select | sa.Insert | sa.Update | sa.Delete):
        columns = (
            statement.selected_columns
            if isinstance(statement, sa.Select)
            else statement.exported_columns
        )
        results = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
    processed = tuple((i, p) for i, p in enumerate(results) if p is not None)
    found = _Compiled(compiled, binds, results, processed)
    # Module-level statements only: keeping them alive keeps their id() unique.
    _KEEP.append(statement)
    _COMPILED[cache_key] = found
    return found


_KEEP: list[sa.Executable] = []


def _bound(compiled: _Compiled, params: Params) -> Params:
    out = {}
    # construct_params adds the statement's own literal values to the caller's.
    for key, value in compiled.compiled.construct_params(params).items():
        process = compiled.binds.get(key)
        out[key] = value if process is None or value is None else process(value)
    return out


def _row(compiled: _Compiled, row: Sequence[Any]) -> tuple[Any, ...]:
    if not compiled.processed:
        return tuple(row)
    out = list(row)
    for i, process in compiled.processed:
        if out[i] is not None:
            out[i] = process(out[i])
    return tuple(out)


def run(
    conn: sa.Connection, steps: Sequence[Step], *, commit: bool = False
) -> list[list[tuple[Any, ...]]]:
    """Execute ``steps`` in order, in one round trip on PostgreSQL; returns each step's
    rows (empty for a step without ``rows``).

    ``commit``: on PostgreSQL, send the COMMIT in the same pipeline, after the steps (a
    single scan's writes and commit in one round trip instead of two); the caller's
    transaction then commits nothing more (psycopg is idle). Elsewhere the caller's commit
    does it. If any step fails, the COMMIT is not run and the error raises as usual."""
    if not steps:
        return []
    if conn.dialect.name != "postgresql":
        return [_run_local(conn, step) for step in steps]
    try:
        return _run_pipeline(conn, steps, commit)
    except psycopg.OperationalError as err:
        # As SQLAlchemy reports it for its own statements: the callers (the ingest worker)
        # treat an OperationalError as "the database is not there right now" and retry. A
        # connection psycopg found broken is invalidated, so the pool does not hand it out.
        driver: Any = conn.connection.driver_connection
        if driver is None or driver.broken or driver.closed:
            conn.invalidate(err)
        raise sa.exc.OperationalError(None, None, err) from err


def _run_pipeline(
    conn: sa.Connection, steps: Sequence[Step], commit: bool
) -> list[list[tuple[Any, ...]]]:
    driver: Any = conn.connection.driver_connection
    cursors = []
    with driver.pipeline():
        for step in steps:
            many = isinstance(step.params, list)
            rows = step.params if isinstance(step.params, list) else [step.params]
            if not rows:
                cursors.append((None, step))
                continue
            cursor = driver.cursor()
            if many and not step.rows and isinstance(step.statement, BulkInsert | BulkUpdate):
                bulk = prepare(step.statement, frozenset(rows[0]), conn.dialect)
                keys = len(step.statement.keys) if isinstance(step.statement, BulkUpdate) else 0
                cursor.execute(*bulk.statement(rows, keys), prepare=False)  # "Plans", above
                cursors.append((cursor, step))
                continue
            compiled = _compile(step.core, frozenset(rows[0]), conn.dialect)
            if many:
                cursor.executemany(
                    compiled.sql, [_bound(compiled, r) for r in rows], returning=step.rows
                )
            else:
                prepared = False if step.custom_plan else None  # None: psycopg's default
                cursor.execute(compiled.sql, _bound(compiled, rows[0]), prepare=prepared)
            cursors.append((cursor, step))
        if commit:
            driver.commit()  # queued behind the steps; skipped by PostgreSQL if one failed
    results: list[list[tuple[Any, ...]]] = []
    for cursor, step in cursors:
        found: list[tuple[Any, ...]] = []
        if cursor is not None and step.rows:
            compiled = _compile(step.core, frozenset(_first(step.params)), conn.dialect)
            while True:
                found += [_row(compiled, r) for r in cursor.fetchall()]
                if not cursor.nextset():
                    break
        if cursor is not None:
            cursor.close()
        results.append(found)
    return results


def _first(params: Params | list[Params]) -> Params:
    return params[0] if isinstance(params, list) else params


# SQLite (in process) ----------------------------------------------------------------------


@dataclass(slots=True)
class _Local:
    """A statement's SQL for the DBAPI (``?`` placeholders) and how to turn one parameter
    set into its positional values: per placeholder, the parameter's name (``None``: a
    value fixed in the statement, ``fixed``), its type's bind processor, and whether it is
    an expanding ``IN`` list (one placeholder per element, so the SQL depends on the lists'
    lengths: kept per tuple of lengths in ``sqls``)."""

    template: str
    plan: tuple[tuple[str | None, Any, Callable[[Any], Any] | None, bool], ...]
    expanding: tuple[str, ...]
    results: list[Callable[[Any], Any] | None]
    sqls: dict[tuple[int, ...], str]

    def sql(self, params: Params) -> str | None:
        """The SQL for ``params``; None if an ``IN`` list is empty (SQLAlchemy renders an
        empty set its own way)."""
        lengths = tuple(len(params[name]) for name in self.expanding)
        found = self.sqls.get(lengths)
        if found is None:
            if 0 in lengths:
                return None
            found = self.template
            for name, n in zip(self.expanding, lengths, strict=True):
                found = found.replace(f"__[POSTCOMPILE_{name}]", ", ".join("?" * n))
            if len(self.sqls) >= 256:  # bounded: batches come in many sizes
                self.sqls.clear()
            self.sqls[lengths] = found
        return found

    def bind(self, params: Params) -> tuple[Any, ...]:
        out: list[Any] = []
        for name, fixed, process, expanding in self.plan:
            value = fixed if name is None else params[name]
            if expanding:
                out += value if process is None else [process(v) for v in value]
            else:
                out.append(value if process is None or value is None else process(value))
        return tuple(out)


_LOCAL: dict[tuple[int, frozenset[str]], _Local | None] = {}


def _local(statement: sa.Executable, keys: frozenset[str], dialect: sa.Dialect) -> _Local | None:
    """``statement`` compiled once for the SQLite driver, or None when it must run through
    SQLAlchemy: column defaults computed in Python, RETURNING (SQLAlchemy batches an
    ``executemany`` with RETURNING itself), values rendered into the SQL."""
    cache_key = (id(statement), keys)
    if cache_key in _LOCAL:
        return _LOCAL[cache_key]
    found: _Local | None = None
    compiled = _compile(statement, keys, dialect)
    c = compiled.compiled
    simple = (
        dialect.paramstyle == "qmark"
        and c.positiontup is not None
        and not c.literal_execute_params
        and all(p.expanding and p.key in keys for p in c.post_compile_params)
        and not c.insert_prefetch
        and not c.update_prefetch
        and not c.effective_returning
        and all(b.callable is None for b in c.binds.values())
    )
    if simple:
        assert c.positiontup is not None
        expanding = tuple(p.key for p in c.post_compile_params)
        plan = tuple(
            (
                name if name in keys else None,
                None if name in keys else c.binds[name].effective_value,
                compiled.binds.get(name),
                name in expanding,
            )
            for name in c.positiontup
        )
        found = _Local(c.string, plan, expanding, compiled.results, {})
    _LOCAL[cache_key] = found
    return found


def execute(cursor: Any, sql: str, params: tuple[Any, ...] | list[tuple[Any, ...]]) -> None:
    """One statement on the sqlite3 cursor; a list of parameter tuples: ``executemany``.
    (A function of its own so ``benchmarks/counted_server.py`` can count these calls.)"""
    if isinstance(params, list):
        cursor.executemany(sql, params)
    else:
        cursor.execute(sql, params)


def _run_local(conn: sa.Connection, step: Step) -> list[tuple[Any, ...]]:
    """One step on SQLite. A statement compiled once (:func:`_local`) goes straight to the
    sqlite3 cursor, its parameters converted by its types' bind processors: SQLAlchemy's own
    per-execution work (a context, a parameter dictionary per row) cost more than SQLite's
    for a batch's thousand rows (``docs/performance.md``). Anything else, and anything run
    outside a transaction, goes through SQLAlchemy. The driver's errors are raised as
    SQLAlchemy's, as SQLAlchemy would, so a locked database is still an OperationalError to
    the caller."""
    many = isinstance(step.params, list)
    if many and not step.params:
        return []
    first = _first(step.params)
    local = _local(step.core, frozenset(first), conn.dialect)
    sql = None if local is None else local.sql(first)
    # Outside a transaction SQLAlchemy begins one (BEGIN IMMEDIATE, server/db/engine.py) at
    # its first statement; the driver alone would run the statement in autocommit.
    direct = local is not None and sql is not None and conn.in_transaction()
    if local is None or sql is None or not direct or (many and local.expanding):
        result = conn.execute(step.core, step.params)
        return [tuple(r) for r in result] if step.rows else []
    driver: Any = conn.connection.driver_connection
    cursor = driver.cursor()
    try:
        if isinstance(step.params, list):
            execute(cursor, sql, [local.bind(p) for p in step.params])
            return []
        execute(cursor, sql, local.bind(step.params))
        if not step.rows:
            return []
        return [
            tuple(
                v if process is None or v is None else process(v)
                for process, v in zip(local.results, r, strict=True)
            )
            for r in cursor.fetchall()
        ]
    except sqlite3.Error as err:
        raise sa.exc.DBAPIError.instance(sql, step.params, err, sqlite3.Error) from err
    finally:
        cursor.close()
