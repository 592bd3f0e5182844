"""Daily reconciliation at close of business (DAILY-RECONCILE; OR Reconciliation (1)(b);
CA 8406(a)).

The report shows the inventory on the premises and in transit, by item and state (as it stands
now, from the current state), what was recorded during the business day (events whose
``occurred_at`` falls between the previous day's close of business and this day's, in the
licensee's time zone; midnight to midnight when no close of business is set), and who already
reconciled that day. Recording the reconciliation is the event ``reconciliation.recorded``,
attributed to the signed-in user; it resolves that day's DAILY-RECONCILE notification.
"""

from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from schemas.ids import Text
from schemas.records import ReconciliationRecorded
from schemas.times import Day
from server.accounts.deps import ReadScope, WriteScope
from server.api.deps import ClockDep, EngineDep, Recorded, RecorderDep, event_of
from server.api.errors import Invalid
from server.api.listing import Page
from server.api.listroute import LicenseeListDep, licensee_list, list_route
from server.api.params import BodyIn
from server.api.query import of_licensee
from server.compliance.rules.calendar import local_date, local_time
from server.db.core import table_of
from server.db.tables import EventLog, LicenceDetails, Licensee, Reconciliation
from server.reads.inventory import InventoryLine, current

router = APIRouter(tags=["reconciliation and audit"])
L = table_of(EventLog)
LIC = table_of(Licensee)
LD = table_of(LicenceDetails)
REC = table_of(Reconciliation)

# A reconciliation is of a recent day: far past or future dates are typing errors.
MAX_DAYS_BACK = 366


class Change(BaseModel):
    kind: str
    accepted: int
    rejected: int


class ReconciliationOut(BaseModel):
    business_date: date
    note: str | None
    recorded_at: datetime
    recorded_by: str  # who closed the day


class ReconciliationReport(BaseModel):
    business_date: date
    timezone: str
    close_of_business: time | None  # local; null: the day ends at midnight
    window_start: datetime  # the previous business day's close, UTC
    window_end: datetime  # this day's close, UTC
    on_premises: list[InventoryLine]
    in_transit: list[InventoryLine]
    changes: list[Change]  # what was recorded during the day, by kind
    reconciled: list[ReconciliationOut]  # already recorded for this date


class InventoryRow(InventoryLine):
    where: Literal["on_premises", "in_transit"]


class ReconciliationIn(BodyIn):
    business_date: Day
    note: Text | None = None


def _zone_and_close(conn: sa.Connection, licence: str) -> tuple[ZoneInfo, time | None]:
    row = conn.execute(
        sa.select(LIC.c.timezone, LD.c.close_of_business)
        .select_from(LIC.outerjoin(LD, LD.c.licence == LIC.c.licence))
        .where(LIC.c.licence == licence)
    ).one()
    return ZoneInfo(row.timezone), row.close_of_business


def _day_end(day: date, tz: ZoneInfo, close: time | None) -> datetime:
    if close is None:
        return local_time(day + timedelta(days=1), tz, time(0))
    return local_time(day, tz, close)


def _check_day(day: date, today: date, field: str) -> None:
    if day > today:
        raise Invalid("query" if field == "date" else "body", field, f"{day} is in the future")
    if (today - day).days > MAX_DAYS_BACK:
        raise Invalid(
            "query" if field == "date" else "body",
            field,
            f"{day} is more than {MAX_DAYS_BACK} days ago",
        )


@router.get("/licensees/{licence}/reconciliation")
def reconciliation_report(
    scope: ReadScope,
    engine: EngineDep,
    clock: ClockDep,
    business_date: Annotated[
        date | None, Query(alias="date", description="Local business date; default today")
    ] = None,
) -> ReconciliationReport:
    """The close-of-business report: inventory by item and state, the day's changes, and who
    reconciled it."""
    with engine.connect() as conn:
        tz, close = _zone_and_close(conn, scope.licence)
        today = local_date(clock.now(), tz)
        day = today if business_date is None else business_date
        _check_day(day, today, "date")
        start, end = _day_end(day - timedelta(days=1), tz, close), _day_end(day, tz, close)
        changes = conn.execute(
            sa.select(L.c.kind, L.c.outcome, sa.func.count())
            .where(L.c.licence == scope.licence, L.c.occurred_at >= start, L.c.occurred_at < end)
            .group_by(L.c.kind, L.c.outcome)
        ).all()
        here, away = current(conn, scope.licence)
        reconciled = conn.execute(
            of_licensee(REC, ReconciliationOut, scope.licence)
            .where(REC.c.business_date == day)
            .order_by(REC.c.position)
        ).mappings()
        by_kind: dict[str, Change] = {}
        for kind, outcome, n in changes:
            c = by_kind.setdefault(kind, Change(kind=kind, accepted=0, rejected=0))
            if outcome == "accepted":
                c.accepted += n
            else:
                c.rejected += n
        return ReconciliationReport(
            business_date=day,
            timezone=tz.key,
            close_of_business=close,
            window_start=start,
            window_end=end,
            on_premises=here,
            in_transit=away,
            changes=sorted(by_kind.values(), key=lambda c: c.kind),
            reconciled=[ReconciliationOut(**r) for r in reconciled],
        )


@list_route(router, "/licensees/{licence}/inventory", InventoryRow)
def inventory(request: LicenseeListDep) -> Page[InventoryRow] | Response:
    """The inventory now, on the premises and in transit, by item and state."""
    with request.engine.connect() as conn:
        here, away = current(conn, request.licence)
    rows = [InventoryRow(where="on_premises", **line.model_dump()) for line in here]
    rows += [InventoryRow(where="in_transit", **line.model_dump()) for line in away]
    return request.items(rows, InventoryRow)


@router.post("/licensees/{licence}/reconciliation", status_code=201)
def record_reconciliation(
    scope: WriteScope,
    record: RecorderDep,
    engine: EngineDep,
    clock: ClockDep,
    body: ReconciliationIn,
) -> Recorded:
    """Record that the day's inventory was reconciled (reconciliation.recorded), as the
    signed-in user; it resolves that day's DAILY-RECONCILE notification."""
    with engine.connect() as conn:
        tz, _ = _zone_and_close(conn, scope.licence)
    _check_day(body.business_date, local_date(clock.now(), tz), "business_date")
    return record(scope, event_of(ReconciliationRecorded, body))


licensee_list(
    router,
    "/licensees/{licence}/reconciliations",
    REC,
    ReconciliationOut,
    (REC.c.position.desc(),),
    "Every recorded reconciliation, newest first: the date and who closed it.",
)
