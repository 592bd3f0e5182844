"""The deadline engine's vocabulary: a licensee's calendar, the facts a deadline may need, and
the effects a definition returns (open a notification, resolve one).

Definitions (:mod:`server.compliance.deadlines.definitions`) are pure: they take a :class:`Context`
and
return effects; the engine (:mod:`server.compliance.deadlines.engine`) applies the effects to the
notification store. So each rule is tested without a database.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from schemas.events import EventEnvelope
from server.compliance.rules.calendar import (
    Jurisdiction,
    add_business_days,
    add_calendar_days,
    add_hours,
    close_of_business,
    local_date,
    local_time,
    nth_business_day,
)
from server.compliance.rules.catalogue import CATALOGUE

# Close of business when the licensee never set one (licence.updated close_of_business).
DEFAULT_CLOSE = time(17, 0)
# OR UID Tags (1)(b), Reconciliation (2): no tags and no daily reconciliation are required in
# the first ten calendar days of licensure while ordered tags are in transit.
LICENSURE_GRACE_DAYS = 10


class Category(StrEnum):
    COMPLIANCE = "compliance"  # cannot be dismissed until resolved
    INFORMATIONAL = "informational"  # may be acknowledged (dismissed) at any time


class State(StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"  # still unresolved after its due time
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


UNRESOLVED = (State.OPEN, State.OVERDUE)


@dataclass(frozen=True, slots=True)
class DeadlineSettings:
    """TAG-SUPPLY: warn when the unassigned tags of a type last fewer than ``supply_days`` days
    at the rate of use over the last ``rate_window_days`` days."""

    supply_days: int = 14
    rate_window_days: int = 14

    def __post_init__(self) -> None:
        if self.supply_days < 1 or self.rate_window_days < 1:
            raise ValueError("supply_days and rate_window_days must be at least 1")


@dataclass(frozen=True, slots=True)
class LicenseeCalendar:
    """What decides a licensee's due times: its state's business days, its zone, its close of
    business, its licensure date, and the section B rules of its jurisdiction's pack."""

    licence: str
    jurisdiction: Jurisdiction
    tz: ZoneInfo
    close: time = DEFAULT_CLOSE
    licensure_date: date | None = None
    rules: frozenset[str] = frozenset()

    def due(self, rule_id: str, start: datetime) -> datetime | None:
        """When ``rule_id``'s deadline, started at ``start``, falls due (UTC); None for a rule
        without a due time (TAG-SUPPLY), or whose limit this licensee's state does not set
        (CORRECTION-3BD and OUTAGE-BACKFILL in Oregon). Follows the rule's catalogue
        :class:`Deadline`:
        business and calendar days end at the local midnight after the last day, hours are
        elapsed time, close of business is this licensee's closing time on the business day of
        ``start`` (the next one when ``start`` falls on a weekend or holiday)."""
        deadline = CATALOGUE[rule_id].deadline
        if deadline is None:
            raise ValueError(f"{rule_id} is not a deadline (section B of docs/rules.md)")
        if not deadline.limits(self.jurisdiction):
            return None  # this state's text sets the duty, not a limit: nothing falls due
        if deadline.kind == "business_days":
            return add_business_days(start, deadline.amount, self.jurisdiction, self.tz)
        if deadline.kind == "calendar_days":
            return add_calendar_days(start, deadline.amount, self.tz)
        if deadline.kind == "hours":
            return add_hours(start, deadline.amount)
        if deadline.kind == "close_of_business":
            day = nth_business_day(local_date(start, self.tz), 0, self.jurisdiction)
            return close_of_business(day, self.tz, self.close)
        return None

    def start_of(self, day: date) -> datetime:
        """Local midnight starting ``day``, in UTC."""
        return local_time(day, self.tz, time(0))

    def in_licensure_grace(self, day: date) -> bool:
        """Whether ``day`` is one of the first ten calendar days of licensure."""
        if self.licensure_date is None:
            return False
        return self.licensure_date <= day < self.licensure_date + timedelta(LICENSURE_GRACE_DAYS)

    def show(self, moment: datetime) -> str:
        """``moment`` in the licensee's local time, for messages: 'Wed 2026-12-02 17:00 PST'."""
        return moment.astimezone(self.tz).strftime("%a %Y-%m-%d %H:%M %Z")

    def show_due(self, due: datetime) -> str:
        """``due`` as :func:`show_due` says it in this licensee's zone."""
        return show_due(due, self.tz)


