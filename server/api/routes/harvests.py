"""Harvest batches (wet, dry and net weight, moisture loss) and weighed waste."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from schemas.events import DestroyMethod
from server.accounts.deps import ReadScope
from server.api.deps import EngineDep
from server.api.listing import Page, read_one
from server.api.listroute import LicenseeListDep, list_route
from server.api.params import NamePath, NameQuery
from server.api.query import of_licensee, where_given
from server.db.core import table_of
from server.db.tables import HarvestBatch, Waste

router = APIRouter(tags=["harvests"])
H = table_of(HarvestBatch)
W = table_of(Waste)

PERCENT = Decimal("0.01")


class HarvestBatchOut(BaseModel):
    name: str
    strain: str
    location: str | None
    plant_count: int
    wet_weight_grams: Decimal  # sum of the plants' wet weights at harvest
    dry_weight_grams: Decimal | None
    net_weight_grams: Decimal | None
    waste_grams: Decimal
    # (wet - dry) / wet, in percent to 2 decimals; null until the dry weight is recorded
    moisture_loss_pct: Decimal | None
    first_harvest_at: datetime


class WasteSource(StrEnum):
    PLANT = "plant"
    BATCH = "batch"
    HARVEST_BATCH = "harvest_batch"
    LOCATION = "location"


class WasteOut(BaseModel):
    position: int  # the event log position of the event that recorded it
    source: WasteSource
    source_id: str
    plant_count: int
    weight_grams: Decimal
    method: DestroyMethod
    reason: str
    occurred_at: datetime


def of_harvests(licence: str) -> sa.Select[Any]:
    """The licensee's harvest batches; the moisture loss is computed (:func:`_harvest`)."""
    return of_licensee(H, HarvestBatchOut, licence, skip={"moisture_loss_pct"})


def moisture_loss_pct(wet: Decimal, dry: Decimal | None) -> Decimal | None:
    """Weight lost in drying, as a percentage of the wet weight (None without a dry weight,
    or for a wet weight of zero, where no percentage exists)."""
    if dry is None or wet == 0:
        return None
    return ((wet - dry) * 100 / wet).quantize(PERCENT)


def _harvest(r: sa.RowMapping) -> HarvestBatchOut:
    return HarvestBatchOut(
        **r, moisture_loss_pct=moisture_loss_pct(r["wet_weight_grams"], r["dry_weight_grams"])
    )


@list_route(router, "/licensees/{licence}/harvest-batches", HarvestBatchOut)
def list_harvest_batches(
    request: LicenseeListDep,
    strain: NameQuery = None,
    dried: bool | None = None,
) -> Page[HarvestBatchOut] | Response:
    """Harvest batches, oldest first. ``dried``: only those with (or without) a dry weight."""
    stmt = where_given(of_harvests(request.licence), (H.c.strain, strain))
    if dried is not None:
        column = H.c.dry_weight_grams
        stmt = stmt.where(column.is_not(None) if dried else column.is_(None))
    order = H.c.first_harvest_at, H.c.name
    return request.respond(stmt, HarvestBatchOut, order, convert=_harvest)


@router.get("/licensees/{licence}/harvest-batches/{name:path}")
def get_harvest_batch(scope: ReadScope, engine: EngineDep, name: NamePath) -> HarvestBatchOut:
    """One harvest batch."""
    stmt = of_harvests(scope.licence).where(H.c.name == name)
    return read_one(engine, stmt, HarvestBatchOut, f"harvest batch {name}", convert=_harvest)


@list_route(router, "/licensees/{licence}/waste", WasteOut)
def list_waste(
    request: LicenseeListDep, source: WasteSource | None = None, source_id: NameQuery = None
) -> Page[WasteOut] | Response:
    """Weighed waste, newest first."""
    filters = (W.c.source, source), (W.c.source_id, source_id)
    return request.rows_of(W, WasteOut, (W.c.position.desc(),), *filters)
