"""The periodic sweep: what no event triggers.

For each licensee with anything to do (:func:`~server.compliance.deadlines.due.plan`: three
statements find them, whatever the number of licensees), in its own transaction with the
licensee's row locked (like ingest, so a sweep in one process and ingest in another never both
open the same notification, and the ingest waits for one licensee's checks at most, never for a
batch of licensees):

- open notifications whose due time has passed are marked overdue;
- DAILY-RECONCILE is opened for each business day, from local midnight, due at close of
  business; days missed while no sweep ran (the service was down) are opened too, at most
  :data:`~server.compliance.deadlines.due.MAX_CATCH_UP_DAYS` back and never before the licensee
  was registered or licensed.
  Not in the first 10 calendar days of licensure while ordered tags are in transit
  (OR Reconciliation (2)). Lab samples under test (OR Reconciliation (3)) have no events yet;
  they are not treated specially;
- TAG-SUPPLY is checked for each tag type.

:func:`sweep` takes ``now``: the ingest worker passes the wall clock every
``deadline_sweep_s`` seconds, tests pass any time. :func:`sweep_each` is the sweep without the
plan (a transaction for every licensee): the reference the plan is checked against
(``tests/server/test_sweep_plan.py``) and measured against (``benchmarks/sweep.py``).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

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
from server.compliance.deadlines.due import EVERYTHING, Due, days_to_open, opened_by_sweep, plan
from server.compliance.deadlines.engine import apply_effects
from server.compliance.deadlines.facts import DbFacts, load_calendar
from server.compliance.deadlines.model import DeadlineSettings, Effect
from server.compliance.rules.calendar import local_date
from server.db.core_tables import LICENSEES as LIC
from server.db.core_tables import NOTIFICATIONS as N


@dataclass(slots=True)
class SweepReport:
    licensees: int = 0  # registered licensees looked at
    swept: int = 0  # of them, those checked in a transaction of their own
    opened: int = 0
    overdue: int = 0
    resolved: int = 0


def sweep(engine: Engine, now: datetime, settings: DeadlineSettings | None = None) -> SweepReport:
    """Run the sweep at ``now`` for every licensee with anything to do."""
    settings = DeadlineSettings() if settings is None else settings
    with engine.connect() as conn:
        found = plan(conn, now, settings)
    report = SweepReport(licensees=found.licensees)
    for licence, due in found.due.items():
        _sweep_locked(engine, licence, now, settings, report, due)
    return report


def sweep_each(
    engine: Engine, now: datetime, settings: DeadlineSettings | None = None
) -> SweepReport:
    """Run the sweep at ``now`` for every licensee, each in its own transaction, without the
    plan: the same outcomes as :func:`sweep`, a transaction per licensee."""
    settings = DeadlineSettings() if settings is None else settings
    report = SweepReport()
    with engine.connect() as conn:
        licences = list(conn.execute(sa.select(LIC.c.licence).order_by(LIC.c.licence)).scalars())
    for licence in licences:
        if _sweep_locked(engine, licence, now, settings, report):
            report.licensees += 1
    return report


def _sweep_locked(
    engine: Engine,
    licence: str,
    now: datetime,
    settings: DeadlineSettings,
    report: SweepReport,
    due: Due = EVERYTHING,
) -> bool:
    """Run the checks ``due`` of ``licence`` with its row locked; False when it was removed
    meanwhile."""
    with engine.begin() as conn:
        registered = conn.execute(
            sa.select(LIC.c.created_at).where(LIC.c.licence == licence).with_for_update()
        ).scalar_one_or_none()
        if registered is None:  # removed since the list was read
            return False
        sweep_licensee(conn, licence, registered, now, settings, report, due)
    report.swept += 1
    return True


def sweep_licensee(
    conn: sa.Connection,
    licence: str,
    registered_at: datetime,
    now: datetime,
    settings: DeadlineSettings,
    report: SweepReport,
    due: Due = EVERYTHING,
) -> None:
    """The checks ``due`` of ``licence`` at ``now``, on ``conn`` (its row locked)."""
    cal = load_calendar(conn, licence)
    if cal is None:
        return
    facts = DbFacts(conn, licence)
    if due.overdue:
        report.overdue += store.mark_overdue(conn, licence, now)
    effects: list[Effect] = []
    if due.reconcile and DAILY_RECONCILE in cal.rules:
        last = _last_opened(conn, licence, now, cal.tz)
        for day in days_to_open(cal, registered_at, now, last):
            end_of_day = cal.start_of(day + timedelta(days=1))
            if not (cal.in_licensure_grace(day) and facts.tags_in_transit(end_of_day)):
                effects.append(reconcile_day(cal, day))
    if due.supply and TAG_SUPPLY in cal.rules:
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


def _last_opened(conn: sa.Connection, licence: str, now: datetime, tz: ZoneInfo) -> str | None:
    """The last business day up to today, local, a sweep opened DAILY-RECONCILE for (ISO)."""
    today = local_date(now, tz)
    return conn.execute(
        sa.select(sa.func.max(N.c.subject_id)).where(
            opened_by_sweep(sa.literal(licence)),
            N.c.subject_id <= today.isoformat(),  # ISO dates sort as text
        )
    ).scalar_one_or_none()
