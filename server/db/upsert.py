"""One row by its key: inserted if missing, else updated."""

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
    where = sa.and_(*(table.c[name] == value for name, value in key.items()))
    found = conn.execute(sa.select(sa.literal(1)).select_from(table).where(where)).first()
    if found is None:
        conn.execute(table.insert().values({**key, **values, **(inserting or {})}))
    else:
        conn.execute(table.update().where(where).values(values))
