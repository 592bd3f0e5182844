"""The sweep's plan: which licensees the deadline sweep has anything to do for at ``now``.

The sweep (:mod:`server.compliance.deadlines.sweep`) locks a licensee's row and runs its checks
in a transaction of its own. Most licensees, most of the time, have nothing to do: :func:`plan`
finds the ones that may, in three statements whatever the number of licensees (five when a
tag stock is low), read without locking anything:

1. every licensee's calendar, its tag order dates and the last business day a sweep opened
   DAILY-RECONCILE for (one probe of ``ix_notifications_subject`` per licensee, inside the
   statement);
2. the open notifications whose due time has come, and the unresolved TAG-SUPPLY ones
   (``ix_notifications_state_due``: bounded by the unresolved notifications);
3. the tag stock of every licensee and type (the tags on hand and those assigned in the rate
   window, each through a partial index of the ``tags`` ledger, in one statement: the counts
   the per-licensee checks make);
4. only when some tag type's stock is low with no warning unresolved: those licensees' last
   receipts and TAG-SUPPLY notifications (two statements), since a warning acknowledged since
   the last receipt does not come back.

A licensee is *due* when its own sweep could change anything: a notification to mark overdue,
a day to open DAILY-RECONCILE for (outside the licensure grace with tags in transit), or a tag
type whose TAG-SUPPLY check would open a notification where none is unresolved, or resolve the
unresolved one; :class:`Due` says which of those checks its locked sweep runs (each decides on
notifications of its own: none depends on what another writes). The test is the sweep's own
(:func:`days_to_open`, :func:`~server.compliance.deadlines.definitions.supply`), so it never
leaves out a check that would change something; it may include one that then finds nothing (a
day already reconciled by an event). The plan reads committed rows: a check left out had
nothing to do as of that read, which is its outcome had it run then, before any ingest
transaction still open (the next sweep sees what such a transaction changed).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from schemas.events import TagType
from server.compliance.deadlines.definitions import (
    DAILY_RECONCILE,
    TAG_SUPPLY,
    supply,
)
from server.compliance.deadlines.engine import blocks
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
from server.db.among import among
from server.db.core_tables import DEADLINE_LICENSEES as DL
from server.db.core_tables import LICENSEES as LIC
from server.db.core_tables import NOTIFICATIONS as N
from server.db.core_tables import TAGS

MAX_CATCH_UP_DAYS = 31
RECONCILE_SUBJECT = "business_day"  # DAILY-RECONCILE's subject: the local business day
SUPPLY_SUBJECT = "tag_stock"  # TAG-SUPPLY's subject: the tag type


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


@dataclass(frozen=True, slots=True)
class Due:
    """Which of its checks a licensee's sweep has to run."""

    overdue: bool = False  # an open notification's due time has come
    reconcile: bool = False  # a day to open DAILY-RECONCILE for
    supply: bool = False  # a TAG-SUPPLY warning to open or to resolve


EVERYTHING = Due(overdue=True, reconcile=True, supply=True)


@dataclass(slots=True)
class Plan:
    licensees: int = 0  # registered licensees looked at
    due: dict[str, Due] = field(default_factory=dict)  # those to sweep, in licence order


def plan(conn: sa.Connection, now: datetime, settings: DeadlineSettings) -> Plan:
    """The licensees the sweep at ``now`` has anything to do for (see the module's text).
    Three to five statements; raises what the database raises."""
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
    warn: dict[str, set[str]] = {}  # licence: tag types whose check would open a warning
    for row in licensees:
        licence, registered, jurisdiction, tz, close, licensed, ordered, received, day = row
        cal = calendar(licence, jurisdiction, tz, close, licensed)
        transit = in_transit(ordered, received, now)
        resolves, opens = _supply(cal, now, settings, transit, stock, warned)
        due = Due(
            overdue=licence in overdue,
            reconcile=_reconcile_due(cal, registered, now, day, ordered, received),
            supply=resolves,
        )
        if due != Due():
            found.due[licence] = due
        if opens and not resolves:
            warn[licence] = opens
    if warn:
        for licence in _not_blocked(conn, warn):
            found.due[licence] = replace(found.due.get(licence, Due()), supply=True)
        found.due = dict(sorted(found.due.items()))
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


