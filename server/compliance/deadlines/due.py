"""The sweep's plan: which licensees the deadline sweep has anything to do for at ``now``.

The sweep (:mod:`server.compliance.deadlines.sweep`) locks a licensee's row and runs its checks
in a transaction of its own. Most licensees, most of the time, have nothing to do: :func:`plan`
finds the ones that may, in three statements whatever the number of licensees, read without
locking anything:

1. every licensee's calendar, its tag order dates and the last business day a sweep opened
   DAILY-RECONCILE for (one probe of ``ix_notifications_subject`` per licensee, inside the
   statement);
2. the open notifications whose due time has come, and the unresolved TAG-SUPPLY ones
   (``ix_notifications_state_due``: bounded by the unresolved notifications);
3. the tag stock of every licensee and type (one grouped read of the ``tags`` ledger: the rows
   the per-licensee checks read, in one statement).

A licensee is *due* when its own sweep could change anything: a notification to mark overdue,
a day to open DAILY-RECONCILE for (outside the licensure grace with tags in transit), or a tag
type whose TAG-SUPPLY check would open a notification where none is unresolved, or resolve the
unresolved one. The test is the sweep's own (:func:`days_to_open`,
:func:`~server.compliance.deadlines.definitions.supply`), so it never leaves out a licensee the
sweep would change; it may include one whose locked check then finds nothing (a day already
reconciled by an event, a warning acknowledged since the last receipt). The plan reads committed
rows: a licensee left out had nothing to do as of that read, which is the sweep's outcome had it
locked the licensee then, before any ingest transaction still open.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from schemas.events import TagType
from server.compliance.deadlines.definitions import (
    DAILY_RECONCILE,
    TAG_SUPPLY,
    supply,
)
from server.compliance.deadlines.facts import calendar, in_transit
from server.compliance.deadlines.model import (
    UNRESOLVED,
    DeadlineSettings,
    LicenseeCalendar,
    Open,
    Resolve,
    State,
    TagStock,
)
from server.compliance.rules.calendar import is_business_day, local_date
from server.db.core_tables import DEADLINE_LICENSEES as DL
from server.db.core_tables import LICENSEES as LIC
from server.db.core_tables import NOTIFICATIONS as N
from server.db.core_tables import TAGS

MAX_CATCH_UP_DAYS = 31
RECONCILE_SUBJECT = "business_day"  # DAILY-RECONCILE's subject: the local business day


def opened_by_sweep(licence: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """The DAILY-RECONCILE notifications of ``licence`` a sweep opened (not kept from an
    event), through ``ix_notifications_subject``."""
    return sa.and_(
        N.c.licence == licence,
        N.c.rule_id == DAILY_RECONCILE,
        N.c.subject_type == RECONCILE_SUBJECT,
        N.c.opened_by_event.is_(None),
    )


def days_to_open(
    cal: LicenseeCalendar, registered_at: datetime, now: datetime, last: str | None
) -> list[date]:
    """Business days from the day after ``last`` (the last DAILY-RECONCILE day a sweep opened,
    ISO, up to today; None: none), or the licensee's registration, or its licensure, up to
    today, local; at most :data:`MAX_CATCH_UP_DAYS` back. Days already reconciled are among
    them; :func:`~server.compliance.deadlines.engine.apply_effects` does not open those
    again."""
    today = local_date(now, cal.tz)
    first = max(local_date(registered_at, cal.tz), today - timedelta(days=MAX_CATCH_UP_DAYS))
    if last is not None:
        first = max(first, date.fromisoformat(last) + timedelta(days=1))
    if cal.licensure_date is not None:
        first = max(first, cal.licensure_date)
    days = []
    day = first
    while day <= today:
        if is_business_day(day, cal.jurisdiction):
            days.append(day)
        day += timedelta(days=1)
    return days


@dataclass(slots=True)
class Plan:
    licensees: int = 0  # registered licensees looked at
    due: list[str] = field(default_factory=list)  # those to sweep, in licence order


def plan(conn: sa.Connection, now: datetime, settings: DeadlineSettings) -> Plan:
    """The licensees the sweep at ``now`` has anything to do for (see the module's text).
    Three statements; raises what the database raises."""
    # Newest day a sweep opened, with no bound at today: a day after today (only when a clock
    # went back) makes the licensee due, and its locked check reads with the bound.
    last = (
        sa.select(sa.func.max(N.c.subject_id))
        .where(opened_by_sweep(LIC.c.licence))
        .scalar_subquery()
    )
    licensees = conn.execute(
        sa.select(
            LIC.c.licence,
            LIC.c.created_at,
            LIC.c.jurisdiction,
            LIC.c.timezone,
            DL.c.close_of_business,
            DL.c.licensure_date,
            DL.c.tags_ordered_at,
            DL.c.tags_received_at,
            last,
        )
        .select_from(LIC.outerjoin(DL, DL.c.licence == LIC.c.licence))
        .order_by(LIC.c.licence)
    ).all()
    unresolved = [state.value for state in UNRESOLVED]
    noted = conn.execute(
        sa.select(N.c.licence, N.c.rule_id, N.c.subject_id, N.c.state).where(
            sa.or_(
                sa.and_(N.c.state == State.OPEN.value, N.c.due_at.is_not(None), N.c.due_at <= now),
                sa.and_(N.c.state.in_(unresolved), N.c.rule_id == TAG_SUPPLY),
            )
        )
    ).all()
    overdue = {row.licence for row in noted if row.rule_id != TAG_SUPPLY}
    warned = {(row.licence, row.subject_id) for row in noted if row.rule_id == TAG_SUPPLY}
    # TAG-SUPPLY has no due time, so an open one is never among those to mark overdue.
    stock = _stock(conn, now - timedelta(days=settings.rate_window_days))
    found = Plan(licensees=len(licensees))
    for row in licensees:
        licence, registered, jurisdiction, tz, close, licensed, ordered, received, day = row
        cal = calendar(licence, jurisdiction, tz, close, licensed)
        if (
            licence in overdue
            or _reconcile_due(cal, registered, now, day, ordered, received)
            or _supply_due(cal, now, settings, in_transit(ordered, received, now), stock, warned)
        ):
            found.due.append(licence)
    return found


def _reconcile_due(
    cal: LicenseeCalendar,
    registered: datetime,
    now: datetime,
    last: str | None,
    ordered: datetime | None,
    received: datetime | None,
) -> bool:
    if DAILY_RECONCILE not in cal.rules:
        return False
    today = local_date(now, cal.tz).isoformat()
    if last is not None and last > today:  # ISO dates sort as text
        return True
    return any(
        not (
            cal.in_licensure_grace(day)
            and in_transit(ordered, received, cal.start_of(day + timedelta(days=1)))
        )
        for day in days_to_open(cal, registered, now, last)
    )


def _supply_due(
    cal: LicenseeCalendar,
    now: datetime,
    settings: DeadlineSettings,
    transit: bool,
    stock: dict[tuple[str, str], tuple[int, int]],
    warned: set[tuple[str, str]],
) -> bool:
    """Whether the TAG-SUPPLY check of some tag type would open a notification where none is
    unresolved, or resolve the unresolved one (the last receipt, which only decides whether
    an acknowledged warning comes back, is left to the locked check)."""
    if TAG_SUPPLY not in cal.rules:
        return False
    for tag_type in TagType:
        available, used = stock.get((cal.licence, tag_type.value), (0, 0))
        effects = supply(
            cal,
            TagStock(tag_type.value, available, used, None),
            settings.supply_days,
            settings.rate_window_days,
            now,
            transit,
        )
        open_one = (cal.licence, tag_type.value) in warned
        if any(isinstance(e, Resolve) if open_one else isinstance(e, Open) for e in effects):
            return True
    return False


def _stock(conn: sa.Connection, since: datetime) -> dict[tuple[str, str], tuple[int, int]]:
    """(available, assigned since ``since``) per licence and tag type, as
    :meth:`~server.compliance.deadlines.facts.DbFacts.tag_stock` counts them."""
    rows: Iterable[Any] = conn.execute(
        sa.select(
            TAGS.c.licence,
            TAGS.c.tag_type,
            sa.func.count().filter(TAGS.c.status == "available"),
            sa.func.count().filter(TAGS.c.assigned_at >= since),
        ).group_by(TAGS.c.licence, TAGS.c.tag_type)
    )
    return {(licence, kind): (int(a), int(u)) for licence, kind, a, u in rows}
