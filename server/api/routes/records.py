"""Compliance records: flags and corrections of earlier events, losses of access, tag orders.

A correction never changes the event it corrects (NO-FALSIFICATION): it is a new event,
``record.corrected``, that keeps the original in the log and names what should have been
recorded instead, within 3 business days of discovery (CORRECTION-3BD).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field

from schemas.events import CorrectablePayload, RecordCorrected
from schemas.ids import Text
from schemas.records import AccessLost, AccessRestored, RecordFlagged, TagsOrdered
from schemas.times import Instant
from server.accounts.deps import ReadScope, Scope, WriteScope
from server.api.deps import EngineDep, Recorded, RecorderDep, event_of
from server.api.errors import Conflict
from server.api.listing import Page, one, read_one
from server.api.listroute import LicenseeListDep, licensee_list, list_route
from server.api.params import BodyIn, EventIdPath
from server.api.query import of_licensee
from server.db.core import table_of
from server.db.tables import AccessLoss, Correction, EventLog, FlaggedRecord, TagOrder
from server.reads.columns import columns_of

router = APIRouter(tags=["records"])
L = table_of(EventLog)
CORR = table_of(Correction)
FLAG = table_of(FlaggedRecord)
LOSS = table_of(AccessLoss)
ORD = table_of(TagOrder)


class CorrectionIn(BodyIn):
    reason: Text
    discovered_at: Instant  # when the error was found: the 3 business days start here
    replacement: CorrectablePayload  # what should have been recorded, of the same kind


class FlagIn(BodyIn):
    problem: Text
    discovered_at: Instant


class RestorationIn(BodyIn):
    restored_at: Instant
    cause: Text
    backlog: Annotated[int, Field(ge=0, le=1_000_000)]  # events made during the loss


class CorrectionOut(BaseModel):
    event_id: str  # the record.corrected event
    corrects: str  # the event it replaces (kept in the log)
    root_event_id: str  # the first event of a chain of corrections
    replacement_kind: str
    reason: str
    discovered_at: datetime
    corrected_at: datetime
    corrected_by: str


class FlagOut(BaseModel):
    position: int
    event_id: str
    problem: str
    discovered_at: datetime
    flagged_by: str
    corrected_by_event: str | None  # the correction of the flagged event, once recorded


class AccessLossOut(BaseModel):
    lost_event_id: str
    station_id: str | None  # null: the whole premises
    lost_at: datetime
    cause: str
    reported_by: str
    restored_event_id: str | None
    restored_at: datetime | None
    restore_cause: str | None
    backlog: int | None
    restored_by: str | None


class TagOrderOut(BaseModel):
    position: int
    tag_type: Literal["plant", "package"]
    quantity: int
    order_reference: str
    ordered_at: datetime
    ordered_by: str


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    scope: Scope
    event_id: str
    kind: str


def logged_event(scope: WriteScope, engine: EngineDep, event_id: EventIdPath) -> LoggedEvent:
    """An accepted event of this licensee's log, looked up before the body is read."""
    stmt = sa.select(L.c.kind, L.c.outcome).where(
        L.c.licence == scope.licence, L.c.event_id == event_id
    )
    with engine.connect() as conn:
        row = one(conn, stmt, f"event {event_id}")
    if row["outcome"] != "accepted":
        raise Conflict(
            f"event {event_id} was rejected and changed nothing; there is nothing to correct"
        )
    return LoggedEvent(scope, event_id, row["kind"])


LoggedEventDep = Annotated[LoggedEvent, Depends(logged_event)]


@router.post("/licensees/{licence}/events/{event_id}/correction", status_code=201)
def correct_event(
    target: LoggedEventDep, record: RecorderDep, engine: EngineDep, body: CorrectionIn
) -> Recorded:
    """Correct an accepted event (record.corrected): the original stays in the log; the
    replacement, of the same kind, takes its place in the current state."""
    with engine.connect() as conn:
        later = conn.execute(
            sa.select(CORR.c.event_id).where(
                CORR.c.licence == target.scope.licence, CORR.c.corrects == target.event_id
            )
        ).scalar_one_or_none()
    if later is not None:
        raise Conflict(
            f"event {target.event_id} was already corrected by {later}; correct that instead"
        )
    return record(target.scope, event_of(RecordCorrected, body, corrects=target.event_id))