def _supply(
    cal: LicenseeCalendar,
    now: datetime,
    settings: DeadlineSettings,
    transit: bool,
    stock: dict[tuple[str, str], tuple[int, int]],
    warned: set[tuple[str, str]],
) -> tuple[bool, set[str]]:
    """What the TAG-SUPPLY check of each tag type would do: whether it resolves an unresolved
    warning, and the types whose check would open one where none is unresolved (unless a
    closed one since the last receipt keeps it from opening: :func:`_not_blocked`)."""
    opens: set[str] = set()
    if TAG_SUPPLY not in cal.rules:
        return False, opens
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
        if open_one and any(isinstance(e, Resolve) for e in effects):
            return True, opens
        if not open_one and any(isinstance(e, Open) for e in effects):
            opens.add(tag_type.value)
    return False, opens


def _not_blocked(conn: sa.Connection, warn: dict[str, set[str]]) -> list[str]:
    """The licensees of ``warn`` (licence: tag types) for which some type's warning would
    open: its newest TAG-SUPPLY notification, closed, does not keep it from opening
    (:func:`~server.compliance.deadlines.engine.blocks`, with the type's last receipt). Two
    statements over those licensees' tags and TAG-SUPPLY notifications only."""
    licences = sorted(warn)
    received = {
        (licence, kind): last
        for licence, kind, last in conn.execute(
            sa.select(TAGS.c.licence, TAGS.c.tag_type, sa.func.max(TAGS.c.received_at))
            .where(among(TAGS.c.licence, licences))
            .group_by(TAGS.c.licence, TAGS.c.tag_type)
        )
    }
    newest: dict[tuple[str, str], tuple[str, datetime]] = {}
    for licence, kind, state, started in conn.execute(
        sa.select(N.c.licence, N.c.subject_id, N.c.state, N.c.started_at)
        .where(
            among(N.c.licence, licences),
            N.c.rule_id == TAG_SUPPLY,
            N.c.subject_type == SUPPLY_SUBJECT,
        )
        .order_by(N.c.id)
    ):
        newest[(licence, kind)] = (state, started)
    found = []
    for licence in licences:
        for kind in warn[licence]:
            row = newest.get((licence, kind))
            if row is None or not blocks(State(row[0]), row[1], received.get((licence, kind))):
                found.append(licence)
                break
    return found


def _stock(conn: sa.Connection, since: datetime) -> dict[tuple[str, str], tuple[int, int]]:
    """(available, assigned since ``since``) per licence and tag type, as
    :meth:`~server.compliance.deadlines.facts.DbFacts.tag_stock` counts them (a licence and
    type with neither is left out: (0, 0)).

    One statement of two grouped reads, each through a partial index of its own
    (``ix_tags_available``, ``ix_tags_assigned_at``, migration 0024): the tags on hand and the
    tags assigned since ``since``, not the rest of the ledger (retired tags, and tags assigned
    before the window, which is most of it once a licensee has grown for a while)."""
    available = (
        sa.select(TAGS.c.licence, TAGS.c.tag_type, sa.func.count(), sa.literal(0))
        .where(TAGS.c.status == "available")
        .group_by(TAGS.c.licence, TAGS.c.tag_type)
    )
    used = (
        sa.select(TAGS.c.licence, TAGS.c.tag_type, sa.literal(0), sa.func.count())
        .where(TAGS.c.assigned_at >= since)
        .group_by(TAGS.c.licence, TAGS.c.tag_type)
    )
    rows: Iterable[Any] = conn.execute(sa.union_all(available, used))
    out: dict[tuple[str, str], tuple[int, int]] = {}
    for licence, kind, a, u in rows:
        held = out.get((licence, kind), (0, 0))
        out[(licence, kind)] = (held[0] + int(a), held[1] + int(u))
    return out
