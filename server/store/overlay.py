"""The state one ingest batch decides against: read once per batch, changed in memory, written
at the end with multi-row statements.

Round trips, not rows, are what an ingest batch costs (``docs/performance.md``). So a batch
does not read a plant, a tag or a harvest batch each time a rule asks; it:

1. **prefetches** (:mod:`server.store.prefetch`) every plant, tag, harvest batch,
   cultivation batch, user and location the batch's events name, one query per table for
   all its licensees (a key that does not exist is remembered as absent);
2. keeps one :class:`Overlay` per licensee, a :class:`~server.compliance.rules.state.StateView` that
   answers the rules from those rows, so event *k* of the batch sees the effect of events
   before it;
3. applies the accepted events of the **hot kinds** (:data:`HOT_KINDS`: the floor's tags,
   batches, plants and harvests, nearly all of the traffic) to the overlay in memory and
   queues their projection writes in :class:`Writes`, which gives them per table, in order,
   as ``executemany`` steps (one per run of equal statements) for
   :func:`server.db.pipelined.run` to send with the batch's other writes;
4. for every other kind (rare: transfers, records, corrections), first writes what is queued,
   then lets :mod:`server.store.projections` apply the event directly, and forgets what the
   overlay held for that licensee (the handler may have changed any of it).

A read the overlay cannot answer from memory (transfers, outages, the log itself) first writes
what is queued, then reads the database (:class:`~server.store.state.DbState`): the database
is then exactly the state after the previous event.

Every statement of the hot path is built once, here, at import, and compiled once; the
prefetch reads on PostgreSQL join ``unnest`` of the wanted keys to the primary key, planned
for each execution's keys (:mod:`server.db.pipelined`, "Plans").
"""

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar, cast

import sqlalchemy as sa

from schemas.clock import local_day
from schemas.events import (
    EventEnvelope,
    PlantBatchCreated,
    PlantHarvested,
    PlantsMoved,
    PlantsPhaseChanged,
    PlantsTagged,
    TagsReceived,
)
from server.compliance.rules.cultivation import NOT_PLANTS_YET
from server.compliance.rules.state import (
    BatchState,
    HarvestBatchState,
    InventoryLeft,
    LicenceState,
    LocationState,
    LoggedEvent,
    OutageState,
    PackageState,
    PlantState,
    TagState,
    TransferState,
    UserState,
)
from server.db.bulk import Bulk, BulkInsert, BulkUpdate
from server.db.core import table_of
from server.db.pipelined import Step
from server.db.tables import Batch, EventLog, HarvestBatch, Plant, Tag
from server.store import phase_days
from server.store.prefetch import SPECS, BatchRow, load
from server.store.projections import after_tagging
from server.store.state import DbState

B, P, T, H = table_of(Batch), table_of(Plant), table_of(Tag), table_of(HarvestBatch)
L = table_of(EventLog)
R = TypeVar("R")  # a row as the overlay holds it

HOT_KINDS = frozenset(
    {
        "tags.received",
        "plant_batch.created",
        "plants.tagged",
        "plants.phase_changed",
        "plants.moved",
        "plant.harvested",
    }
)


# --- writes ------------------------------------------------------------------------------


TAG_INSERT = BulkInsert(T)
TAG_ASSIGN = BulkUpdate(T, "licence", "uid")
# A batch's created_position is its event's log position: read in the statement, so the batch
# row is written in the same round trip as the log row.
BATCH_INSERT = B.insert().values(
    created_position=sa.select(L.c.position)
    .where(L.c.event_id == sa.bindparam("k_event_id"))
    .scalar_subquery()
)
_N = sa.bindparam("n", type_=sa.Integer)
BATCH_TAGGED = (
    B.update()
    .where(B.c.licence == sa.bindparam("k_licence"), B.c.batch_id == sa.bindparam("k_batch_id"))
    .values(
        untagged_count=B.c.untagged_count - _N,
        tagged_count=B.c.tagged_count + _N,
        unsprouted_count=after_tagging(B.c.untagged_count, B.c.unsprouted_count, _N),
    )
)
PLANT_INSERT = BulkInsert(P)
PLANT_UPDATE = BulkUpdate(P, "licence", "uid")
HARVEST_INSERT = BulkInsert(H)
HARVEST_UPDATE = BulkUpdate(H, "licence", "name")