def show_due(due: datetime, tz: ZoneInfo) -> str:
    """A due time as a person reads a deadline, in the premises' zone ``tz``: a day-based one
    ends at local midnight, which is said as the end of the day it closes ('end of Wed
    2026-12-02 (PST)', not 'Thu 00:00', which reads as the morning after); any other time as
    'Wed 2026-12-02 17:00 PST'. The one wording of due times in acks, notifications, the
    console and the API."""
    local = due.astimezone(tz)
    if local.time() != time(0):
        return local.strftime("%a %Y-%m-%d %H:%M %Z")
    last = local - timedelta(microseconds=1)  # the last instant of the day it closes
    return f"end of {last:%a %Y-%m-%d} ({last:%Z})"


@dataclass(frozen=True, slots=True)
class Person:
    user_id: str
    role: str
    registered_at: datetime
    trained_on: date | None
    training_registered_on: date | None


@dataclass(frozen=True, slots=True)
class Outage:
    """A loss of access (``access.lost`` / ``access.restored``); ``lost_at`` is None while
    only its restoration is known, ``restored_at`` while access is still lost. ``station_id``
    None: the whole premises lost access."""

    lost_event_id: str
    station_id: str | None
    lost_at: datetime | None
    lost_cause: str | None
    restored_at: datetime | None
    backlog: int | None  # events recorded during the loss, as the restoration declares

    def covers(self, moment: datetime, station_id: str) -> bool:
        """Whether something done at ``moment`` on ``station_id`` happened during this loss
        (from ``lost_at`` up to, not including, ``restored_at``)."""
        if self.lost_at is None or moment < self.lost_at:
            return False
        if self.restored_at is not None and moment >= self.restored_at:
            return False  # done once access was back: not part of the backlog
        return self.station_id is None or self.station_id == station_id

    def complete(self, entered: int) -> bool:
        """Documented both ways and, with ``entered`` events of it recorded, fully entered."""
        return (
            self.lost_at is not None
            and self.restored_at is not None
            and self.backlog is not None
            and entered >= self.backlog
        )


@dataclass(frozen=True, slots=True)
class TagStock:
    """Unassigned tags of one type and how many were assigned in the recent window."""

    tag_type: str
    available: int
    used_in_window: int
    last_received_at: datetime | None


class Facts(Protocol):
    """What a definition may read beyond the event (the engine's own tables)."""

    def tags_ordered(self) -> bool:
        """Whether this licensee has recorded a tag order."""
        ...

    def tags_in_transit(self, at: datetime) -> bool:
        """Whether, at ``at``, tags had been ordered and none received since the order (from
        the latest order and receipt on record)."""
        ...

    def person(self, user_id: str) -> Person | None: ...

    def people(self) -> Sequence[Person]: ...

    def outage(self, lost_event_id: str) -> Outage | None: ...

    def outages_covering(self, moment: datetime, station_id: str) -> Sequence[Outage]:
        """Losses of access during which ``station_id`` could not record at ``moment``."""
        ...

    def entered_during(self, outage: Outage) -> int:
        """Accepted events that happened during ``outage`` (on its station, if it names one)."""
        ...

    def tag_stock(self, tag_type: str, since: datetime) -> TagStock: ...


@dataclass(frozen=True, slots=True)
class Subject:
    """What a notification concerns: ``kind`` (tag, harvest_batch, manifest, event, outage,
    business_day, sales_day, user, licence, tag_stock) and its identifier."""

    kind: str
    id: str

    def __str__(self) -> str:
        return f"{self.kind.replace('_', ' ')} {self.id}"


@dataclass(frozen=True, slots=True)
class Open:
    """Open a notification unless one for the same rule and subject exists (unresolved, or at
    all when ``once_since`` is None, or started at or after ``once_since``). It is overdue at
    once when ``due_at`` has already passed."""

    rule_id: str
    subject: Subject
    message: str
    resolves_by: str
    started_at: datetime
    due_at: datetime | None
    pending: tuple[str, ...] = ()
    once_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class Resolve:
    """Resolve the unresolved notification of ``rule_id`` for ``subject``; with ``items``, only
    take those off its pending list, and resolve when nothing is left.

    ``otherwise`` covers an event that is itself the thing a deadline asks for, with no
    notification open for it (the service learns of the deadline only with the event, as for
    DISPOSITION-3BD): when the event reached the service at or after ``otherwise.due_at``, it is
    accepted and flagged late (a notice on its ack) and ``otherwise`` is kept as a resolved,
    late notification; with ``keep`` it is kept even when on time (DAILY-RECONCILE keeps a
    record of each day reconciled, so the sweep does not open that day)."""

    rule_id: str
    subject: Subject
    items: tuple[str, ...] | None = None
    otherwise: Open | None = None
    keep: bool = False


Effect = Open | Resolve


@dataclass(frozen=True, slots=True)
class Context:
    """One accepted event as the definitions see it."""

    event: EventEnvelope
    received_at: datetime  # when it reached the service: when it was recorded in the system
    now: datetime
    calendar: LicenseeCalendar
    facts: Facts
    settings: DeadlineSettings = field(default_factory=DeadlineSettings)
