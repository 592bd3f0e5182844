"""Rebuild the projections from the event log, and compare.

The log is the legal record; projections are a cache of it. :func:`rebuild` empties the
projection tables and replays every accepted event in log order, in one transaction.
:func:`verify` does the same and reports every row that differs from what was there before;
with ``keep=False`` it rolls back, leaving the database as it was (``seedtrace db rebuild
--check``).
"""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from schemas.events import EventEnvelope
from server.db.tables import PROJECTION_TABLES, EventLog
from server.store import projections

L = EventLog.__table__  # type: ignore[attr-defined]


def _tables() -> list[sa.Table]:
    return [SQLModel.metadata.tables[name] for name in PROJECTION_TABLES]


def snapshot(conn: sa.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every projection row, sorted, per table."""
    out = {}
    for table in _tables():
        rows = conn.execute(sa.select(table)).all()
        out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def replay(conn: sa.Connection) -> int:
    """Empty the projections and apply every accepted event again; returns the count."""
    for table in reversed(_tables()):
        conn.execute(table.delete())
    count = 0
    rows = conn.execute(
        sa.select(L.c.position, L.c.body).where(L.c.outcome == "accepted").order_by(L.c.position)
    )
    for position, body in rows:
        projections.apply(conn, EventEnvelope.model_validate_json(body), position)
        count += 1
    return count


def differences(
    before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]
) -> list[str]:
    found = []
    for name in before:
        old, new = set(before[name]), set(after[name])
        found += [f"{name}: only before rebuild: {row}" for row in sorted(old - new, key=repr)]
        found += [f"{name}: only after rebuild: {row}" for row in sorted(new - old, key=repr)]
    return found


def verify(engine: Engine, *, keep: bool) -> tuple[int, list[str]]:
    """Rebuild and compare; commit the rebuild only when ``keep``. Returns (events replayed,
    differences)."""
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            before = snapshot(conn)
            count = replay(conn)
            diff = differences(before, snapshot(conn))
        except BaseException:
            transaction.rollback()
            raise
        if keep:
            transaction.commit()
        else:
            transaction.rollback()
    return count, diff