class Writes:
    """Projection writes queued per table, each table's in the order queued. Projection
    tables have no foreign keys between them, so only the order within a table matters."""

    def __init__(self) -> None:
        self._tables: dict[str, list[tuple[sa.Executable | Bulk, dict[str, Any]]]] = {}

    def __bool__(self) -> bool:
        return bool(self._tables)

    def add(self, table: str, statement: sa.Executable | Bulk, params: dict[str, Any]) -> None:
        self._tables.setdefault(table, []).append((statement, params))

    def steps(self) -> list[Step]:
        """What is queued, as steps (each run of one statement: one ``executemany``), and
        the queue emptied."""
        out: list[Step] = []
        for ops in self._tables.values():
            start = 0
            while start < len(ops):
                statement, keys, end = ops[start][0], ops[start][1].keys(), start
                # One executemany needs one statement and one set of parameter names.
                while end < len(ops) and ops[end][0] is statement and ops[end][1].keys() == keys:
                    end += 1
                out.append(Step(statement, [params for _, params in ops[start:end]]))
                start = end
        self._tables.clear()
        return out


# --- the view ----------------------------------------------------------------------------


@dataclass(slots=True)
class _HarvestWrite:
    new: bool
    location: str | None = None
    first_harvest_at: datetime | None = None


