"""The audit trail of one item: every event that touched it, oldest first, each correction
shown beside the event it corrects (NO-FALSIFICATION: the original stays as it was).

An item is named by its identifier: a plant or package UID, a batch ID, a harvest batch name,
a manifest ID, an audit ID, a user ID or an event ID. An event touched it when it names it
(the log's item index, :mod:`server.store.items`: a UID, batch, harvest batch, manifest,
audit, user or event ID anywhere in its payload, the user who recorded it, every UID of a
received roll) or is the event of that ID. A correction of such an event belongs to the trail
even when it does not name the item. Rejected events are listed too: an attempt is part of
the record.

Cost: index probes for the item's own rows (at most :data:`MAX_EVENTS`), one per licensee
viewed, and for the corrections of those, in their own licensees; nothing reads the rest of
the log.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from server.console.queries.feed import JURISDICTION, FeedRow, row_from_log
from server.db.among import among
from server.db.core import table_of
from server.db.tables import EventItem, EventLog

L = table_of(EventLog)
EI = table_of(EventItem)
MAX_EVENTS = 2000
_CHUNK = 200  # event ids per correction lookup
_LOG_ROW = sa.select(L, JURISDICTION)


@dataclass(frozen=True, slots=True)
class TrailEntry:
    event: FeedRow
    corrections: list[FeedRow] = field(default_factory=list)


def _naming(licences: list[str], items: sa.ColumnElement[bool]) -> sa.Select[tuple[object, ...]]:
    """The log rows of ``licences`` whose index rows match ``items``, each licensee's in log
    order (its chain's)."""
    on = sa.and_(EI.c.licence == L.c.licence, EI.c.chain_index == L.c.chain_index)
    return (
        _LOG_ROW.join(EI, on)
        .where(among(EI.c.licence, licences), items)
        .order_by(EI.c.licence, EI.c.chain_index)
    )


def entries(engine: Engine, licences: Sequence[str], item: str) -> list[TrailEntry]:
    """Every event of ``licences`` that touched ``item``, with its corrections beside it."""
    lics = list(licences)
    named = _naming(lics, EI.c.item == item).limit(MAX_EVENTS)
    itself = _LOG_ROW.where(L.c.licence.in_(lics), L.c.event_id == item)
    with engine.connect() as conn:
        rows = {r.position: row_from_log(r) for r in conn.execute(named)}
        for r in conn.execute(itself):
            rows.setdefault(r.position, row_from_log(r))
        ids = [row.event_id for row in rows.values()]
        # Corrections are sought in the licensees of the events found, not in every licensee
        # viewed (a regulator's 500: 100,000 index probes per chunk of 200): a correction of
        # another licensee's event is refused (NO-FALSIFICATION) and shows only where it
        # names the item itself.
        own = sorted({row.licence for row in rows.values()})
        for start in range(0, len(ids), _CHUNK):
            chunk = set(ids[start : start + _CHUNK])
            found = conn.execute(
                _naming(own, EI.c.item.in_(sorted(chunk))).where(L.c.kind == "record.corrected")
            )
            for r in found:
                row = row_from_log(r)
                if row.corrects in chunk:  # named as the event it corrects, not otherwise
                    rows.setdefault(row.position, row)
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
