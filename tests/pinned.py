"""The instant the tests' clock starts at.

Tests never read the wall clock for what the code under test decides: they build a
:class:`~schemas.clock.ManualClock` at :data:`START` (the ``clock`` fixture), hand it to the
code, and move it. A fixed start keeps every date in a test's expectations literal, and the
suite gives the same answers on any day it runs (``make test`` also runs the date-sensitive
tests under ``faketime`` far in the future to prove it).
"""

from datetime import UTC, datetime

from schemas.clock import ManualClock

START = datetime(2026, 11, 24, 17, 30, tzinfo=UTC)  # 09:30 in Los Angeles, a Tuesday


def pinned_clock() -> ManualClock:
    """A new clock standing at :data:`START`."""
    return ManualClock(START)
