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
process, where a "round trip" is a function call) it simply executes them in order.

A statement given a list of parameter sets runs as ``executemany``; a
:class:`~server.db.bulk.BulkInsert` or :class:`~server.db.bulk.BulkUpdate` given one runs as
one statement over arrays on PostgreSQL (:mod:`server.db.bulk`). Statements with expanding
``IN`` parameters cannot be compiled ahead; on PostgreSQL use ``= ANY(array)`` instead.
"""

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
    found = _Compiled(compiled, binds, results)
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
    return tuple(
        value if process is None or value is None else process(value)
        for process, value in zip(compiled.results, row, strict=True)
    )


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
        out: list[list[tuple[Any, ...]]] = []
        for step in steps:
            result = conn.execute(step.core, step.params)
            out.append([tuple(r) for r in result] if step.rows else [])
        return out
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
                cursor.execute(bulk.sql, bulk.params(rows, keys))
                cursors.append((cursor, step))
                continue
            compiled = _compile(step.core, frozenset(rows[0]), conn.dialect)
            if many:
                cursor.executemany(
                    compiled.sql, [_bound(compiled, r) for r in rows], returning=step.rows
                )
            else:
                cursor.execute(compiled.sql, _bound(compiled, rows[0]))
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
