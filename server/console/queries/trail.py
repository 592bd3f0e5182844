"""The audit trail of one item: every event that touched it, oldest first, each correction
shown beside the event it corrects (NO-FALSIFICATION: the original stays as it was).

An item is named by its identifier: a plant or package UID, a batch ID, a harvest batch name,
a manifest ID or a user ID. An event touched it when its stored body (the canonical JSON of
the envelope) names it as a JSON string (``"1A4F..."``), or, for a UID, when a received roll
(``tags.received`` with ``first`` and ``last``) covers it. A correction of such an event
belongs to the trail even when it does not name the item. Rejected events are listed too: an
attempt is part of the record.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.events import tag_range
from server.console.queries.feed import JURISDICTION, FeedRow, row_from_log
from server.db.core import table_of
from server.db.tables import EventLog

L = table_of(EventLog)
MAX_EVENTS = 2000
_CHUNK = 200  # event ids per correction lookup


@dataclass(frozen=True, slots=True)
class TrailEntry:
    event: FeedRow
    corrections: list[FeedRow] = field(default_factory=list)


def _like(text: str) -> str:
    """``%text%`` for LIKE with ``\\`` as the escape character."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _roll_covers(body: str, item: str) -> bool:
    payload = json.loads(body).get("payload", {})
    first, last = payload.get("first"), payload.get("last")
    if not isinstance(first, str) or not isinstance(last, str) or len(item) != len(first):
        return False
    try:
        return item in tag_range(first, last)
    except ValueError:
        return False


def entries(engine: Engine, licences: Sequence[str], item: str) -> list[TrailEntry]:
    """Every event of ``licences`` that touched ``item``, with its corrections beside it."""
    lic = L.c.licence.in_(list(licences))
    named = sa.select(L, JURISDICTION).where(
        lic, L.c.body.like(_like(json.dumps(item)), escape="\\")
    )
    rolls = sa.select(L, JURISDICTION).where(
        lic, L.c.kind == "tags.received", L.c.body.like('%"first":"%')
    )
    with engine.connect() as conn:
        rows = {r.position: row_from_log(r) for r in conn.execute(named.limit(MAX_EVENTS))}
        for r in conn.execute(rolls):
            if r.position not in rows and _roll_covers(r.body, item):
                rows[r.position] = row_from_log(r)
        ids = [row.event_id for row in rows.values()]
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            found = conn.execute(
                sa.select(L, JURISDICTION).where(
                    lic,
                    L.c.kind == "record.corrected",
                    sa.or_(
                        *[L.c.body.like(_like(f'"corrects":"{i}"'), escape="\\") for i in chunk]
                    ),
                )
            )
            for r in found:
                rows.setdefault(r.position, row_from_log(r))
    return pair(sorted(rows.values(), key=lambda e: e.position))


def pair(events: list[FeedRow]) -> list[TrailEntry]:
    """Put each correction beside the event it corrects (events in log order)."""
    entries: dict[str, TrailEntry] = {}
    trail_: list[TrailEntry] = []
    for event in events:
        if event.corrects is not None and event.corrects in entries:
            entries[event.corrects].corrections.append(event)
            continue
        entry = TrailEntry(event)
        entries[event.event_id] = entry
        trail_.append(entry)
    return trail_
