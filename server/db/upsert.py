"""Rows by their key (column name to value): updated, or upserted (inserted if missing)."""

from typing import Any

import sqlalchemy as sa


def upsert(
    conn: sa.Connection,
    table: sa.Table,
    key: dict[str, Any],
    values: dict[str, Any],
    *,
    inserting: dict[str, Any] | None = None,
) -> None:
    """Set ``values`` on the row of ``table`` whose columns equal ``key``; a missing row is
    inserted with ``key``, ``values`` and ``inserting`` (columns set only when the row is new).

    A read then a write, not ON CONFLICT: safe only while the caller holds the lock of the
    licensee the row belongs to (the ingest transaction does), so no other writer can insert
    the same key in between; else the insert fails on the key and rolls back the transaction.
    """
    where = _matching(table, key)
    found = conn.execute(sa.select(sa.literal(1)).select_from(table).where(where)).first()
    if found is None:
        conn.execute(table.insert().values({**key, **values, **(inserting or {})}))
    else:
        conn.execute(table.update().where(where).values(values))


def update(
    conn: sa.Connection, table: sa.Table, key: dict[str, Any], values: dict[str, Any]
) -> None:
    """Set ``values`` (column name to value or SQL expression) on the rows of ``table`` whose
    columns equal ``key``; no row matching is no error."""
    conn.execute(table.update().where(_matching(table, key)).values(values))


def _matching(table: sa.Table, key: dict[str, Any]) -> sa.ColumnElement[bool]:
    return sa.and_(*(table.c[name] == value for name, value in key.items()))
