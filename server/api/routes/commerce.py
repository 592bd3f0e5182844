"""Packages, transfers and sales, as stations and the console recorded them."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from schemas.commerce import ItemCategory
from server.accounts.deps import ReadScope
from server.api.deps import EngineDep
from server.api.listing import Page, one
from server.api.listroute import LicenseeListDep, list_route
from server.api.params import NamePath, NameQuery, UidPath, UidQuery
from server.api.query import of_licensee, where_given
from server.db.core import table_of
from server.db.tables import Package, PackageSource, Sale, Transfer, TransferItem
from server.reads.columns import columns_of

router = APIRouter(tags=["packages and transfers"])
PK = table_of(Package)
PS = table_of(PackageSource)
TX = table_of(Transfer)
TI = table_of(TransferItem)
SL = table_of(Sale)


class PackageStatus(StrEnum):
    ON_HAND = "on_hand"
    MANIFESTED = "manifested"
    DEPARTED = "departed"


class PackageOrigin(StrEnum):
    CREATED = "created"  # packaged here from harvest batches
    RECEIVED = "received"  # accepted from another licensee


class Direction(StrEnum):
    OUT = "out"  # we are the seller
    IN = "in"  # goods from another licensee


class TransferStatus(StrEnum):
    MANIFESTED = "manifested"
    DEPARTED = "departed"
    ARRIVED = "arrived"
    RECEIVED = "received"


class PackageOut(BaseModel):
    uid: str
    source: PackageOrigin
    category: ItemCategory | None  # unknown for goods received from another licensee
    strain: str | None
    quantity_grams: Decimal | None  # the total weight
    quantity_count: int | None  # units, for counted products
    unit_weight_grams: Decimal | None
    for_processor: bool
    location: str | None
    status: PackageStatus
    manifest_id: str | None
    created_at: datetime


class PackageSourceOut(BaseModel):
    harvest_batch: str
    weight_grams: Decimal


class PackageDetail(BaseModel):
    package: PackageOut
    sources: list[PackageSourceOut]  # the harvest batches it derives from (PRODUCT-FROM-HARVEST)


class TransferOut(BaseModel):
    direction: Direction
    manifest_id: str
    status: TransferStatus
    seller_name: str
    seller_address: str
    seller_licence: str
    purchaser_name: str | None
    purchaser_address: str | None
    purchaser_licence: str | None
    distributor_name: str | None
    distributor_address: str | None
    distributor_licence: str | None
    transfer_date: date | None
    estimated_departure: datetime | None
    estimated_arrival: datetime | None
    departed_at: datetime | None
    arrived_at: datetime | None
    recorded_at: datetime


class TransferItemOut(BaseModel):
    uid: str
    category: str | None
    strain: str | None
    description: str | None
    quantity_grams: Decimal | None
    quantity_count: int | None
    decision: str | None  # accepted | rejected, for incoming goods once received
    received_grams: Decimal | None
    received_count: int | None
    reject_reason: str | None


class TransferDetail(BaseModel):
    transfer: TransferOut
    items: list[TransferItemOut]


class SaleOut(BaseModel):
    position: int
    package_uid: str
    quantity_grams: Decimal | None
    quantity_count: int | None
    price: Decimal  # US dollars, after discounts
    sold_at: datetime


PACKAGE_COLUMNS = columns_of(PK, PackageOut)
TRANSFER_COLUMNS = columns_of(TX, TransferOut)
ITEM_COLUMNS = columns_of(TI, TransferItemOut)


@list_route(router, "/licensees/{licence}/packages", PackageOut)
def list_packages(
    request: LicenseeListDep,
    status: PackageStatus | None = None,
    category: ItemCategory | None = None,
    strain: NameQuery = None,
    harvest_batch: NameQuery = None,
) -> Page[PackageOut] | Response:
    """Packages by UID; ``harvest_batch``: those made (in part) from it."""
    stmt = where_given(
        of_licensee(PK, PackageOut, request.licence),
        (PK.c.status, status),
        (PK.c.category, category),
        (PK.c.strain, strain),
    )
    if harvest_batch is not None:
        stmt = stmt.where(
            PK.c.uid.in_(
                sa.select(PS.c.package_uid).where(
                    PS.c.licence == request.licence, PS.c.harvest_batch == harvest_batch
                )
            )
        )
    return request.respond(stmt, PackageOut, (PK.c.uid,))


@router.get("/licensees/{licence}/packages/{package_uid}")
def get_package(scope: ReadScope, engine: EngineDep, package_uid: UidPath) -> PackageDetail:
    """One package and the harvest batches it came from."""
    with engine.connect() as conn:
        row = one(
            conn,
            of_licensee(PK, PackageOut, scope.licence).where(PK.c.uid == package_uid),
            f"package {package_uid}",
        )
        sources = conn.execute(
            sa.select(PS.c.harvest_batch, PS.c.weight_grams)
            .where(PS.c.licence == scope.licence, PS.c.package_uid == package_uid)
            .order_by(PS.c.harvest_batch)
        ).mappings()
        return PackageDetail(
            package=PackageOut(**row), sources=[PackageSourceOut(**s) for s in sources]
        )


@list_route(router, "/licensees/{licence}/transfers", TransferOut)
def list_transfers(
    request: LicenseeListDep,
    direction: Direction | None = None,
    status: TransferStatus | None = None,
) -> Page[TransferOut] | Response:
    """Transfers out (manifested, departed) and in (arrived, received), newest first."""
    # a manifest id is unique in each direction: the direction breaks the last ties
    order = TX.c.recorded_at.desc(), TX.c.manifest_id, TX.c.direction
    return request.rows_of(
        TX, TransferOut, order, (TX.c.direction, direction), (TX.c.status, status)
    )


@router.get("/licensees/{licence}/transfers/{direction}/{manifest_id:path}")
def get_transfer(
    scope: ReadScope, engine: EngineDep, direction: Direction, manifest_id: NamePath
) -> TransferDetail:
    """One transfer and its items."""
    key = (
        TX.c.licence == scope.licence,
        TX.c.direction == direction.value,
        TX.c.manifest_id == manifest_id,
    )
    with engine.connect() as conn:
        row = one(conn, sa.select(*TRANSFER_COLUMNS).where(*key), f"transfer {manifest_id}")
        items = conn.execute(
            sa.select(*ITEM_COLUMNS)
            .where(
                TI.c.licence == scope.licence,
                TI.c.direction == direction.value,
                TI.c.manifest_id == manifest_id,
            )
            .order_by(TI.c.uid)
        ).mappings()
        return TransferDetail(
            transfer=TransferOut(**row), items=[TransferItemOut(**i) for i in items]
        )


@list_route(router, "/licensees/{licence}/sales", SaleOut)
def list_sales(request: LicenseeListDep, package_uid: UidQuery = None) -> Page[SaleOut] | Response:
    """Retail sales, newest first."""
    return request.rows_of(SL, SaleOut, (SL.c.position.desc(),), (SL.c.package_uid, package_uid))
