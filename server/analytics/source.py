"""Reads a licensee's accepted events from the log, in log order, for the analytics.

Only the kinds that move weight or name a strain are read (:data:`KINDS`), and the corrections
(a correction of any other kind is skipped by the ledger). Each body is the canonical JSON of
the envelope as accepted, parsed back with the shared schema. Rejected events are left out: a
refused record moved nothing.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from schemas.events import EventEnvelope
from server.analytics.balance import HarvestLedger
from server.analytics.projection import PlantLife, PlantTracker
from server.analytics.signals import Licensee
from server.analytics.tables import LOG as L

KINDS = (
    "plant_batch.created",
    "plants.tagged",
    "plants.phase_changed",
    "plant.destroyed",
    "plant.harvested",
    "waste.recorded",
    "harvest_batch.weighed",
    "package.created",
    "record.corrected",
)
_PAGE = 5000  # rows per read: memory stays bounded on a licensee with millions of events


def accepted_events(conn: sa.Connection, licence: str) -> Iterator[EventEnvelope]:
    """``licence``'s accepted events of :data:`KINDS`, oldest first, read page by page by
    log position (keyset: each page starts after the last position read)."""
    after = 0
    while True:
        rows = conn.execute(
            sa.select(L.c.position, L.c.body)
            .where(
                L.c.licence == licence,
                L.c.outcome == "accepted",
                L.c.kind.in_(KINDS),
                L.c.position > after,
            )
            .order_by(L.c.position)
            .limit(_PAGE)
        ).all()
        for row in rows:
            yield EventEnvelope.model_validate_json(row.body)
        if len(rows) < _PAGE:
            return
        after = rows[-1].position


@dataclass(frozen=True, slots=True)
class Record:
    """What the analytics take from one licensee's record: its harvest balances and scale
    resolution (the signals'), and its plants' lives (the projection's)."""

    licensee: Licensee
    plants: list[PlantLife]


def read(conn: sa.Connection, licence: str) -> Record:
    """``licence``'s :class:`Record`, from its accepted events in one pass."""
    ledger = HarvestLedger(licence)
    tracker = PlantTracker()
    for event in accepted_events(conn, licence):
        ledger.feed(event)
        tracker.feed(event)
    balances = Licensee(licence, ledger.balances(), ledger.fractional_readings > 0)
    return Record(balances, list(tracker.plants.values()))


def licensee(conn: sa.Connection, licence: str) -> Licensee:
    """``licence``'s harvest balances and scale resolution, from its accepted events."""
    return read(conn, licence).licensee
