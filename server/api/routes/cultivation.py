"""Cultivation batches (immature lots) and tagged plants."""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from schemas.events import PlantOrigin, PlantPhase
from server.accounts.deps import ReadScope
from server.api.deps import EngineDep
from server.api.listing import CSV_RESPONSE, Page, PagingDep, one, respond
from server.api.params import NamePath, NameQuery, UidPath
from server.db.core import table_of
from server.db.tables import Batch, Plant

router = APIRouter(tags=["cultivation"])
B = table_of(Batch)
P = table_of(Plant)


class BatchOut(BaseModel):
    batch_id: str
    origin: PlantOrigin
    strain: str
    location: str
    initial_count: int
    untagged_count: int  # items still counted in the batch, not yet tagged
    unsprouted_count: int  # of those, seeds or tissue cultures not yet plants
    tagged_count: int  # plants that got their own UID
    destroyed_count: int  # untagged plants destroyed
    created_at: datetime


class PlantOut(BaseModel):
    uid: str
    batch_id: str
    strain: str
    phase: PlantPhase
    location: str
    tagged_at: datetime
    harvest_batch: str | None
    wet_weight_grams: Decimal | None
    wet_weight_value: Decimal | None  # as the scale reported it
    wet_weight_unit: str | None
    harvested_at: datetime | None
    destroyed_at: datetime | None


BATCH_COLUMNS = (
    B.c.batch_id,
    B.c.origin,
    B.c.strain,
    B.c.location,
    B.c.initial_count,
    B.c.untagged_count,
    B.c.unsprouted_count,
    B.c.tagged_count,
    B.c.destroyed_count,
    B.c.created_at,
)
PLANT_COLUMNS = (
    P.c.uid,
    P.c.batch_id,
    P.c.strain,
    P.c.phase,
    P.c.location,
    P.c.tagged_at,
    P.c.harvest_batch,
    P.c.wet_weight_grams,
    P.c.wet_weight_value,
    P.c.wet_weight_unit,
    P.c.harvested_at,
    P.c.destroyed_at,
)


def _batch(r: sa.RowMapping) -> BatchOut:
    return BatchOut(**r)


def _plant(r: sa.RowMapping) -> PlantOut:
    return PlantOut(**r)


@router.get("/licensees/{licence}/batches", response_model=Page[BatchOut], responses=CSV_RESPONSE)
def list_batches(
    scope: ReadScope,
    engine: EngineDep,
    paging: PagingDep,
    strain: NameQuery = None,
    location: NameQuery = None,
    origin: PlantOrigin | None = None,
) -> Page[BatchOut] | Response:
    """Cultivation batches, oldest first."""
    stmt = sa.select(*BATCH_COLUMNS).where(B.c.licence == scope.licence)
    for column, value in ((B.c.strain, strain), (B.c.location, location)):
        if value is not None:
            stmt = stmt.where(column == value)
    if origin is not None:
        stmt = stmt.where(B.c.origin == origin.value)
    with engine.connect() as conn:
        return respond(
            conn,
            stmt.order_by(B.c.created_position),
            paging,
            _batch,
            BatchOut,
            "batches",
        )


@router.get("/licensees/{licence}/batches/{batch_id:path}")
def get_batch(scope: ReadScope, engine: EngineDep, batch_id: NamePath) -> BatchOut:
    """One cultivation batch."""
    stmt = sa.select(*BATCH_COLUMNS).where(B.c.licence == scope.licence, B.c.batch_id == batch_id)
    with engine.connect() as conn:
        return _batch(one(conn, stmt, f"batch {batch_id}"))


@router.get("/licensees/{licence}/plants", response_model=Page[PlantOut], responses=CSV_RESPONSE)
def list_plants(
    scope: ReadScope,
    engine: EngineDep,
    paging: PagingDep,
    batch_id: NameQuery = None,
    phase: PlantPhase | None = None,
    location: NameQuery = None,
    strain: NameQuery = None,
    harvest_batch: NameQuery = None,
) -> Page[PlantOut] | Response:
    """Tagged plants, by UID."""
    stmt = sa.select(*PLANT_COLUMNS).where(P.c.licence == scope.licence)
    for column, value in (
        (P.c.batch_id, batch_id),
        (P.c.location, location),
        (P.c.strain, strain),
        (P.c.harvest_batch, harvest_batch),
        (P.c.phase, None if phase is None else phase.value),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    with engine.connect() as conn:
        return respond(conn, stmt.order_by(P.c.uid), paging, _plant, PlantOut, "plants")


@router.get("/licensees/{licence}/plants/{uid}")
def get_plant(scope: ReadScope, engine: EngineDep, uid: UidPath) -> PlantOut:
    """One tagged plant."""
    stmt = sa.select(*PLANT_COLUMNS).where(P.c.licence == scope.licence, P.c.uid == uid)
    with engine.connect() as conn:
        return _plant(one(conn, stmt, f"plant {uid}"))
