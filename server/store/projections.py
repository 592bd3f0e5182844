"""Apply an accepted event to the projection tables.

Called in the same transaction as the event's log append (and by rebuild, in log order).
The rules have already run, so this code assumes the event is valid; a database constraint
that still fails here (a bug, or a race the licensee lock should have prevented) raises and
rolls the whole transaction back, log append included. The rules every projection relies on
(unique batch ids, one item per tag, ...) are in every jurisdiction's pack: the
record-soundness baseline of :mod:`server.compliance.rules.catalogue`.

Each projection is registered with ``@projects(PayloadModel)`` (:mod:`server.store.registry`):
the floor kinds here, packages and transfers in :mod:`~server.store.projections_commerce`, the
licence, people and compliance records in :mod:`~server.store.projections_records` (imported
here, so importing this module registers them all). A kind without a handler (a
contract newer than this server) changes no projection and is logged: the event stays in the
log, and a rebuild applies it once a projection exists. It never raises, so it can never roll
a batch back again and again.
"""

import logging
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from schemas.events import (
    EventEnvelope,
    HarvestBatchWeighed,
    PlantBatchCreated,
    PlantDestroyed,
    PlantHarvested,
    PlantsGerminated,
    PlantsMoved,
    PlantsPhaseChanged,
    PlantsTagged,
    TagRetired,
    TagsReceived,
    WasteRecorded,
    WeightType,
)
from server.compliance.rules.cultivation import NOT_PLANTS_YET
from server.compliance.rules.state import has_left
from server.db.core import table_of
from server.db.tables import Batch, HarvestBatch, Plant, Tag, Waste
from server.db.upsert import update

# Imported for their @projects registrations: packages and transfers; licence, people, records.
from server.store import phase_days, projections_commerce, projections_records  # noqa: F401
from server.store.registry import HANDLERS, projects

log = logging.getLogger("seedtrace.store")

B, P, T, H, W = (
    table_of(Batch),
    table_of(Plant),
    table_of(Tag),
    table_of(HarvestBatch),
    table_of(Waste),
)


def apply(conn: sa.Connection, event: EventEnvelope, position: int) -> None:
    """Change the projections as ``event`` (at log ``position``) says."""
    handler = HANDLERS.get(event.kind)
    if handler is None:
        log.warning(
            "no projection for %s (event %s): kept in the log, not applied",
            event.kind,
            event.event_id,
        )
        return
    phase_days.record(conn, event)  # first: it reads the state before the event
    handler(conn, event, position)


@projects(PlantBatchCreated)
def _batch_created(
    conn: sa.Connection, event: EventEnvelope, p: PlantBatchCreated, position: int
) -> None:
    conn.execute(
        B.insert().values(
            licence=event.licence,
            batch_id=p.batch_id,
            origin=p.origin.value,
            strain=p.strain,
            location=p.location,
            initial_count=p.count,
            untagged_count=p.count,
            unsprouted_count=p.count if p.origin in NOT_PLANTS_YET else 0,
            tagged_count=0,
            destroyed_count=0,
            created_at=event.occurred_at,
            created_position=position,
        )
    )


@projects(PlantsGerminated)
def _germinated(
    conn: sa.Connection, event: EventEnvelope, p: PlantsGerminated, position: int
) -> None:
    key = {"licence": event.licence, "batch_id": p.batch_id}
    update(conn, B, key, {"unsprouted_count": B.c.unsprouted_count - p.count})


def after_tagging(
    untagged: sa.ColumnElement[int], unsprouted: sa.ColumnElement[int], n: sa.ColumnElement[int]
) -> sa.ColumnElement[int]:
    """A batch's seeds and cultures not yet plants once ``n`` of its items are tagged: the
    tags go to its plants first; a tag beyond them goes on a seedling whose germination was
    not recorded, which is a plant now. (In memory: ``min(unsprouted, untagged - n)``.)"""
    return sa.case((unsprouted > untagged - n, untagged - n), else_=unsprouted)


@projects(PlantsPhaseChanged)
def _phase_changed(
    conn: sa.Connection, event: EventEnvelope, p: PlantsPhaseChanged, position: int
) -> None:
    values: dict[str, str] = {"phase": p.phase.value}
    if p.location is not None:
        values["location"] = p.location
    _update_plants(conn, event.licence, p.uids, values)


