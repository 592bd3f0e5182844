"""Multi-row writes as one statement on PostgreSQL: ``INSERT ... SELECT FROM unnest`` and
``UPDATE ... FROM unnest``.

psycopg's ``executemany`` in pipeline mode costs one round trip, but the server still runs one
statement per row (~0.1 ms each here: a batch's thousand tag rows took 0.1 s). With one array
per column, ``unnest`` turns the rows into one statement the server runs once.

:class:`BulkInsert` and :class:`BulkUpdate` name such a write; :func:`server.db.pipelined.run`
sends it as one statement on PostgreSQL, and as its Core statement (:attr:`statement`) with
``executemany`` elsewhere. An UPDATE names its rows by key columns, given as ``k_<column>``
parameters (the other parameters are the columns it sets, to absolute values). When one key
appears twice in the same write, the last row wins, as it would row by row: ``UPDATE ...
FROM`` would otherwise apply an arbitrary one.

A column of short strings travels as one text parameter, an array literal written here
(:func:`array_literal`: C string operations, parsed by PostgreSQL in C); any other column
(long text, NULLs, numbers, times) as a binary list psycopg dumps. Failure modes: as a
row-by-row write (a constraint violated or a value too long for a column raises; the
caller's transaction rolls back); text holding a NUL character is refused by PostgreSQL,
as it would be row by row.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

Params = dict[str, Any]


class BulkInsert:
    """Rows inserted into ``table``."""

    def __init__(self, table: sa.Table) -> None:
        self.table = table
        self.statement: sa.Executable = table.insert()


class BulkUpdate:
    """Rows of ``table`` named by ``keys`` (given as ``k_<column>``), set to new values."""

    def __init__(self, table: sa.Table, *keys: str) -> None:
        self.table = table
        self.keys = keys
        self.statement: sa.Executable = table.update().where(
            *(table.c[k] == sa.bindparam(f"k_{k}") for k in keys)
        )


Bulk = BulkInsert | BulkUpdate


@dataclass(frozen=True, slots=True)
class Prepared:
    """A bulk write's SQL for one set of parameter names, and how to bind each array.

    ``sql`` maps, per parameter, whether its array travels as text (an array literal this
    module writes) or binary (a list psycopg dumps) to the statement's SQL."""

    names: tuple[str, ...]
    binds: tuple[Callable[[Any], Any] | None, ...]
    sql: Callable[[tuple[bool, ...]], str]

    def statement(self, rows: Sequence[Params], keys: int) -> tuple[str, Params]:
        """The SQL and its parameters: one array per parameter; for an UPDATE (``keys`` > 0
        key parameters first), the last row of each key only."""
        if keys:
            last = {tuple(row[n] for n in self.names[:keys]): row for row in rows}
            rows = list(last.values())
        out: Params = {}
        texts: list[bool] = []
        for name, bind in zip(self.names, self.binds, strict=True):
            values = [row[name] for row in rows]
            if bind is not None:
                values = [None if v is None else bind(v) for v in values]
            literal = array_literal(values)
            texts.append(literal is not None)
            out[name] = values if literal is None else literal
        return self.sql(tuple(texts)), out


# Characters per value above which a text column travels binary: escaping copies the text,
# and a binary text element is sent as it is. Measured per 100 values (psycopg's binary dump
# against the literal): tag UIDs 20 against 5 us; JSON bodies of ~640 characters 25 against
# 97 us; times 22 against 108 us and integers 22 against 14 us, so those stay binary.
LONG_TEXT = 64


def array_literal(values: Sequence[Any]) -> str | None:
    """``values``, short strings, as PostgreSQL's array literal (``{"a","b\\"c"}``: each
    quoted, backslash and double quote escaped); None for anything else (a NULL, another
    type, long text), which psycopg dumps as a binary list.

    Why: psycopg dumps a list element by element in Python, and a batch's short-text columns
    (a roll of a thousand tag UIDs, licences, station ids, kinds) made that one of the
    ingest's larger costs; ``join`` and ``replace`` run in C, and PostgreSQL parses the
    literal in C."""
    try:
        # Joined by NUL (which PostgreSQL's text cannot hold, so a value with one is left to
        # psycopg, and PostgreSQL refuses it), escaped, NUL made the separator.
        joined = "\x00".join(values)
    except TypeError:  # not all strings
        return None
    if not values or len(joined) > LONG_TEXT * len(values):
        return None
    if joined.count("\x00") != len(values) - 1:
        return None
    escaped = joined.replace("\\", "\\\\").replace('"', '\\"')
    return '{"' + escaped.replace("\x00", '","') + '"}'


_PREPARED: dict[tuple[int, frozenset[str]], Prepared] = {}


def prepare(write: Bulk, names: frozenset[str], dialect: sa.Dialect) -> Prepared:
    """The SQL of ``write`` for rows with parameters ``names`` (cached)."""
    cache_key = (id(write), names)
    found = _PREPARED.get(cache_key)
    if found is not None:
        return found
    quote = dialect.identifier_preparer.quote
    table = write.table
    keys = [f"k_{k}" for k in write.keys] if isinstance(write, BulkUpdate) else []
    ordered = (*keys, *sorted(names - set(keys)))
    columns = [table.c[n.removeprefix("k_") if n in keys else n] for n in ordered]
    types = [c.type.compile(dialect=dialect) for c in columns]
    name = quote(table.name)
    aliases = ", ".join(quote(n) for n in ordered)
    sqls: dict[tuple[bool, ...], str] = {}

    def sql(texts: tuple[bool, ...]) -> str:
        found = sqls.get(texts)
        if found is not None:
            return found
        # A text parameter is an array literal; a binary one a list psycopg dumps (never
        # as text: psycopg escapes each element of a text array with a regular expression).
        arrays = ", ".join(
            f"CAST(%({n}){'s' if text else 'b'} AS {t}[])"
            for n, t, text in zip(ordered, types, texts, strict=True)
        )
        if isinstance(write, BulkInsert):
            # In the rows' order: the log's positions follow it.
            targets = ", ".join(quote(c.name) for c in columns)
            found = (
                f"INSERT INTO {name} ({targets}) SELECT {aliases} FROM unnest({arrays}) "
                f"WITH ORDINALITY AS v({aliases}, row_number) ORDER BY row_number"
            )
        else:
            sets = ", ".join(
                f"{quote(c.name)} = v.{quote(n)}"
                for n, c in zip(ordered, columns, strict=True)
                if n not in keys
            )
            where = " AND ".join(f"{name}.{quote(k)} = v.{quote(f'k_{k}')}" for k in write.keys)
            found = f"UPDATE {name} SET {sets} FROM unnest({arrays}) AS v({aliases}) WHERE {where}"
        sqls[texts] = found
        return found

    binds = tuple(c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns)
    found = Prepared(ordered, binds, sql)
    _PREPARED[cache_key] = found
    return found
