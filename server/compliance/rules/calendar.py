"""State business days and deadlines: pure, clock-free functions (the caller passes the times).

A *business day* is Monday to Friday and not a public holiday of the licensee's state, as the
maintained ``holidays`` package knows them (``holidays.country_holidays("US", subdiv=...)``); there
is no hand-written holiday list here. Observed days count: when July 4 falls on a Saturday, the
Friday before is not a business day.

Times are aware datetimes. They are stored in UTC; a deadline is computed on the licensee's local
calendar (an IANA zone, :class:`zoneinfo.ZoneInfo`) and returned in UTC. The local *date* of an
event decides which day it happened on: 23:30 on a Friday in Los Angeles is 07:30 Saturday UTC,
but it happened on Friday.

One convention throughout, for day-based deadlines ("within 3 business days", "within 60 calendar
days"): the thing is due at the **end of the n-th day after the start's local date**, i.e. at the
local midnight that starts the following day, or, when the licensee's close-of-business time is
given, at that local time on the n-th day. Example (CA, America/Los_Angeles, no close time): a
plant destroyed on Wednesday 2026-11-25 at 10:00 local must have its UID retired within 3 business
days. Thursday 26 (Thanksgiving) and Friday 27 (the day after Thanksgiving, a CA state holiday)
do not count, nor does the weekend, so the 3rd business day is Wednesday 2026-12-02 and the
deadline is 2026-12-03 00:00 PST = 2026-12-03 08:00 UTC. With a 17:00 close of business it is
2026-12-02 17:00 PST = 2026-12-03 01:00 UTC.

Hour-based deadlines ("within 24 hours") are elapsed time, not wall-clock time: 24 hours across
the November change end at 23:00 local the next day, not at the same wall-clock time.
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Literal, get_args
from zoneinfo import ZoneInfo

import holidays

Jurisdiction = Literal["OR", "CA", "CT"]
JURISDICTIONS: tuple[Jurisdiction, ...] = get_args(Jurisdiction)

# Far enough to cover any real deadline, small enough that a bad argument fails fast
# instead of walking the calendar for years.
_MAX_BUSINESS_DAYS = 366


@cache
def state_holidays(jurisdiction: Jurisdiction) -> holidays.HolidayBase:
    """The public holidays of a US state (years are filled in on demand by the package)."""
    if jurisdiction not in JURISDICTIONS:
        raise ValueError(f"unknown jurisdiction {jurisdiction!r}; expected one of {JURISDICTIONS}")
    return holidays.country_holidays("US", subdiv=jurisdiction)


def _require_date(day: date) -> None:
    # A datetime is a date subclass; taking its date silently would use the wrong zone.
    if isinstance(day, datetime):
        raise TypeError("pass the local date (moment.astimezone(tz).date()), not a datetime")


def _require_aware(moment: datetime, name: str = "time") -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (UTC or with an offset): {moment!r}")


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    """The licensee's calendar date at ``moment``."""
    _require_aware(moment)
    return moment.astimezone(tz).date()


def is_business_day(day: date, jurisdiction: Jurisdiction) -> bool:
    """Monday to Friday and not a public holiday (observed days included) of the state."""
    _require_date(day)
    return day.weekday() < 5 and day not in state_holidays(jurisdiction)


def next_business_day(day: date, jurisdiction: Jurisdiction) -> date:
    """The first business day strictly after ``day``."""
    _require_date(day)
    for _ in range(_MAX_BUSINESS_DAYS):
        day += timedelta(days=1)
        if is_business_day(day, jurisdiction):
            return day
    raise RuntimeError(f"no business day within {_MAX_BUSINESS_DAYS} days after {day}")


def nth_business_day(day: date, n: int, jurisdiction: Jurisdiction) -> date:
    """The ``n``-th business day after ``day``.

    ``n == 0`` is the same business day: ``day`` itself if it is a business day, else the next
    one (for "by close of each business day").
    """
    _require_date(day)
    if not 0 <= n <= _MAX_BUSINESS_DAYS:
        raise ValueError(f"n must be between 0 and {_MAX_BUSINESS_DAYS}, got {n}")
    if n == 0:
        return day if is_business_day(day, jurisdiction) else next_business_day(day, jurisdiction)
    for _ in range(n):
        day = next_business_day(day, jurisdiction)
    return day


