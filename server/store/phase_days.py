"""Live plants per phase at the end of each of a licensee's local days (``plant_phase_days``),
kept with the projections for the console's phase chart.

The counts are the ones the current state gives: ``immature`` is the untagged items of the
licensee's batches that are plants (a batch's ``untagged_count - unsprouted_count``),
``vegetative`` and ``flowering`` its tagged plants in that phase. A row of day ``D`` holds them
at the end of ``D`` in the licensee's zone (``licensees.timezone``, which never changes) for
every event dated on or before ``D``; a day without a row has the counts of the latest row
before it. So an event dated ``D`` (a late one too) creates ``D``'s row from the row before it
if it is missing, then adds its change to every row from ``D`` on: one row per day written,
and more only for an event dated before the licensee's latest day.

:func:`change` says what an accepted event changes, from the state before it is applied (a
:class:`Floor`). Three writers use it:

- the ingest's floor kinds are applied in memory (:mod:`server.store.overlay`): their changes
  are summed per day in :class:`Pending` and written with the batch's other writes;
- every other path (:func:`server.store.projections.apply`: the ingest's other kinds, a
  rebuild, a correction's replay of one licensee's log) calls :func:`record`, which reads the
  state from the database before the projection changes it;
- a log that predates the table is counted once, in memory (:mod:`.phase_days_fill`,
  migration 0019).

Additions commute, so the order in which the days of a batch are written does not matter, as
long as each missing row is created (from the rows already written) before the additions.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import sqlalchemy as sa

from schemas.clock import local_day
from schemas.events import (
    EventEnvelope,
    PlantBatchCreated,
    PlantDestroyed,
    PlantHarvested,
    PlantsGerminated,
    PlantsPhaseChanged,
    PlantsTagged,
)
from server.compliance.rules.cultivation import NOT_PLANTS_YET
from server.compliance.rules.state import BatchState, PlantState
from server.db.core import table_of
from server.db.tables import PlantPhaseDay
from server.store.state import DbState

D = table_of(PlantPhaseDay)
PHASES = ("immature", "vegetative", "flowering")
TAGGED = frozenset({"vegetative", "flowering"})  # the phases a tagged plant is counted in
COUNTED = (
    PlantBatchCreated,
    PlantsGerminated,
    PlantsTagged,
    PlantsPhaseChanged,
    PlantHarvested,
    PlantDestroyed,
)
Change = dict[str, int]  # phase -> plants gained (negative: lost)


class Floor(Protocol):
    """What :func:`change` reads: the part of a
    :class:`~server.compliance.rules.state.StateView` about batches and plants."""

    def batch(self, batch_id: str) -> BatchState | None: ...

    def plant(self, uid: str) -> PlantState | None: ...

    def plants(self, uids: Collection[str]) -> Mapping[str, PlantState]: ...


_EARLIER = D.alias("earlier")
_KEY = sa.and_(D.c.licence == sa.bindparam("k_licence"), D.c.day >= sa.bindparam("k_day"))


def _before(column: str) -> sa.ColumnElement[Any]:
    """The column of the licensee's latest row before the day, or 0."""
    latest = (
        sa.select(_EARLIER.c[column])
        .where(
            _EARLIER.c.licence == sa.bindparam("k_licence"),
            _EARLIER.c.day < sa.bindparam("k_day"),
        )
        .order_by(_EARLIER.c.day.desc())
        .limit(1)
        .scalar_subquery()
    )
    return sa.func.coalesce(latest, 0)


# The day's row, from the row before it, unless it exists (the licensee's lock is held).
CREATE = D.insert().from_select(
    ["licence", "day", *PHASES],
    sa.select(
        sa.bindparam("k_licence"),
        sa.bindparam("k_day", type_=sa.Date),
        *(_before(phase) for phase in PHASES),
    ).where(
        ~sa.exists().where(
            D.c.licence == sa.bindparam("k_licence"), D.c.day == sa.bindparam("k_day")
        )
    ),
)
ADD = D.update().where(_KEY).values({phase: D.c[phase] + sa.bindparam(phase) for phase in PHASES})


def change(view: Floor, event: EventEnvelope) -> Change | None:
    """What ``event`` changes in the counts, read from ``view`` before it is applied; None for
    a kind that changes none (such an event writes no row)."""
    p = event.payload
    if not isinstance(p, COUNTED):
        return None
    out = dict.fromkeys(PHASES, 0)
    if isinstance(p, PlantBatchCreated):
        out["immature"] = 0 if p.origin in NOT_PLANTS_YET else p.count
    elif isinstance(p, PlantsGerminated):
        out["immature"] = p.count
    elif isinstance(p, PlantsTagged):
        batch = view.batch(p.batch_id)
        if batch is not None:
            untagged = batch.untagged_count - len(p.uids)
            unsprouted = min(batch.unsprouted_count, untagged)
            out["immature"] = untagged - unsprouted - batch.untagged_plants
        out["vegetative"] = len(p.uids)
    elif isinstance(p, PlantsPhaseChanged):
        plants = view.plants(p.uids)
        for uid in dict.fromkeys(p.uids):  # a UID named twice moves once
            old = plants.get(uid)
            _count(out, None if old is None else old.phase, -1)
            _count(out, p.phase.value, 1)
    elif isinstance(p, PlantHarvested | PlantDestroyed) and p.uid is not None:
        _lose(view, p.uid, out)
    elif isinstance(p, PlantDestroyed) and p.batch_id is not None and p.count is not None:
        batch = view.batch(p.batch_id)
        if batch is not None:
            unsprouted = max(0, batch.unsprouted_count - p.count)
            out["immature"] = batch.untagged_count - p.count - unsprouted - batch.untagged_plants
    return out


def _count(out: Change, phase: str | None, n: int) -> None:
    if phase in TAGGED:
        out[phase] += n


def _lose(view: Floor, uid: str, out: Change) -> None:
    plant = view.plant(uid)
    _count(out, None if plant is None else plant.phase, -1)


def record(conn: sa.Connection, event: EventEnvelope) -> None:
    """Write ``event``'s change to its licensee's days, at once: call it before the event's
    projection changes the state it reads."""
    state = DbState(conn, event.licence)
    counted = change(state, event)
    if counted is None:
        return
    day = local_day(event.occurred_at, state.licence().timezone)
    params = {"k_licence": event.licence, "k_day": day}
    conn.execute(CREATE, params)
    conn.execute(ADD, {**params, **counted})


@dataclass(slots=True)
class Pending:
    """One licensee's changes not written yet, summed per day (the ingest's floor kinds)."""

    licence: str
    days: dict[date, Change] = field(default_factory=dict)

    def add(self, day: date, counted: Change) -> None:
        held = self.days.setdefault(day, dict.fromkeys(PHASES, 0))
        for phase, n in counted.items():
            held[phase] += n

    def writes(self) -> list[tuple[sa.Executable, dict[str, Any]]]:
        """The writes of what is held (missing rows first, oldest day first), each a
        statement and its parameters, and nothing held any more."""
        order = sorted(self.days)
        creates = [(CREATE, {"k_licence": self.licence, "k_day": day}) for day in order]
        adds = [(ADD, {"k_licence": self.licence, "k_day": d, **self.days[d]}) for d in order]
        self.days.clear()
        return [*creates, *adds]