@router.post("/licensees/{licence}/events/{event_id}/flag", status_code=201)
def flag_event(target: LoggedEventDep, record: RecorderDep, body: FlagIn) -> Recorded:
    """Say an accepted event is wrong (record.flagged): CORRECTION-3BD's clock starts at
    ``discovered_at``."""
    return record(target.scope, event_of(RecordFlagged, body, event_id=target.event_id))


licensee_list(
    router,
    "/licensees/{licence}/corrections",
    CORR,
    CorrectionOut,
    (CORR.c.corrected_at.desc(), CORR.c.event_id.desc()),
    "Corrections, newest first.",
)


@list_route(router, "/licensees/{licence}/flagged-records", FlagOut)
def list_flags(request: LicenseeListDep, open_only: bool = False) -> Page[FlagOut] | Response:
    """Events flagged as wrong, newest first; ``open_only``: those not yet corrected."""
    corrected = CORR.c.event_id.label("corrected_by_event")
    stmt = (
        sa.select(*columns_of(FLAG, FlagOut, skip={"corrected_by_event"}), corrected)
        .select_from(
            FLAG.outerjoin(
                CORR, sa.and_(CORR.c.licence == FLAG.c.licence, CORR.c.corrects == FLAG.c.event_id)
            )
        )
        .where(FLAG.c.licence == request.licence)
    )
    if open_only:
        stmt = stmt.where(CORR.c.event_id.is_(None))
    return request.respond(stmt, FlagOut, (FLAG.c.position.desc(),))


@list_route(router, "/licensees/{licence}/access-losses", AccessLossOut)
def list_access_losses(
    request: LicenseeListDep, open_only: bool = False
) -> Page[AccessLossOut] | Response:
    """Losses of access to the system, newest first; ``open_only``: not yet restored."""
    stmt = of_licensee(LOSS, AccessLossOut, request.licence)
    if open_only:
        stmt = stmt.where(LOSS.c.restored_event_id.is_(None))
    # the event that recorded a loss breaks ties between losses at the same moment
    order = LOSS.c.lost_at.desc(), LOSS.c.lost_event_id.desc()
    return request.respond(stmt, AccessLossOut, order)


@router.get("/licensees/{licence}/access-losses/{lost_event_id}")
def get_access_loss(
    scope: ReadScope, engine: EngineDep, lost_event_id: EventIdPath
) -> AccessLossOut:
    """One loss of access, by the event that recorded it."""
    stmt = of_licensee(LOSS, AccessLossOut, scope.licence)
    stmt = stmt.where(LOSS.c.lost_event_id == lost_event_id)
    return read_one(engine, stmt, AccessLossOut, f"loss of access {lost_event_id}")


@router.post("/licensees/{licence}/access-losses", status_code=201)
def record_access_loss(scope: WriteScope, record: RecorderDep, body: AccessLost) -> Recorded:
    """Record a loss of access with its date, time and cause (OUTAGE-BACKFILL); no transfer
    until access is back and the backlog entered (TRANSFER-AFTER-OUTAGE)."""
    return record(scope, body)


def open_loss(scope: WriteScope, engine: EngineDep, lost_event_id: EventIdPath) -> Scope:
    """A loss of access of this licensee not yet restored, looked up before the body."""
    stmt = sa.select(LOSS.c.restored_event_id).where(
        LOSS.c.licence == scope.licence, LOSS.c.lost_event_id == lost_event_id
    )
    with engine.connect() as conn:
        found = one(conn, stmt, f"loss of access {lost_event_id}")
    if found["restored_event_id"] is not None:
        raise Conflict(f"loss of access {lost_event_id} was already restored")
    return scope


@router.post("/licensees/{licence}/access-losses/{lost_event_id}/restoration", status_code=201)
def record_restoration(
    scope: Annotated[Scope, Depends(open_loss)],
    record: RecorderDep,
    lost_event_id: EventIdPath,
    body: RestorationIn,
) -> Recorded:
    """Access came back (access.restored), with the cause and how many events were made in
    the meantime."""
    return record(scope, event_of(AccessRestored, body, lost_event_id=lost_event_id))


licensee_list(
    router,
    "/licensees/{licence}/tag-orders",
    ORD,
    TagOrderOut,
    (ORD.c.position.desc(),),
    "UID tags requested from the vendor, newest first (TAG-REQUEST-5BD).",
)


@router.post("/licensees/{licence}/tag-orders", status_code=201)
def order_tags(scope: WriteScope, record: RecorderDep, body: TagsOrdered) -> Recorded:
    """Record UID tags requested from the vendor or department (tags.ordered)."""
    return record(scope, body)
