"""Stations of a licensee: what the server has seen of each (sequence, last event)."""

from datetime import datetime

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from server.accounts.deps import ReadScope
from server.api.deps import EngineDep
from server.api.listing import CSV_RESPONSE, Page, PagingDep, one, respond
from server.api.params import StationPath
from server.db.tables import Station

router = APIRouter(tags=["stations"])
ST = Station.__table__  # type: ignore[attr-defined]


class StationOut(BaseModel):
    station_id: str
    next_sequence: int  # the sequence number the server expects next from it
    last_event_at: datetime | None


def _station(r: sa.RowMapping) -> StationOut:
    return StationOut(**r)


STATION_COLUMNS = (ST.c.station_id, ST.c.next_sequence, ST.c.last_event_at)


@router.get(
    "/licensees/{licence}/stations", response_model=Page[StationOut], responses=CSV_RESPONSE
)
def list_stations(
    scope: ReadScope, engine: EngineDep, paging: PagingDep
) -> Page[StationOut] | Response:
    """Stations that have sent events (and the console's pseudo-station)."""
    stmt = sa.select(*STATION_COLUMNS).where(ST.c.licence == scope.licence)
    with engine.connect() as conn:
        return respond(
            conn, stmt.order_by(ST.c.station_id), paging, _station, StationOut, "stations"
        )


@router.get("/licensees/{licence}/stations/{station_id}")
def get_station(scope: ReadScope, engine: EngineDep, station_id: StationPath) -> StationOut:
    """One station."""
    stmt = sa.select(*STATION_COLUMNS).where(
        ST.c.licence == scope.licence, ST.c.station_id == station_id
    )
    with engine.connect() as conn:
        return _station(one(conn, stmt, f"station {station_id}"))