@dataclass(slots=True)
class Overlay:
    """One licensee's state for the batch (a :class:`~server.compliance.rules.state.StateView`).

    ``flush`` writes everything the batch has queued so far (log rows first), so the database
    can answer what the overlay does not hold.
    """

    conn: sa.Connection
    licence_id: str
    writes: Writes
    flush: Callable[[], None]
    licence_state: LicenceState | None = None
    receiving: datetime | None = None  # when the event being decided was received
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    harvest_writes: dict[str, _HarvestWrite] = field(default_factory=dict)
    days: phase_days.Pending = field(init=False)
    zone: str | None = field(default=None, init=False)  # licensees.timezone: never changes

    def __post_init__(self) -> None:
        # Not forget(): the licence record the batch's read pipeline brought is kept.
        self.rows = {name: {} for name in SPECS}
        self.days = phase_days.Pending(self.licence_id)
        if self.licence_state is not None:
            self.zone = self.licence_state.timezone

    def forget(self) -> None:
        """Drop everything held: the database was changed behind the overlay's back."""
        self.rows = {name: {} for name in SPECS}
        self.licence_state = None

    def remember(
        self, table: str, loaded: Mapping[tuple[str, str], Any], keys: Iterable[str]
    ) -> None:
        held = self.rows[table]
        for key in keys:
            if key not in held:
                held[key] = loaded.get((self.licence_id, key))

    def _get(self, table: str, keys: Collection[str]) -> dict[str, Any]:
        held = self.rows[table]
        missing = [k for k in keys if k not in held]
        if missing:
            # Not prefetched, so no queued write touches it: the database has it right.
            loaded = load(self.conn, table, [(self.licence_id, k) for k in missing])
            self.remember(table, loaded, missing)
        return {k: v for k in keys if (v := held[k]) is not None}

    def _one(self, table: str, key: str, kind: type[R]) -> R | None:
        """:meth:`_get` of one key: the row (a ``kind``, as the table's spec makes it), or None
        (the rules ask for one at a time)."""
        held = self.rows[table]
        row = held[key] if key in held else self._get(table, [key]).get(key)
        return cast("R | None", row)

    def _db(self) -> DbState:
        self.flush()
        return DbState(self.conn, self.licence_id)

    # StateView ----------------------------------------------------------------------------

    def batch(self, batch_id: str) -> BatchState | None:
        row = self._one("batches", batch_id, BatchRow)
        if row is None:
            return None
        return BatchState(
            row.batch_id, row.strain, row.untagged_count, row.tagged_count, row.unsprouted_count
        )

    def plant(self, uid: str) -> PlantState | None:
        return self._one("plants", uid, PlantState)

    def tag(self, uid: str) -> TagState | None:
        return self._one("tags", uid, TagState)

    def harvest_batch(self, name: str) -> HarvestBatchState | None:
        return self._one("harvests", name, HarvestBatchState)

    def plants(self, uids: Collection[str]) -> dict[str, PlantState]:
        return self._get("plants", uids)

    def tags(self, uids: Collection[str]) -> dict[str, TagState]:
        return self._get("tags", uids)

    def harvest_batches(self, names: Collection[str]) -> dict[str, HarvestBatchState]:
        return self._get("harvests", names)

    def packages(self, uids: Collection[str]) -> Mapping[str, PackageState]:
        return self._db().packages(uids)

    def licence(self) -> LicenceState:
        if self.licence_state is None:
            self.licence_state = self._db().licence()
        return self.licence_state

    def user(self, user_id: str) -> UserState | None:
        return self._one("users", user_id, UserState)

    def location(self, name: str) -> LocationState | None:
        return self._one("locations", name, LocationState)

    def transfer(self, direction: str, manifest_id: str) -> TransferState | None:
        return self._db().transfer(direction, manifest_id)

    def outage(self, lost_event_id: str) -> OutageState | None:
        return self._db().outage(lost_event_id)

    def outages(self, at: datetime) -> list[OutageState]:
        return self._db().outages(at)

    def logged_event(self, event_id: str) -> LoggedEvent | None:
        return self._db().logged_event(event_id)

    def received_at(self) -> datetime | None:
        return self.receiving

    def inventory_left(self) -> InventoryLeft:
        return self._db().inventory_left()

    # hot projections ----------------------------------------------------------------------

    def apply(self, event: EventEnvelope) -> bool:
        """Apply an accepted event of a hot kind in memory and queue its writes; False (and
        nothing done) for any other kind."""
        if event.kind not in HOT_KINDS:
            return False
        counted = phase_days.change(self, event)  # before the rows below change
        if counted is not None:
            if self.zone is None:
                self.zone = self.licence().timezone
            self.days.add(local_day(event.occurred_at, self.zone), counted)
        p, lic, at = event.payload, self.licence_id, event.occurred_at
        if isinstance(p, TagsReceived):
            tag_type = p.tag_type.value  # a roll is up to 10,000 tags: read it once
            for uid in p.expand():
                self.rows["tags"][uid] = TagState(uid, tag_type, "available", None, None)
                self.writes.add(
                    "tags",
                    TAG_INSERT,
                    {
                        "licence": lic,
                        "uid": uid,
                        "tag_type": tag_type,
                        "status": "available",
                        "received_at": at,
                        "delivered_at": p.delivered_at,
                    },
                )
        elif isinstance(p, PlantBatchCreated):
            unsprouted = p.count if p.origin in NOT_PLANTS_YET else 0
            self.rows["batches"][p.batch_id] = BatchRow(
                p.batch_id, p.strain, p.location, p.count, 0, unsprouted
            )
            self.writes.add(
                "batches",
                BATCH_INSERT,
                {
                    "licence": lic,
                    "batch_id": p.batch_id,
                    "origin": p.origin.value,
                    "strain": p.strain,
                    "location": p.location,
                    "initial_count": p.count,
                    "untagged_count": p.count,
                    "tagged_count": 0,
                    "unsprouted_count": unsprouted,
                    "destroyed_count": 0,
                    "created_at": at,
                    "k_event_id": event.event_id,
                },
            )
        elif isinstance(p, PlantsTagged):
            self._tag(p, at)
        elif isinstance(p, PlantsPhaseChanged | PlantsMoved):
            values: dict[str, str] = {} if p.location is None else {"location": p.location}
            if isinstance(p, PlantsPhaseChanged):
                values["phase"] = p.phase.value
            plants = self.plants(p.uids)
            for uid in p.uids:
                if isinstance(p, PlantsPhaseChanged) and uid in plants:
                    old = plants[uid]
                    self.rows["plants"][uid] = PlantState(
                        uid, old.batch_id, old.strain, p.phase.value, old.harvest_batch
                    )
                self.writes.add("plants", PLANT_UPDATE, {"k_licence": lic, "k_uid": uid, **values})
        elif isinstance(p, PlantHarvested):
            self._harvest(p, at)
        else:
            return False
        return True

    def _tag(self, p: PlantsTagged, at: datetime) -> None:
        lic, n = self.licence_id, len(p.uids)
        batch = self._get("batches", [p.batch_id])[p.batch_id]
        self.rows["batches"][p.batch_id] = BatchRow(
            batch.batch_id,
            batch.strain,
            batch.location,
            batch.untagged_count - n,
            batch.tagged_count + n,
            min(batch.unsprouted_count, batch.untagged_count - n),
        )
        self.writes.add(
            "batches", BATCH_TAGGED, {"k_licence": lic, "k_batch_id": p.batch_id, "n": n}
        )
        location = p.location if p.location is not None else batch.location
        tags = self.tags(p.uids)
        for uid in p.uids:
            self.rows["plants"][uid] = PlantState(uid, p.batch_id, batch.strain, "vegetative", None)
            self.writes.add(
                "plants",
                PLANT_INSERT,
                {
                    "licence": lic,
                    "uid": uid,
                    "batch_id": p.batch_id,
                    "strain": batch.strain,
                    "phase": "vegetative",
                    "location": location,
                    "tagged_at": at,
                },
            )
            self.rows["tags"][uid] = TagState(uid, tags[uid].tag_type, "assigned", "plant", uid)
            self.writes.add(
                "tags",
                TAG_ASSIGN,
                {
                    "k_licence": lic,
                    "k_uid": uid,
                    "status": "assigned",
                    "item_type": "plant",
                    "item_id": uid,
                    "assigned_at": at,
                },
            )

    def _harvest(self, p: PlantHarvested, at: datetime) -> None:
        lic, grams = self.licence_id, p.wet_weight.in_grams()
        plant = self._one("plants", p.uid, PlantState)
        if plant is None:  # the rules accept only the harvest of a plant on record
            raise LookupError(f"plant {p.uid} is not on record")
        self.rows["plants"][p.uid] = PlantState(
            p.uid, plant.batch_id, plant.strain, "harvested", p.harvest_batch
        )
        self.writes.add(
            "plants",
            PLANT_UPDATE,
            {
                "k_licence": lic,
                "k_uid": p.uid,
                "phase": "harvested",
                "harvest_batch": p.harvest_batch,
                "wet_weight_value": p.wet_weight.value,
                "wet_weight_unit": p.wet_weight.unit.value,
                "wet_weight_grams": grams,
                "harvested_at": at,
            },
        )
        current = self._one("harvests", p.harvest_batch, HarvestBatchState)
        if current is None:
            self.rows["harvests"][p.harvest_batch] = HarvestBatchState(
                p.harvest_batch, plant.strain, 1, grams, None, None, Decimal(0)
            )
            self.harvest_writes[p.harvest_batch] = _HarvestWrite(True, p.location, at)
            return
        self.rows["harvests"][p.harvest_batch] = HarvestBatchState(
            current.name,
            current.strain,
            current.plant_count + 1,
            current.wet_weight_grams + grams,  # exact: Decimal in Python, decimal text stored
            current.dry_weight_grams,
            current.net_weight_grams,
            current.packaged_grams,
        )
        self.harvest_writes.setdefault(p.harvest_batch, _HarvestWrite(False))

    def queue_harvests(self) -> None:
        """Queue the harvest batches changed in memory as rows (one per batch, not one per
        plant harvested), and the plants per phase per day: called before the queued writes
        are flushed."""
        for statement, params in self.days.writes():
            self.writes.add("plant_phase_days", statement, params)
        lic = self.licence_id
        for name, write in self.harvest_writes.items():
            row = self.rows["harvests"][name]
            if write.new:
                self.writes.add(
                    "harvest_batches",
                    HARVEST_INSERT,
                    {
                        "licence": lic,
                        "name": name,
                        "strain": row.strain,
                        "location": write.location,
                        "plant_count": row.plant_count,
                        "wet_weight_grams": row.wet_weight_grams,
                        "waste_grams": Decimal(0),
                        "packaged_grams": Decimal(0),
                        "has_left": row.has_left,
                        "first_harvest_at": write.first_harvest_at,
                    },
                )
            else:
                self.writes.add(
                    "harvest_batches",
                    HARVEST_UPDATE,
                    {
                        "k_licence": lic,
                        "k_name": name,
                        "plant_count": row.plant_count,
                        "wet_weight_grams": row.wet_weight_grams,
                        "has_left": row.has_left,
                    },
                )
        self.harvest_writes.clear()
