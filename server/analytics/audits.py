"""Physical-audit variances, their trend, and destruction crowded into the days before an
audit (pure: no database).

A physical audit (``inventory.audited``; AUDIT-VARIANCE) sets what was counted and weighed
beside what the system expected. Three signals come of it:

- :func:`variance`: the audit found items that differ beyond the moisture tolerance, that are
  missing, or that the system does not know (each is an AUDIT-VARIANCE violation); score: the
  items that differ.
- :func:`trend`: the share of the expected weight found missing grows from audit to audit.
  The growth is the Theil-Sen slope (:func:`server.analytics.robust.slope`: the median of the
  slopes between every pair of audits), so one odd audit does not make a trend. Raised when,
  over at least :data:`MIN_AUDITS` audits, it is :data:`TREND_FLOOR` or more an audit and the
  latest audit is short by more than its moisture tolerance; score: percentage points per
  audit.
- :func:`before_audit`: destruction and waste records (``plant.destroyed``,
  ``waste.recorded``) in the :data:`WINDOW` before an audit, against the licensee's usual
  rate: the same span taken week by week back from the audit over its earlier record (at
  most :data:`MAX_WEEKS`, never a week that leads up to another audit). Destruction recorded
  to cover product that left shows up as a burst just before the count. Raised when at least
  :data:`MIN_BEFORE` records fall in the window and their number is :data:`OUTLIER_Z` or more
  robust standard deviations above the median week (a spread under one record a week counted
  as one), with at least :data:`MIN_WEEKS` weeks to compare with; score: the robust z.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from schemas.records import AuditedLine
from server.analytics.hours import Timed
from server.analytics.robust import OUTLIER_Z, median, robust_z, slope
from server.analytics.signals import Signal

MIN_AUDITS = 4
TREND_FLOOR = Decimal("0.01")  # a share of the expected weight per audit: 1 point
WINDOW = timedelta(days=7)
MAX_WEEKS = 52
MIN_WEEKS = 5
MIN_BEFORE = 3
WEEK_FLOOR = Decimal(1)  # records a week: the least spread taken as real
SHOWN = 3  # lines quoted in an explanation; the rest are counted
TREND_SUBJECT = "physical audits"


@dataclass(frozen=True, slots=True)
class Audit:
    """One physical audit (its parts joined): when it was recorded (its first part), by whom,
    its moisture tolerance in percent, its lines and the events that recorded it."""

    audit_id: str
    at: datetime
    audited_by: str
    tolerance_pct: Decimal
    lines: Sequence[AuditedLine]
    event_ids: tuple[str, ...]

    @property
    def variances(self) -> list[AuditedLine]:
        return [line for line in self.lines if line.differs(self.tolerance_pct)]

    @property
    def expected_grams(self) -> Decimal:
        """What the system expected to weigh, over the lines that expected a weight."""
        return sum(
            (w.in_grams() for line in self.lines if (w := line.expected_weight) is not None),
            Decimal(0),
        )

    @property
    def found_grams(self) -> Decimal:
        """What was weighed of those same lines (an item not found weighs nothing)."""
        return sum(
            (
                Decimal(0) if line.counted_weight is None else line.counted_weight.in_grams()
                for line in self.lines
                if line.expected_weight is not None
            ),
            Decimal(0),
        )

    @property
    def short_share(self) -> Decimal | None:
        """The share of the expected weight not found (negative: more was found); None when
        the audit weighed nothing the system expected."""
        expected = self.expected_grams
        if expected == 0:
            return None
        return (expected - self.found_grams) / expected


def _line(line: AuditedLine) -> str:
    what = f"{line.item_type.value} {line.item_id}"
    if line.expected_count is None and line.expected_weight is None:
        return f"{what}: not known to the system"
    if line.counted_count is None and line.counted_weight is None:
        return f"{what}: not found"
    parts = []
    if line.expected_count != line.counted_count and line.counted_count is not None:
        parts.append(f"{line.counted_count} counted, {line.expected_count} expected")
    if line.expected_weight is not None and line.counted_weight is not None:
        want, got = line.expected_weight.in_grams(), line.counted_weight.in_grams()
        if want != got:
            parts.append(f"{got} g weighed, {want} g expected")
    return f"{what}: {'; '.join(parts)}"


def _percent(share: Decimal) -> str:
    return f"{share * 100:.1f} %"


def variance(licence: str, audit: Audit) -> Signal | None:
    """Flag ``audit`` when any of its lines is a variance; subject: the audit ID; score: how
    many lines are."""
    off = audit.variances
    if not off:
        return None
    quoted = "; ".join(_line(line) for line in off[:SHOWN])
    more = f" (and {len(off) - SHOWN} more)" if len(off) > SHOWN else ""
    share = audit.short_share
    weight = (
        ""
        if share is None
        else f" Of the {audit.expected_grams} g the system expected, {_percent(share)} was "
        "not found."
    )
    return Signal(
        "audit-variance",
        licence,
        audit.audit_id,
        Decimal(len(off)),
        f"Physical audit {audit.audit_id} by {audit.audited_by} on {audit.at:%Y-%m-%d} found "
        f"{len(off)} of its {len(audit.lines)} items differing from the system beyond the "
        f"{audit.tolerance_pct} % moisture tolerance: {quoted}{more}.{weight} Each is an "
        "AUDIT-VARIANCE to be explained.",
        audit.event_ids,
    )


def trend(licence: str, audits: Sequence[Audit]) -> Signal | None:
    """Flag a growing share of the expected weight missing at ``audits`` (oldest first)."""
    weighed = [(a, s) for a in audits if (s := a.short_share) is not None]
    if len(weighed) < MIN_AUDITS:
        return None
    shares = [s for _, s in weighed]
    rise = slope(shares)
    latest, latest_share = weighed[-1]
    if rise < TREND_FLOOR or latest_share * 100 <= latest.tolerance_pct:
        return None
    series = ", ".join(f"{a.audit_id} {_percent(s)}" for a, s in weighed)
    ids = tuple(dict.fromkeys(i for a, _ in weighed for i in a.event_ids))
    return Signal(
        "audit-variance-trend",
        licence,
        TREND_SUBJECT,
        rise * 100,
        f"The share of the expected weight not found at this licensee's physical audits has "
        f"grown by {rise * 100:.1f} percentage points an audit (the median of the changes "
        f"between every pair of its {len(weighed)} audits): {series}. The latest is beyond "
        f"its {latest.tolerance_pct} % moisture tolerance. A shortfall that grows is weight "
        "leaving steadily, not a miscount.",
        ids,
    )


def before_audit(
    licence: str, audit: Audit, audits: Sequence[Audit], disposals: Sequence[Timed], first: datetime
) -> Signal | None:
    """Flag destruction and waste (``disposals``, in log order) crowded into the
    :data:`WINDOW` before ``audit``, against the weeks of the licensee's record since
    ``first`` (its first accepted event) leading up to it; ``audits``: all of its audits, whose
    own run-ups are left out of the comparison."""
    start = audit.at - WINDOW
    inside = [d for d in disposals if start <= d.local < audit.at]
    if len(inside) < MIN_BEFORE:
        return None
    run_ups = [(a.at - WINDOW, a.at) for a in audits]
    weeks: list[Decimal] = []
    for k in range(1, MAX_WEEKS + 1):
        lo, hi = audit.at - WINDOW * (k + 1), audit.at - WINDOW * k
        if lo < first:
            break
        if any(a_lo < hi and lo < a_hi for a_lo, a_hi in run_ups):
            continue
        weeks.append(Decimal(sum(1 for d in disposals if lo <= d.local < hi)))
    if len(weeks) < MIN_WEEKS:
        return None
    z = robust_z(Decimal(len(inside)), weeks, WEEK_FLOOR)
    if z is None or z < OUTLIER_Z:
        return None
    return Signal(
        "pre-audit-disposal",
        licence,
        f"before {audit.audit_id}",
        z,
        f"{len(inside)} destruction and waste records were made in the 7 days before physical "
        f"audit {audit.audit_id} ({audit.at:%Y-%m-%d}); in the {len(weeks)} weeks before that "
        f"the licensee made {median(weeks)} a week (median), {z:.1f} robust standard "
        "deviations fewer. Destruction recorded just before a count can cover product that "
        "left: the count then matches the record.",
        (*(d.event_id for d in inside), *audit.event_ids),
    )


def assess(
    licence: str, audits: Sequence[Audit], disposals: Sequence[Timed], first: datetime | None
) -> list[Signal]:
    """Every audit signal of ``licence``: each audit's variances and run-up, and the trend;
    ``audits`` oldest first."""
    found = [s for a in audits if (s := variance(licence, a)) is not None]
    if first is not None:
        bursts = (before_audit(licence, a, audits, disposals, first) for a in audits)
        found += [s for s in bursts if s is not None]
    rising = trend(licence, audits)
    if rising is not None:
        found.append(rising)
    return found
