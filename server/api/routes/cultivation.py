"""Cultivation batches (immature lots) and tagged plants."""

from datetime import datetime
from decimal import Decimal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from schemas.events import PlantOrigin, PlantPhase
from server.accounts.deps import ReadScope
from server.api.deps import EngineDep
from server.api.listing import Page, read_one
from server.api.listroute import LicenseeListDep, list_route
from server.api.params import NamePath, NameQuery, UidPath
from server.api.query import of_licensee
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


@list_route(router, "/licensees/{licence}/batches", BatchOut)
def list_batches(
    request: LicenseeListDep,
    strain: NameQuery = None,
    location: NameQuery = None,
    origin: PlantOrigin | None = None,
) -> Page[BatchOut] | Response:
    """Cultivation batches, oldest first."""
    filters = (B.c.strain, strain), (B.c.location, location), (B.c.origin, origin)
    return request.rows_of(B, BatchOut, (B.c.created_position,), *filters)


@router.get("/licensees/{licence}/batches/{batch_id:path}")
def get_batch(scope: ReadScope, engine: EngineDep, batch_id: NamePath) -> BatchOut:
    """One cultivation batch."""
    stmt = of_licensee(B, BatchOut, scope.licence).where(B.c.batch_id == batch_id)
    return read_one(engine, stmt, BatchOut, f"batch {batch_id}")


@list_route(router, "/licensees/{licence}/plants", PlantOut)
def list_plants(
    request: LicenseeListDep,
    batch_id: NameQuery = None,
    phase: PlantPhase | None = None,
    location: NameQuery = None,
    strain: NameQuery = None,
    harvest_batch: NameQuery = None,
) -> Page[PlantOut] | Response:
    """Tagged plants, by UID."""
    return request.rows_of(
        P,
        PlantOut,
        (P.c.uid,),
        (P.c.batch_id, batch_id),
        (P.c.location, location),
        (P.c.strain, strain),
        (P.c.harvest_batch, harvest_batch),
        (P.c.phase, phase),
    )


@router.get("/licensees/{licence}/plants/{uid}")
def get_plant(scope: ReadScope, engine: EngineDep, uid: UidPath) -> PlantOut:
    """One tagged plant."""
    stmt = of_licensee(P, PlantOut, scope.licence).where(P.c.uid == uid)
    return read_one(engine, stmt, PlantOut, f"plant {uid}")
