"""The periodic sweep: what no event triggers.

For each licensee, in its own transaction with the licensee's row locked (like ingest, so a
sweep in one process and ingest in another never both open the same notification):

- open notifications whose due time has passed are marked overdue;
- DAILY-RECONCILE is opened for each business day, from local midnight, due at close of
  business; days missed while no sweep ran (the service was down) are opened too, at most
  :data:`MAX_CATCH_UP_DAYS` back and never before the licensee was registered or licensed.
  Not in the first 10 calendar days of licensure while ordered tags are in transit
  (OR Reconciliation (2)). Lab samples under test (OR Reconciliation (3)) have no events yet;
  they are not treated specially;
- TAG-SUPPLY is checked for each tag type.

:func:`sweep` takes ``now``: the ingest worker passes the wall clock every
``deadline_sweep_s`` seconds, tests pass any time.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.events import TagType
from server.compliance.deadlines import store
from server.compliance.deadlines.definitions import (
    DAILY_RECONCILE,
    TAG_SUPPLY,
    reconcile_day,
    supply,
)
from server.compliance.deadlines.engine import apply_effects
from server.compliance.deadlines.facts import DbFacts, load_calendar
from server.compliance.deadlines.model import DeadlineSettings, Effect, LicenseeCalendar
from server.compliance.rules.calendar import is_business_day, local_date
from server.db.core_tables import LICENSEES as LIC
from server.db.core_tables import NOTIFICATIONS as N

MAX_CATCH_UP_DAYS = 31


@dataclass(slots=True)
class SweepReport:
    licensees: int = 0
    opened: int = 0
    overdue: int = 0
    resolved: int = 0


def sweep(engine: Engine, now: datetime, settings: DeadlineSettings | None = None) -> SweepReport:
    """Run the sweep for every licensee at ``now``."""
    settings = DeadlineSettings() if settings is None else settings
    report = SweepReport()
    with engine.connect() as conn:
        licences = list(conn.execute(sa.select(LIC.c.licence).order_by(LIC.c.licence)).scalars())
    for licence in licences:
        with engine.begin() as conn:
            registered = conn.execute(
                sa.select(LIC.c.created_at).where(LIC.c.licence == licence).with_for_update()
            ).scalar_one_or_none()
            if registered is None:  # removed since the list was read
                continue
            sweep_licensee(conn, licence, registered, now, settings, report)
        report.licensees += 1
    return report


def sweep_licensee(
    conn: sa.Connection,
    licence: str,
    registered_at: datetime,
    now: datetime,
    settings: DeadlineSettings,
    report: SweepReport,
) -> None:
    cal = load_calendar(conn, licence)
    if cal is None:
        return
    facts = DbFacts(conn, licence)
    report.overdue += store.mark_overdue(conn, licence, now)
    effects: list[Effect] = []
    if DAILY_RECONCILE in cal.rules:
        for day in _days_to_open(conn, cal, registered_at, now):
            end_of_day = cal.start_of(day + timedelta(days=1))
            if not (cal.in_licensure_grace(day) and facts.tags_in_transit(end_of_day)):
                effects.append(reconcile_day(cal, day))
    if TAG_SUPPLY in cal.rules:
        since = now - timedelta(days=settings.rate_window_days)
        in_transit = facts.tags_in_transit(now)
        for tag_type in TagType:
            stock = facts.tag_stock(tag_type.value, since)
            effects += supply(
                cal, stock, settings.supply_days, settings.rate_window_days, now, in_transit
            )
    applied = apply_effects(conn, cal, effects, now=now, facts=facts)
    report.opened += applied.opened
    report.resolved += applied.resolved


def _days_to_open(
    conn: sa.Connection, cal: LicenseeCalendar, registered_at: datetime, now: datetime
) -> list[date]:
    """Business days from the day after the last DAILY-RECONCILE the sweep opened (or the
    licensee's registration, or its licensure) up to today, local. Days already reconciled
    are among them; :func:`~server.compliance.deadlines.engine.apply_effects` does not open those
    again."""
    today = local_date(now, cal.tz)
    last = conn.execute(
        sa.select(sa.func.max(N.c.subject_id)).where(
            N.c.licence == cal.licence,
            N.c.rule_id == DAILY_RECONCILE,
            N.c.opened_by_event.is_(None),  # opened by a sweep, not kept from an event
            N.c.subject_id <= today.isoformat(),  # ISO dates sort as text
        )
    ).scalar_one_or_none()
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