@projects(PlantsMoved)
def _moved(conn: sa.Connection, event: EventEnvelope, p: PlantsMoved, position: int) -> None:
    _update_plants(conn, event.licence, p.uids, {"location": p.location})


@projects(HarvestBatchWeighed)
def _weighed(
    conn: sa.Connection, event: EventEnvelope, p: HarvestBatchWeighed, position: int
) -> None:
    column = "dry_weight_grams" if p.weight_type is WeightType.DRY else "net_weight_grams"
    key = {"licence": event.licence, "name": p.harvest_batch}
    row = (
        conn.execute(
            sa.select(
                H.c.wet_weight_grams, H.c.dry_weight_grams, H.c.net_weight_grams, H.c.packaged_grams
            ).where(H.c.licence == event.licence, H.c.name == p.harvest_batch)
        )
        .mappings()
        .first()
    )
    if row is None:  # the rules accept no weighing of an unknown batch; nothing to update
        return
    weights = {**row, column: p.weight.in_grams()}
    left = has_left(
        weights["wet_weight_grams"],
        weights["dry_weight_grams"],
        weights["net_weight_grams"],
        weights["packaged_grams"],
    )
    update(conn, H, key, {column: weights[column], "has_left": left})


@projects(WasteRecorded)
def _waste_recorded(
    conn: sa.Connection, event: EventEnvelope, p: WasteRecorded, position: int
) -> None:
    lic, grams, at = event.licence, p.weight.in_grams(), event.occurred_at
    source, source_id = (
        ("harvest_batch", p.harvest_batch)
        if p.harvest_batch is not None
        else ("location", p.location)
    )
    _waste(conn, lic, position, source, source_id, 0, grams, p.method.value, p.reason, at)
    if p.harvest_batch is not None:
        _add_harvest_waste(conn, lic, p.harvest_batch, grams)


@projects(TagsReceived)
def _tags_received(
    conn: sa.Connection, event: EventEnvelope, p: TagsReceived, position: int
) -> None:
    conn.execute(
        T.insert(),
        [
            {
                "licence": event.licence,
                "uid": uid,
                "tag_type": p.tag_type.value,
                "status": "available",
                "received_at": event.occurred_at,
                "delivered_at": p.delivered_at,
            }
            for uid in p.expand()
        ],
    )


@projects(TagRetired)
def _tag_retired(conn: sa.Connection, event: EventEnvelope, p: TagRetired, position: int) -> None:
    retired = {"status": "retired", "retired_at": event.occurred_at, "retired_reason": p.reason}
    update(conn, T, {"licence": event.licence, "uid": p.uid}, retired)


@projects(PlantsTagged)
def _tagged(conn: sa.Connection, event: EventEnvelope, p: PlantsTagged, position: int) -> None:
    lic, at = event.licence, event.occurred_at
    batch = conn.execute(
        sa.select(B.c.strain, B.c.location).where(B.c.licence == lic, B.c.batch_id == p.batch_id)
    ).one()
    n = len(p.uids)
    conn.execute(
        B.update()
        .where(B.c.licence == lic, B.c.batch_id == p.batch_id)
        .values(
            untagged_count=B.c.untagged_count - n,
            tagged_count=B.c.tagged_count + n,
            unsprouted_count=after_tagging(B.c.untagged_count, B.c.unsprouted_count, sa.literal(n)),
        )
    )
    conn.execute(
        P.insert(),
        [
            {
                "licence": lic,
                "uid": uid,
                "batch_id": p.batch_id,
                "strain": batch.strain,
                "phase": "vegetative",
                "location": p.location if p.location is not None else batch.location,
                "tagged_at": at,
            }
            for uid in p.uids
        ],
    )
    conn.execute(
        T.update()
        .where(T.c.licence == lic, T.c.uid.in_(p.uids))
        .values(status="assigned", item_type="plant", item_id=T.c.uid, assigned_at=at)
    )


def _update_plants(conn: sa.Connection, lic: str, uids: list[str], values: dict[str, str]) -> None:
    conn.execute(P.update().where(P.c.licence == lic, P.c.uid.in_(uids)).values(values))


