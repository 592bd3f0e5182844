"""Physical-audit signals, each raised on a small hand-built case and not on its honest twin:
an audit's variances, a shortfall growing from audit to audit, and destruction crowded into
the week before an audit."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from schemas.records import AuditedLine, AuditItem
from schemas.weights import Unit, Weight
from server.analytics.audits import Audit, assess, before_audit, trend, variance
from server.analytics.hours import Timed
from server.analytics.robust import slope
from server.reads.stocktake import AuditIn, AuditLine, AuditResult, Counted, Finding, as_events
from tests.server.floor import LICENCE

START = datetime(2026, 1, 5, 17, 0, tzinfo=UTC)


def grams(value: str) -> Weight:
    return Weight(value=Decimal(value), unit=Unit.G)


def flower(uid: str, expected: str, counted: str | None) -> AuditedLine:
    return AuditedLine(
        item_type=AuditItem.PACKAGE,
        item_id=uid,
        usable_cannabis=True,
        expected_weight=grams(expected),
        counted_weight=None if counted is None else grams(counted),
    )


def audit(n: int, lines: list[AuditedLine], at: datetime | None = None) -> Audit:
    when = START + timedelta(days=28 * n) if at is None else at
    return Audit(f"AUD-{n}", when, "K. Lee", Decimal("5"), lines, (f"a-{n}",))


def test_an_audit_short_beyond_the_tolerance_is_flagged_with_its_lines() -> None:
    lines = [
        flower("P1", "1000", "990"),  # 1 %: moisture
        flower("P2", "500", "400"),  # 20 % short
        flower("P3", "250", None),  # not found
        AuditedLine(item_type=AuditItem.PLANT, item_id="U1", expected_count=1, counted_count=1),
        AuditedLine(item_type=AuditItem.PLANT, item_id="U9", counted_count=1),  # not known
    ]
    signal = variance(LICENCE, audit(1, lines))
    assert signal is not None
    assert (signal.kind, signal.subject, signal.score, signal.event_ids) == (
        "audit-variance",
        "AUD-1",
        Decimal(3),
        ("a-1",),
    )
    assert signal.explanation == (
        "Physical audit AUD-1 by K. Lee on 2026-02-02 found 3 of its 5 items differing from "
        "the system beyond the 5 % moisture tolerance: package P2: 400 g weighed, 500 g "
        "expected; package P3: not found; plant U9: not known to the system. Of the 1750 g "
        "the system expected, 20.6 % was not found. Each is an AUDIT-VARIANCE to be explained."
    )


def test_an_audit_within_the_moisture_tolerance_is_not() -> None:
    lines = [
        flower("P1", "1000", "960"),
        flower("P2", "500", "512"),
        AuditedLine(item_type=AuditItem.PLANT, item_id="U1", expected_count=1, counted_count=1),
    ]
    assert variance(LICENCE, audit(1, lines)) is None


def test_a_count_off_by_one_is_a_variance_whatever_the_tolerance() -> None:
    line = AuditedLine(item_type=AuditItem.BATCH, item_id="B-1", expected_count=6, counted_count=5)
    signal = variance(LICENCE, audit(1, [line]))
    assert signal is not None
    assert "batch B-1: 5 counted, 6 expected" in signal.explanation
    assert "was not found" not in signal.explanation  # no weight was expected


def test_the_theil_sen_slope_ignores_one_wild_value() -> None:
    assert slope([Decimal(v) for v in ("1", "2", "3", "4")]) == 1
    assert slope([Decimal(v) for v in ("1", "2", "30", "4", "5")]) == 1
    with pytest.raises(ValueError, match="at least two"):
        slope([Decimal(1)])


def shortfalls(*percent: str) -> list[Audit]:
    """One audit a month of a 1,000 g package, short by each of ``percent``."""
    return [
        audit(n, [flower("P1", "1000", str(1000 - Decimal(p) * 10))]) for n, p in enumerate(percent)
    ]


def test_a_shortfall_growing_audit_after_audit_is_a_trend() -> None:
    audits = shortfalls("1", "3", "4.5", "7", "9")
    signal = trend(LICENCE, audits)
    assert signal is not None
    assert (signal.kind, signal.subject) == ("audit-variance-trend", "physical audits")
    assert signal.score == Decimal("2")  # percentage points an audit: median pairwise slope
    assert signal.event_ids == ("a-0", "a-1", "a-2", "a-3", "a-4")
    assert signal.explanation.startswith(
        "The share of the expected weight not found at this licensee's physical audits has "
        "grown by 2.0 percentage points an audit (the median of the changes between every "
        "pair of its 5 audits): AUD-0 1.0 %, AUD-1 3.0 %, AUD-2 4.5 %, AUD-3 7.0 %, "
        "AUD-4 9.0 %. The latest is beyond its 5 % moisture tolerance."
    )


def test_a_steady_small_shortfall_and_one_bad_count_are_not() -> None:
    assert trend(LICENCE, shortfalls("1", "-0.5", "2", "0.5", "1.5")) is None
    # One bad audit among steady ones: its own audit-variance, not a trend.
    assert trend(LICENCE, shortfalls("1", "0.5", "1", "12", "1")) is None
    # Growing, but still within the moisture tolerance.
    assert trend(LICENCE, shortfalls("0", "1", "2", "3", "4")) is None
    # Too few audits to speak of a trend.
    assert trend(LICENCE, shortfalls("1", "5", "9")) is None


def weekly(first: datetime, weeks: int, per_week: int) -> list[Timed]:
    """``per_week`` destruction records in each of ``weeks`` weeks from ``first``."""
    return [
        Timed(f"w{w}-{k}", "waste.recorded", first + timedelta(days=7 * w + k, hours=2))
        for w in range(weeks)
        for k in range(per_week)
    ]


AUDIT_AT = START + timedelta(days=7 * 10)


def test_destruction_crowded_into_the_week_before_an_audit_is_flagged() -> None:
    usual = weekly(START, 9, 1)  # one record a week for nine weeks
    burst = [Timed(f"b-{k}", "plant.destroyed", AUDIT_AT - timedelta(days=6 - k)) for k in range(6)]
    counted = audit(9, [flower("P1", "1000", "1000")], at=AUDIT_AT)
    signal = before_audit(LICENCE, counted, [counted], [*usual, *burst], START)
    assert signal is not None
    assert (signal.kind, signal.subject) == ("pre-audit-disposal", "before AUD-9")
    assert signal.score == Decimal(5)  # (6 - 1) / the floor of one record a week
    assert signal.event_ids == ("b-0", "b-1", "b-2", "b-3", "b-4", "b-5", "a-9")
    assert signal.explanation.startswith(
        "6 destruction and waste records were made in the 7 days before physical audit AUD-9 "
        "(2026-03-16); in the 9 weeks before that the licensee made 1 a week (median), 5.0 "
        "robust standard deviations fewer."
    )


def test_destruction_at_the_usual_rate_before_an_audit_is_not() -> None:
    # Three or four records every week, the week before the audit too.
    usual = weekly(START, 10, 3) + weekly(START + timedelta(days=14), 4, 1)
    counted = audit(9, [flower("P1", "1000", "1000")], at=AUDIT_AT)
    assert before_audit(LICENCE, counted, [counted], usual, START) is None
    # A burst, but with too little record before it to know the usual rate.
    burst = [Timed(f"b-{k}", "plant.destroyed", AUDIT_AT - timedelta(days=k + 1)) for k in range(6)]
    late = START + timedelta(days=7 * 6)
    assert before_audit(LICENCE, counted, [counted], burst, late) is None


def test_the_run_up_to_an_earlier_audit_is_left_out_of_the_usual_rate() -> None:
    # The licensee destroyed 6 a week before an audit 5 weeks ago too: that week is not usual.
    usual = weekly(START, 9, 1)
    earlier_at = AUDIT_AT - timedelta(days=35)
    bursts = [
        Timed(f"{tag}-{k}", "plant.destroyed", at - timedelta(days=6 - k))
        for tag, at in (("e", earlier_at), ("b", AUDIT_AT))
        for k in range(6)
    ]
    earlier = audit(8, [flower("P1", "1000", "1000")], at=earlier_at)
    counted = audit(9, [flower("P1", "1000", "1000")], at=AUDIT_AT)
    found = assess(LICENCE, [earlier, counted], [*usual, *bursts], START)
    # The earlier audit has only 4 weeks of record before it: too few to judge.
    (latest,) = found
    assert latest.subject == "before AUD-9"
    assert "in the 8 weeks before that the licensee made 1 a week" in latest.explanation


def test_a_long_audit_is_recorded_in_parts_of_150_lines_sharing_its_id() -> None:
    counted = AuditIn(
        counted=[Counted(item_type=AuditItem.PLANT, item_id=f"U{n}", count=1) for n in range(160)]
    )
    result = AuditResult(
        moisture_tolerance_pct=Decimal("5"),
        lines=[
            AuditLine(
                item_type=AuditItem.PLANT,
                item_id=f"U{n}",
                usable_cannabis=False,
                expected_count=1 if n else 0,
                counted_count=1,
                expected_grams=None,
                counted_grams=None,
                variance_count=0 if n else 1,
                variance_grams=None,
                variance_pct=None,
                finding=Finding.MATCH if n else Finding.VARIANCE,
            )
            for n in range(160)
        ],
        violations=1,
    )
    first, second = as_events(counted, result, "AUD-9", "K. Lee")
    assert [(e.audit_id, e.part, e.parts, len(e.lines)) for e in (first, second)] == [
        ("AUD-9", 1, 2, 150),
        ("AUD-9", 2, 2, 10),
    ]
    assert [line.item_id for line in first.variances()] == ["U0"]
    assert second.variances() == []
