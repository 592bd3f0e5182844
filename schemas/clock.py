"""The one clock: where every date- or time-of-day-sensitive path reads "now".

A process builds one :class:`SystemClock` at its top (the server's lifespan, the station
agent's constructor, a CLI command) and hands it down; nothing below reads the wall clock
itself. Tests hand down a :class:`ManualClock` instead and pin or advance it, so no test
depends on today's date.

``now()`` is always an **aware UTC** ``datetime``. Which calendar day that is depends on where
the premises are: :func:`local_day` turns an instant into the day in a named IANA zone
(``America/Los_Angeles``), never the machine's own zone.

Monotonic timers (timeouts, idle sign-out, retry back-off) are not clocks in this sense: they
measure elapsed time and keep using ``time.monotonic``.

This module lives in ``schemas`` because it is the one package that the edge, the devices and
the server all import; it has no dependencies of its own.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

__all__ = ["SYSTEM_CLOCK", "Clock", "ManualClock", "SystemClock", "local_day", "local_time"]


@runtime_checkable
class Clock(Protocol):
    """Something that tells the current instant."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The machine's real-time clock. The only place in seedtrace that reads the wall clock."""

    def now(self) -> datetime:
        # The system clock's own definition: the one wall-clock read in seedtrace.
        return datetime.now(UTC)  # noqa: TID251

    def __repr__(self) -> str:
        return "SystemClock()"


SYSTEM_CLOCK = SystemClock()


class ManualClock:
    """A clock that stands still until it is told to move: for tests and simulations.

    Raises ValueError when given a naive ``datetime`` (which instant it means would depend on
    the machine's zone) or asked to go backwards with :meth:`advance`.
    """

    def __init__(self, start: datetime) -> None:
        self._now = _aware_utc(start, "start")

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime) -> None:
        """Jump to ``at`` (forwards or backwards)."""
        self._now = _aware_utc(at, "at")

    def advance(self, by: timedelta | float) -> datetime:
        """Move forwards by ``by`` (a timedelta, or seconds); returns the new instant."""
        step = by if isinstance(by, timedelta) else timedelta(seconds=by)
        if step < timedelta(0):
            raise ValueError(f"a clock advances forwards; got {step}")
        self._now += step
        return self._now

    def __repr__(self) -> str:
        return f"ManualClock({self._now.isoformat()})"


def _aware_utc(at: datetime, name: str) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware; got the naive {at.isoformat()}")
    return at.astimezone(UTC)


def local_time(at: datetime, tz: str) -> datetime:
    """``at`` seen on a wall clock in the IANA zone ``tz``.

    Raises ValueError for a naive ``at``; ``zoneinfo.ZoneInfoNotFoundError`` (a KeyError) for
    an unknown zone name.
    """
    return _aware_utc(at, "at").astimezone(ZoneInfo(tz))


def local_day(at: datetime, tz: str) -> date:
    """The calendar day that ``at`` falls on in the IANA zone ``tz`` (the premises' zone)."""
    return local_time(at, tz).date()
