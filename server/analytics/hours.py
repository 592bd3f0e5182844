"""Destruction and waste at hours when the licensee otherwise does nothing (pure: no
database).

Phantom destruction (a plant recorded destroyed, product recorded as waste, while it leaves by
the back door) is easiest when nobody else is about. A licensee's own record says when its
people work: the local hours of its other events. The **quiet hours** are the least busy
hours of the day that together hold no more than :data:`QUIET_SHARE` of those events (never
an hour in which more of them fall than that). Destruction and waste recorded in the quiet
hours, at least :data:`MIN_AT_ODD_HOURS` times and :data:`LIFT` times more often than the
other events are (a share under 1 % counted as 1 %), is a signal. A licensee with fewer than
:data:`MIN_OTHERS` other events has no pattern to go by and is not judged.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from server.analytics.signals import Signal

KINDS = ("plant.destroyed", "waste.recorded")
QUIET_SHARE = Decimal("0.05")
MIN_OTHERS = 100
MIN_AT_ODD_HOURS = 3
LIFT = 4
LEAST_SHARE = Decimal("0.01")  # a share of the other events below this counts as this
SUBJECT = "destruction and waste"


@dataclass(frozen=True, slots=True)
class Timed:
    """A destruction or waste event, at its local time (the licensee's timezone)."""

    event_id: str
    kind: str
    local: datetime


def quiet_hours(others: Counter[int]) -> tuple[frozenset[int], int]:
    """(the quiet hours, how many of ``others`` fall in them): the least busy hours (0-23;
    ties: the earlier hour first) added while their events stay within :data:`QUIET_SHARE`
    of all of ``others`` (local hour -> events)."""
    allowed = QUIET_SHARE * sum(others.values())
    quiet: set[int] = set()
    held = 0
    for hour in sorted(range(24), key=lambda h: (others[h], h)):
        if held + others[hour] > allowed:
            break
        quiet.add(hour)
        held += others[hour]
    return frozenset(quiet), held


def _percent(part: int, whole: int) -> str:
    return f"{Decimal(part) * 100 / Decimal(whole):.1f} %"


def odd_hours(
    licence: str, timezone: str, disposals: Sequence[Timed], others: Counter[int]
) -> Signal | None:
    """Flag ``licence``'s destruction and waste (``disposals``, in log order) recorded in its
    quiet hours (from ``others``: local hour -> its other events); score: how many were."""
    total = sum(others.values())
    if total < MIN_OTHERS or not disposals:
        return None
    quiet, held = quiet_hours(others)
    odd = [d for d in disposals if d.local.hour in quiet]
    if len(odd) < MIN_AT_ODD_HOURS:
        return None
    base = max(Decimal(held) / Decimal(total), LEAST_SHARE)
    if Decimal(len(odd)) / Decimal(len(disposals)) < LIFT * base:
        return None
    at = Counter(d.local.hour for d in odd)
    hours = ", ".join(f"{h:02d}:00-{h:02d}:59 ({n})" for h, n in sorted(at.items()))
    return Signal(
        "odd-hours-disposal",
        licence,
        SUBJECT,
        Decimal(len(odd)),
        f"{len(odd)} of this licensee's {len(disposals)} destruction and waste records "
        f"({_percent(len(odd), len(disposals))}) were made at hours when it otherwise "
        f"records almost nothing: {hours}, local time ({timezone}). Only "
        f"{_percent(held, total)} of its {total} other records fall in its {len(quiet)} "
        "quietest hours. Destruction with nobody about is where weight recorded as destroyed "
        "can leave instead.",
        tuple(d.event_id for d in odd),
    )
