"""Filling ``plant_phase_days`` from a log that predates it, in one pass (migration 0019).

:func:`fill` reads the accepted events of the kinds that change the counts, in log order, each
corrected one with its replacement in place (:func:`server.store.rebuild.substitutions`), and
gives each to :func:`server.store.phase_days.change` on an in-memory :class:`_Floor` per
licensee (its batches and tagged plants, changed as the projections change them). The changes
are summed per licensee and local day, then written as each day's counts: the rows a rebuild
writes (``tests/server/test_migrations.py`` compares them). Memory: one entry per batch and per
tagged plant; time: one JSON parse per counted event. Raises on a body that is not a valid
envelope (the log was written by the ingest, which stores only valid ones).
"""

from collections.abc import Collection, Iterator
from dataclasses import replace
from datetime import date
from typing import Any

import sqlalchemy as sa

from schemas import events as ev
from schemas.clock import local_day
from server.compliance.rules.cultivation import NOT_PLANTS_YET
from server.compliance.rules.state import BatchState, PlantState
from server.db.core import table_of
from server.db.tables import EventLog, Licensee
from server.store.phase_days import COUNTED, PHASES, Change, D, change
from server.store.rebuild import substitutions

L, LIC = table_of(EventLog), table_of(Licensee)
KINDS = [model.model_fields["kind"].default for model in COUNTED]
CHUNK = 10_000  # rows read and written at a time


class _Floor:
    """One licensee's batches and tagged plants, as the projections keep them."""

    def __init__(self) -> None:
        self.batches: dict[str, BatchState] = {}
        self.tagged: dict[str, PlantState] = {}

    def batch(self, batch_id: str) -> BatchState | None:
        return self.batches.get(batch_id)

    def plant(self, uid: str) -> PlantState | None:
        return self.tagged.get(uid)

    def plants(self, uids: Collection[str]) -> dict[str, PlantState]:
        return {uid: self.tagged[uid] for uid in uids if uid in self.tagged}

    def apply(self, p: ev.Payload) -> None:
        if isinstance(p, ev.PlantBatchCreated):
            seeds = p.count if p.origin in NOT_PLANTS_YET else 0
            self.batches[p.batch_id] = BatchState(p.batch_id, p.strain, p.count, 0, seeds)
        elif isinstance(p, ev.PlantsGerminated) and p.batch_id in self.batches:
            b = self.batches[p.batch_id]
            self.batches[p.batch_id] = replace(b, unsprouted_count=b.unsprouted_count - p.count)
        elif isinstance(p, ev.PlantsTagged):
            batch, n = self.batches.get(p.batch_id), len(p.uids)
            if batch is not None:
                left = batch.untagged_count - n
                self.batches[p.batch_id] = replace(
                    batch,
                    untagged_count=left,
                    tagged_count=batch.tagged_count + n,
                    unsprouted_count=min(batch.unsprouted_count, left),
                )
            strain = "" if batch is None else batch.strain
            for uid in p.uids:
                self.tagged[uid] = PlantState(uid, p.batch_id, strain, "vegetative", None)
        elif isinstance(p, ev.PlantsPhaseChanged):
            self._phase(p.uids, p.phase.value)
        elif isinstance(p, ev.PlantHarvested):
            self._phase([p.uid], "harvested")
        elif isinstance(p, ev.PlantDestroyed) and p.uid is not None:
            self._phase([p.uid], "destroyed")
        elif isinstance(p, ev.PlantDestroyed) and p.count is not None:
            self._destroy_untagged(p.batch_id, p.count)

    def _destroy_untagged(self, batch_id: str | None, count: int) -> None:
        b = self.batches.get(batch_id) if batch_id is not None else None
        if b is not None:
            self.batches[b.batch_id] = replace(
                b,
                untagged_count=b.untagged_count - count,
                unsprouted_count=max(0, b.unsprouted_count - count),
            )

    def _phase(self, uids: Collection[str], phase: str) -> None:
        for uid in uids:
            if uid in self.tagged:
                self.tagged[uid] = replace(self.tagged[uid], phase=phase)


def _events(conn: sa.Connection) -> Iterator[tuple[str, ev.EventEnvelope]]:
    replacement, _ = substitutions(conn)
    query = (
        sa.select(L.c.licence, L.c.body)
        .where(L.c.outcome == "accepted", L.c.kind.in_(KINDS))
        .order_by(L.c.position)
    )
    for licence, body in conn.execute(query.execution_options(yield_per=CHUNK)):
        event = ev.EventEnvelope.model_validate_json(body)
        payload = replacement.get(event.event_id)
        if payload is not None:
            event = event.model_copy(update={"payload": payload})
        yield licence, event


def fill(conn: sa.Connection) -> int:
    """Write every licensee's days from its log (the table must be empty); returns the rows
    written."""
    zones: dict[str, str] = {
        lic: tz for lic, tz in conn.execute(sa.select(LIC.c.licence, LIC.c.timezone))
    }
    floors: dict[str, _Floor] = {}
    days: dict[tuple[str, date], Change] = {}
    for licence, event in _events(conn):
        floor = floors.setdefault(licence, _Floor())
        counted = change(floor, event)
        floor.apply(event.payload)
        if counted is not None:
            held = days.setdefault(
                (licence, local_day(event.occurred_at, zones[licence])), dict.fromkeys(PHASES, 0)
            )
            for phase, n in counted.items():
                held[phase] += n
    rows: list[dict[str, Any]] = []
    totals: dict[str, Change] = {}
    for licence, day in sorted(days):
        total = totals.setdefault(licence, dict.fromkeys(PHASES, 0))
        for phase, n in days[(licence, day)].items():
            total[phase] += n
        rows.append({"licence": licence, "day": day, **total})
    for start in range(0, len(rows), CHUNK):
        conn.execute(D.insert(), rows[start : start + CHUNK])
    return len(rows)
