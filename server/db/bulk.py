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
    """A bulk write's SQL for one set of parameter names, and how to bind each array."""

    sql: str
    names: tuple[str, ...]
    binds: tuple[Callable[[Any], Any] | None, ...]

    def params(self, rows: Sequence[Params], keys: int) -> Params:
        """One array per parameter; for an UPDATE (``keys`` > 0 key parameters first), the
        last row of each key only."""
        if keys:
            last = {tuple(row[n] for n in self.names[:keys]): row for row in rows}
            rows = list(last.values())
        out: Params = {}
        for name, bind in zip(self.names, self.binds, strict=True):
            values = [row[name] for row in rows]
            if bind is not None:
                values = [None if v is None else bind(v) for v in values]
            out[name] = values
        return out


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
    # Binary parameters: psycopg writes a text array by escaping every element with a regular
    # expression, which cost more than the server's work for a batch's JSON bodies.
    arrays = ", ".join(
        f"CAST(%({n})b AS {c.type.compile(dialect=dialect)}[])"
        for n, c in zip(ordered, columns, strict=True)
    )
    name = quote(table.name)
    aliases = ", ".join(quote(n) for n in ordered)
    if isinstance(write, BulkInsert):
        # In the rows' order: the log's positions follow it.
        targets = ", ".join(quote(c.name) for c in columns)
        sql = (
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
        sql = f"UPDATE {name} SET {sets} FROM unnest({arrays}) AS v({aliases}) WHERE {where}"
    binds = tuple(c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns)
    found = Prepared(sql, ordered, binds)
    _PREPARED[cache_key] = found
    return found
