"""Stations of a licensee: what the server has seen of each, and their broker credentials.

A manager adds a station (its broker account and first password), rotates its password or
revokes it; the password is answered once and stored only as a hash. The broker's files are
written and mosquitto reloaded when the server is configured for it
(:mod:`server.accounts.stations`). Credentials are not events: like passwords, they are not
part of the legal record.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel

from schemas.ids import StationId
from server.accounts import stations as creds
from server.accounts.deps import ManagerScope, ReadScope, Scope
from server.accounts.roles import AccountKind
from server.api.deps import ClockDep, EngineDep, SettingsDep
from server.api.errors import NotFound
from server.api.listing import Page
from server.api.listroute import LicenseeListDep, list_route
from server.api.params import BodyIn, StationPath
from server.db.accounts import Account
from server.db.core import table_of
from server.db.tables import Station

router = APIRouter(tags=["stations"])
ST = table_of(Station)
A = table_of(Account)


class StationOut(BaseModel):
    station_id: str
    next_sequence: int | None  # the sequence the server expects next; null: never heard from
    last_event_at: datetime | None
    broker_username: str | None  # null: no broker account issued here
    credentials_issued_at: datetime | None
    revoked_at: datetime | None


class NewStation(BodyIn):
    station_id: StationId


class BrokerFiles(BaseModel):
    written: bool  # the broker's password and ACL files were rewritten
    reloaded: bool  # mosquitto was told to reload them
    error: str | None  # why not, when configured (the change is stored all the same)


class StationCredentials(BaseModel):
    """The broker user name and password: the password is shown this once."""

    station_id: str
    username: str
    password: str
    broker_files: BrokerFiles


def _stations(engine: EngineDep, licence: str) -> list[StationOut]:
    with engine.connect() as conn:
        seen = {
            r.station_id: r
            for r in conn.execute(
                sa.select(ST.c.station_id, ST.c.next_sequence, ST.c.last_event_at).where(
                    ST.c.licence == licence
                )
            )
        }
        accounts = {
            r.subject_id: r
            for r in conn.execute(
                sa.select(
                    A.c.subject_id, A.c.login, A.c.password_changed_at, A.c.disabled_at
                ).where(A.c.licence == licence, A.c.kind == AccountKind.STATION.value)
            )
        }
    out = []
    for station_id in sorted(seen.keys() | accounts.keys()):
        s, a = seen.get(station_id), accounts.get(station_id)
        out.append(
            StationOut(
                station_id=station_id,
                next_sequence=None if s is None else s.next_sequence,
                last_event_at=None if s is None else s.last_event_at,
                broker_username=None if a is None else a.login,
                credentials_issued_at=None if a is None else a.password_changed_at,
                revoked_at=None if a is None else a.disabled_at,
            )
        )
    return out


@list_route(router, "/licensees/{licence}/stations", StationOut)
def list_stations(request: LicenseeListDep) -> Page[StationOut] | Response:
    """Stations that have sent events (and the console's pseudo-station) or have a broker
    account, by id."""
    return request.items(_stations(request.engine, request.licence), StationOut)


@router.get("/licensees/{licence}/stations/{station_id}")
def get_station(scope: ReadScope, engine: EngineDep, station_id: StationPath) -> StationOut:
    """One station."""
    for station in _stations(engine, scope.licence):
        if station.station_id == station_id:
            return station
    raise NotFound(f"station {station_id} not found")


def _answer(
    engine: EngineDep, settings: SettingsDep, station_id: str, issued: creds.Issued
) -> StationCredentials:
    return StationCredentials(
        station_id=station_id,
        username=issued.username,
        password=issued.password,
        broker_files=_write(engine, settings),
    )


@router.post("/licensees/{licence}/stations", status_code=201)
def add_station(
    scope: ManagerScope,
    engine: EngineDep,
    settings: SettingsDep,
    clock: ClockDep,
    body: NewStation,
) -> StationCredentials:
    """Give a station its broker account and first password (shown once); it may then
    publish events for this licence only."""
    with engine.begin() as conn:
        issued = creds.add_station(conn, scope.licence, body.station_id, clock.now())
    return _answer(engine, settings, body.station_id, issued)


@dataclass(frozen=True, slots=True)
class StationTarget:
    scope: Scope
    station_id: str


def station_target(
    scope: ManagerScope, engine: EngineDep, station_id: StationPath
) -> StationTarget:
    """A station of this licensee with a broker account, looked up before anything else."""
    with engine.connect() as conn:
        creds.station_account(conn, scope.licence, station_id)
    return StationTarget(scope, station_id)


TargetDep = Annotated[StationTarget, Depends(station_target)]


@router.post("/licensees/{licence}/stations/{station_id}/credentials", status_code=201)
def rotate_credentials(
    target: TargetDep, engine: EngineDep, settings: SettingsDep, clock: ClockDep
) -> StationCredentials:
    """A new password for the station (shown once); once mosquitto reloads, the old one stops
    working and its connection is closed."""
    with engine.begin() as conn:
        issued = creds.rotate_station(conn, target.scope.licence, target.station_id, clock.now())
    return _answer(engine, settings, target.station_id, issued)


@router.delete("/licensees/{licence}/stations/{station_id}/credentials")
def revoke_credentials(
    target: TargetDep, engine: EngineDep, settings: SettingsDep, clock: ClockDep
) -> BrokerFiles:
    """The station may no longer connect to the broker (a lost or retired device); a new
    password (POST .../credentials) brings it back."""
    with engine.begin() as conn:
        creds.revoke_station(conn, target.scope.licence, target.station_id, clock.now())
    return _write(engine, settings)


def _write(engine: EngineDep, settings: SettingsDep) -> BrokerFiles:
    config = settings.broker_config()
    if config is None:
        return BrokerFiles(written=False, reloaded=False, error=None)
    try:
        reloaded = creds.write_broker_files(engine, config)
    except creds.BrokerFilesError as err:
        return BrokerFiles(written=False, reloaded=False, error=str(err))
    return BrokerFiles(written=True, reloaded=reloaded, error=None)
