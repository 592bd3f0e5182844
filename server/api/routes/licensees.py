"""Licensees the caller may see: a user's own, or those a regulator oversees."""

from datetime import datetime

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from server.accounts.deps import CurrentPrincipal, ReadScope
from server.api.deps import EngineDep
from server.api.listing import Page, PagingDep, read_one, respond
from server.api.listroute import list_route
from server.db.among import among
from server.db.core import table_of
from server.db.tables import Licensee
from server.reads.columns import columns_of

router = APIRouter(tags=["licensees"])
LIC = table_of(Licensee)


class LicenseeOut(BaseModel):
    licence: str
    name: str
    jurisdiction: str
    timezone: str
    created_at: datetime


LICENSEE_COLUMNS = columns_of(LIC, LicenseeOut)


@list_route(router, "/licensees", LicenseeOut)
def list_licensees(
    principal: CurrentPrincipal, engine: EngineDep, paging: PagingDep
) -> Page[LicenseeOut] | Response:
    """The licensees this account may read."""
    stmt = sa.select(*LICENSEE_COLUMNS).where(among(LIC.c.licence, sorted(principal.licences)))
    return respond(engine, stmt, paging, LicenseeOut, "licensees", (LIC.c.licence,))


@router.get("/licensees/{licence}")
def get_licensee(scope: ReadScope, engine: EngineDep) -> LicenseeOut:
    """One licensee."""
    stmt = sa.select(*LICENSEE_COLUMNS).where(LIC.c.licence == scope.licence)
    return read_one(engine, stmt, LicenseeOut, f"licensee {scope.licence}")