@projects(PlantHarvested)
def _harvested(conn: sa.Connection, event: EventEnvelope, p: PlantHarvested, position: int) -> None:
    lic, at, grams = event.licence, event.occurred_at, p.wet_weight.in_grams()
    strain = conn.execute(
        sa.select(P.c.strain).where(P.c.licence == lic, P.c.uid == p.uid)
    ).scalar_one()
    conn.execute(
        P.update()
        .where(P.c.licence == lic, P.c.uid == p.uid)
        .values(
            phase="harvested",
            harvest_batch=p.harvest_batch,
            wet_weight_value=p.wet_weight.value,
            wet_weight_unit=p.wet_weight.unit.value,
            wet_weight_grams=grams,
            harvested_at=at,
        )
    )
    current = conn.execute(
        sa.select(
            H.c.plant_count,
            H.c.wet_weight_grams,
            H.c.dry_weight_grams,
            H.c.net_weight_grams,
            H.c.packaged_grams,
        ).where(H.c.licence == lic, H.c.name == p.harvest_batch)
    ).first()
    if current is None:
        conn.execute(
            H.insert().values(
                licence=lic,
                name=p.harvest_batch,
                strain=strain,
                location=p.location,
                plant_count=1,
                wet_weight_grams=grams,
                waste_grams=Decimal(0),
                packaged_grams=Decimal(0),
                has_left=has_left(grams, None, None, Decimal(0)),
                first_harvest_at=at,
            )
        )
    else:
        # Summed in Python: the column is exact decimal text on both databases.
        wet = current.wet_weight_grams + grams
        conn.execute(
            H.update()
            .where(H.c.licence == lic, H.c.name == p.harvest_batch)
            .values(
                plant_count=current.plant_count + 1,
                wet_weight_grams=wet,
                has_left=has_left(
                    wet, current.dry_weight_grams, current.net_weight_grams, current.packaged_grams
                ),
            )
        )


@projects(PlantDestroyed)
def _destroyed(conn: sa.Connection, event: EventEnvelope, p: PlantDestroyed, position: int) -> None:
    lic, at, grams = event.licence, event.occurred_at, p.waste_weight.in_grams()
    if p.uid is not None:
        conn.execute(
            P.update()
            .where(P.c.licence == lic, P.c.uid == p.uid)
            .values(phase="destroyed", destroyed_at=at)
        )
        _waste(conn, lic, position, "plant", p.uid, 1, grams, p.method.value, p.reason, at)
        return
    if p.batch_id is None or p.count is None:  # the schema requires one subject
        raise TypeError("plant.destroyed names neither a plant nor a batch")
    conn.execute(
        B.update()
        .where(B.c.licence == lic, B.c.batch_id == p.batch_id)
        .values(
            untagged_count=B.c.untagged_count - p.count,
            destroyed_count=B.c.destroyed_count + p.count,
            # Seeds or cultures that never came up are what is destroyed first; counting the
            # plants last never under-counts them against BATCH-MAX-100.
            unsprouted_count=sa.case(
                (B.c.unsprouted_count > p.count, B.c.unsprouted_count - p.count), else_=0
            ),
        )
    )
    _waste(conn, lic, position, "batch", p.batch_id, p.count, grams, p.method.value, p.reason, at)


def _add_harvest_waste(conn: sa.Connection, lic: str, name: str, grams: Decimal) -> None:
    current = conn.execute(
        sa.select(H.c.waste_grams).where(H.c.licence == lic, H.c.name == name)
    ).scalar_one_or_none()
    if current is not None:
        conn.execute(
            H.update()
            .where(H.c.licence == lic, H.c.name == name)
            .values(waste_grams=current + grams)
        )


def _waste(
    conn: sa.Connection,
    lic: str,
    position: int,
    source: str,
    source_id: str,
    plant_count: int,
    grams: Decimal,
    method: str,
    reason: str,
    at: datetime,
) -> None:
    conn.execute(
        W.insert().values(
            position=position,
            licence=lic,
            source=source,
            source_id=source_id,
            plant_count=plant_count,
            weight_grams=grams,
            method=method,
            reason=reason,
            occurred_at=at,
        )
    )
