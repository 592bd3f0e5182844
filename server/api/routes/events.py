"""The event log: who did what, when, from which station, and what the rules said."""

import json
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from schemas.acks import Violation
from schemas.times import Instant
from server.accounts.deps import ReadScope
from server.api.deps import EngineDep
from server.api.errors import Invalid
from server.api.listing import Page, read_one
from server.api.listroute import LicenseeListDep, list_route
from server.api.params import EventIdPath, StationQuery, UserQuery
from server.api.query import where_given
from server.compliance.deadlines.store import jurisdiction_of, own_citations
from server.db.core import table_of
from server.db.tables import EventLog
from server.reads.columns import columns_of

router = APIRouter(tags=["event log"])
L = table_of(EventLog)

KIND_PATTERN = r"^[a-z_]{1,30}\.[a-z_]{1,30}$"


class LoggedOutcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class EventOut(BaseModel):
    position: int  # order of decision on this server
    event_id: str
    kind: str
    operator_id: str  # who (ACCOUNTABLE)
    station_id: str  # from which station; "console" for the console and the API
    sequence: int
    device_id: str | None
    occurred_at: datetime  # when it happened, as the station or user said
    received_at: datetime  # when the server decided it
    outcome: LoggedOutcome
    violations: list[Violation]
    payload: dict[str, Any]  # what happened: the event's payload, as recorded


# The payload is read from the stored body; the jurisdiction picks the violations' citations.
EVENT_COLUMNS = (
    *columns_of(L, EventOut, skip={"payload"}),
    L.c.body,
    jurisdiction_of(L.c.licence),
)


def of_events(licence: str) -> sa.Select[Any]:
    """The licensee's event log, read as :func:`event_out` needs it."""
    return sa.select(*EVENT_COLUMNS).where(L.c.licence == licence)


def event_out(r: sa.RowMapping) -> EventOut:
    # The columns of EVENT_COLUMNS by name; the stored JSON decoded, citations made own.
    decoded = {
        "violations": own_citations(json.loads(r["violations"]), r["jurisdiction"]),
        "payload": json.loads(r["body"])["payload"],
    }
    return EventOut.model_validate({**r, **decoded})


@list_route(router, "/licensees/{licence}/events", EventOut)
def list_events(
    request: LicenseeListDep,
    kind: Annotated[str | None, Query(pattern=KIND_PATTERN, examples=["plant.harvested"])] = None,
    operator_id: UserQuery = None,
    station_id: StationQuery = None,
    outcome: LoggedOutcome | None = None,
    since: Annotated[Instant | None, Query(description="occurred at or after")] = None,
    until: Annotated[Instant | None, Query(description="occurred before")] = None,
) -> Page[EventOut] | Response:
    """The licensee's event log, newest first."""
    if since is not None and until is not None and until < since:
        raise Invalid("query", "until", "is before since")
    stmt = where_given(
        of_events(request.licence),
        (L.c.kind, kind),
        (L.c.operator_id, operator_id),
        (L.c.station_id, station_id),
        (L.c.outcome, outcome),
    )
    if since is not None:
        stmt = stmt.where(L.c.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(L.c.occurred_at < until)
    # Newest first by the licensee's hash chain, which numbers its events in log order
    # (docs/integrity.md): read backwards through the (licence, chain_index) index. By
    # position, PostgreSQL walks every licensee's newer events to reach a quiet one's.
    return request.respond(stmt, EventOut, (L.c.chain_index.desc(),), convert=event_out)


@router.get("/licensees/{licence}/events/{event_id}")
def get_event(scope: ReadScope, engine: EngineDep, event_id: EventIdPath) -> EventOut:
    """One event of the log."""
    stmt = of_events(scope.licence).where(L.c.event_id == event_id)
    return read_one(engine, stmt, EventOut, f"event {event_id}", convert=event_out)