def local_time(day: date, tz: ZoneInfo, at: time) -> datetime:
    """``at`` on local ``day`` in ``tz``, in UTC.

    A wall-clock time that does not exist (02:30 on the March change) is read with the offset
    in force before the change, i.e. one hour later in real time; an ambiguous one (01:30 on the
    November change) is the first of the two. US changes fall on Sundays, so business-day
    deadlines never meet either case.
    """
    _require_date(day)
    if at.tzinfo is not None:
        raise ValueError("pass a naive wall-clock time; the zone is tz")
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The local midnight that starts the day after ``day``, in UTC."""
    return local_time(day + timedelta(days=1), tz, time(0))


def close_of_business(day: date, tz: ZoneInfo, at: time) -> datetime:
    """The licensee's close of business (``at``, local wall-clock) on ``day``, in UTC."""
    return local_time(day, tz, at)


def _due(day: date, tz: ZoneInfo, close: time | None) -> datetime:
    return end_of_day(day, tz) if close is None else close_of_business(day, tz, close)


def add_business_days(
    start: datetime,
    n: int,
    jurisdiction: Jurisdiction,
    tz: ZoneInfo,
    close: time | None = None,
) -> datetime:
    """Deadline, in UTC, for "within ``n`` business days" of ``start``.

    Due at the end of the ``n``-th business day after ``start``'s local date (local midnight
    starting the next day) or, with ``close``, at that local time on that day. Example (CA):
    ``start`` 2026-11-25 18:00 UTC (10:00 PST, Wednesday), ``n=3`` -> 2026-12-03 08:00 UTC
    (Thanksgiving and the day after are CA holidays). ``n=0`` is "by the end of the same
    business day".
    """
    _require_aware(start, "start")
    return _due(nth_business_day(local_date(start, tz), n, jurisdiction), tz, close)


def add_calendar_days(start: datetime, n: int, tz: ZoneInfo, close: time | None = None) -> datetime:
    """Deadline, in UTC, for "within ``n`` calendar days" of ``start``.

    Due at the end of the ``n``-th calendar day after ``start``'s local date, or at ``close`` on
    that day. Example: harvested 2026-01-10 15:00 PST, ``n=60`` -> due 2026-03-12 00:00 PDT
    (= 07:00 UTC): the local midnight, whatever DST did in between.
    """
    _require_aware(start, "start")
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    return _due(local_date(start, tz) + timedelta(days=n), tz, close)


def add_hours(start: datetime, hours: int | float) -> datetime:
    """Deadline, in UTC, for "within ``hours`` hours": elapsed time, so DST changes nothing."""
    _require_aware(start, "start")
    if hours < 0:
        raise ValueError(f"hours must not be negative, got {hours}")
    return start.astimezone(UTC) + timedelta(hours=hours)


def business_days_between(
    a: datetime, b: datetime, jurisdiction: Jurisdiction, tz: ZoneInfo
) -> int:
    """Business days after ``a``'s local date up to and including ``b``'s local date.

    Happened Friday, recorded the next Monday -> 1; 0 when ``b`` is on or before ``a``'s local
    date. For messages ("recorded 4 business days later"); to decide lateness use
    :func:`is_late`: an event recorded on the Saturday after a Friday deadline counts only 3
    business days here, yet it missed "within 3 business days".
    """
    _require_aware(a, "a")
    _require_aware(b, "b")
    day, last = local_date(a, tz), local_date(b, tz)
    count = 0
    while day < last:
        day += timedelta(days=1)
        count += is_business_day(day, jurisdiction)
    return count


def is_late(
    happened: datetime, recorded: datetime, n: int, jurisdiction: Jurisdiction, tz: ZoneInfo
) -> bool:
    """Whether ``recorded`` missed the "within ``n`` business days" deadline of ``happened``.

    True when ``recorded``'s local date is after the ``n``-th business day after ``happened``'s
    local date (so more than ``n`` business days later, or on a weekend or holiday after the
    deadline).
    """
    return recorded >= add_business_days(happened, n, jurisdiction, tz)
