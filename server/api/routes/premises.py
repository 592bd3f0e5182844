"""The licence's details and its premises (rooms, canopy areas, drying rooms, storage)."""

from datetime import date, datetime, time

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from schemas.records import (
    InventoryClosedOut,
    LicenceStatus,
    LicenceType,
    LicenceUpdated,
    LocationAdded,
    LocationKind,
)
from server.accounts.deps import AccountManagerScope, ManagerScope, ReadScope
from server.api.deps import EngineDep, Recorded, RecorderDep
from server.api.listing import Page, read_one
from server.api.listroute import LicenseeListDep, list_route
from server.api.params import NamePath
from server.api.query import of_licensee
from server.db.core import table_of
from server.db.tables import LicenceDetails, Licensee, Location
from server.reads.columns import columns_of

router = APIRouter(tags=["licensees"])
LIC = table_of(Licensee)
LD = table_of(LicenceDetails)
LOC = table_of(Location)


class LicenceOut(BaseModel):
    licence: str
    name: str
    jurisdiction: str
    timezone: str
    # From licence.updated events; null until recorded.
    licence_type: LicenceType | None
    status: LicenceStatus | None
    close_of_business: time | None  # local time in ``timezone``
    licensure_date: date | None
    closed_out_at: datetime | None
    closed_out_note: str | None


class LocationOut(BaseModel):
    name: str
    location_kind: LocationKind
    premises: str
    added_at: datetime


# The registration's columns from the licensees table, the rest from the recorded details.
LICENCE_COLUMNS = columns_of(
    LD,
    LicenceOut,
    source={name: LIC.c[name] for name in ("licence", "name", "jurisdiction", "timezone")},
)


@router.get("/licensees/{licence}/licence")
def get_licence(scope: ReadScope, engine: EngineDep) -> LicenceOut:
    """The licence: registration and the details recorded since (type, status, close of
    business, licensure date, close-out)."""
    stmt = (
        sa.select(*LICENCE_COLUMNS)
        .select_from(LIC.outerjoin(LD, LD.c.licence == LIC.c.licence))
        .where(LIC.c.licence == scope.licence)
    )
    return read_one(engine, stmt, LicenceOut, f"licensee {scope.licence}")


@router.patch("/licensees/{licence}/licence", status_code=201)
def update_licence(
    scope: AccountManagerScope, record: RecorderDep, body: LicenceUpdated
) -> Recorded:
    """Change the licence's details (licence.updated): only the fields given change."""
    return record(scope, body)


@router.post("/licensees/{licence}/licence/close-out", status_code=201)
def close_out(
    scope: AccountManagerScope, record: RecorderDep, body: InventoryClosedOut
) -> Recorded:
    """Close out the inventory of a licence that ended (CLOSED-OUT): nothing is recorded
    after this."""
    return record(scope, body)


@list_route(router, "/licensees/{licence}/locations", LocationOut)
def list_locations(
    request: LicenseeListDep, location_kind: LocationKind | None = None
) -> Page[LocationOut] | Response:
    """Rooms, canopy areas, drying rooms and storage of the licensed premises, by name."""
    kind = (LOC.c.location_kind, location_kind)
    return request.rows_of(LOC, LocationOut, (LOC.c.name,), kind)


@router.get("/licensees/{licence}/locations/{location:path}")
def get_location(scope: ReadScope, engine: EngineDep, location: NamePath) -> LocationOut:
    """One location."""
    stmt = of_licensee(LOC, LocationOut, scope.licence).where(LOC.c.name == location)
    return read_one(engine, stmt, LocationOut, f"location {location}")


@router.post("/licensees/{licence}/locations", status_code=201)
def add_location(scope: ManagerScope, record: RecorderDep, body: LocationAdded) -> Recorded:
    """Add a location (location.added); adding an existing name updates its kind and premises."""
    return record(scope, body)
