"""The state calls made for one event (docs/sync.md), as the API and the console both list
them: every row of ``sync_calls`` for the event, in the order they were planned.

The raw columns are given as stored (``state_ids`` and ``request`` are JSON text, the state's
``response`` as it sent it: SECONDARY-SYNC); each surface decodes what it shows.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from server.db.core_tables import SYNC_CALLS as CALLS


def event_calls(conn: sa.Connection, licence: str, event_id: str) -> Sequence[sa.RowMapping]:
    """The calls of ``licence``'s event ``event_id`` by ``call_index``; none for an event
    that had none (or that is not the licensee's)."""
    return (
        conn.execute(
            sa.select(CALLS)
            .where(CALLS.c.licence == licence, CALLS.c.event_id == event_id)
            .order_by(CALLS.c.call_index)
        )
        .mappings()
        .all()
    )
