"""The signals of conduct (refused tag use, destruction at odd hours, transfers received at
another weight), each raised on a small hand-built case and not on its honest twin."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from server.analytics.hours import Timed, odd_hours, quiet_hours
from server.analytics.receipts import Receipt, received_off
from server.analytics.refused import Refusal, refused_tags
from tests.server.floor import LICENCE

AT = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def refusal(n: int, rule_id: str, message: str) -> Refusal:
    return Refusal(f"e-{n}", "plants.tagged", AT + timedelta(hours=n), rule_id, message)


def test_tags_never_received_and_retired_tags_used_again_are_counted_and_named() -> None:
    refusals = [
        refusal(1, "TAG-PROVISIONED", "UID A was never received by this licensee"),
        refusal(2, "TAG-ONE-ITEM", "UID B was retired; a retired UID is never used again"),
        refusal(3, "TAG-PROVISIONED", "UID C was never received by this licensee"),
    ]
    never, again = refused_tags(LICENCE, refusals)
    assert (never.kind, never.subject, never.score) == (
        "tag-not-received",
        "TAG-PROVISIONED",
        Decimal(2),
    )
    assert never.event_ids == ("e-1", "e-3")
    assert never.explanation.startswith(
        "This licensee tried 2 times to use a UID it never received (or a tag of the wrong "
        "type), and TAG-PROVISIONED refused it: "
    )
    assert "UID A was never received by this licensee; UID C was never" in never.explanation
    assert (again.kind, again.subject, again.score, again.event_ids) == (
        "tag-used-again",
        "TAG-ONE-ITEM",
        Decimal(1),
        ("e-2",),
    )
    assert "tried once to put a UID already on another item, or retired" in again.explanation


def test_many_refusals_are_counted_beyond_those_quoted() -> None:
    refusals = [refusal(n, "TAG-ONE-ITEM", f"UID {n} was retired") for n in range(5)]
    (signal,) = refused_tags(LICENCE, refusals)
    assert signal.score == Decimal(5)
    assert "UID 0 was retired; UID 1 was retired; UID 2 was retired (and 2 more)" in (
        signal.explanation
    )
    assert len(signal.event_ids) == 5


def test_no_refused_tag_use_is_no_signal() -> None:
    assert refused_tags(LICENCE, []) == []


# A licensee that works 07:00-18:59: 20 events in each of those 12 hours (240), and 2 at
# 22:00 (the cleaner's waste log is not among them: 0.8 % of the others fall 19:00-06:59).
DAYTIME = Counter({**{h: 20 for h in range(7, 19)}, 22: 2})


def disposals(hours: list[int]) -> list[Timed]:
    return [
        Timed(f"d-{n}", "plant.destroyed", datetime(2026, 5, 1, h, 30) + timedelta(days=n))
        for n, h in enumerate(hours)
    ]


def test_the_quiet_hours_hold_no_more_than_five_percent_of_the_other_events() -> None:
    quiet, held = quiet_hours(DAYTIME)
    assert quiet == frozenset([*range(0, 7), *range(19, 24)])
    assert held == 2
    # Twelve busy hours of 20 each: adding one (20 > 5 % of 242 less 2) would be too many.
    assert not quiet & set(range(7, 19))


def test_destruction_in_the_dead_of_night_is_flagged_with_its_hours() -> None:
    at = [10, 11, 14, 2, 3, 3, 15, 9]
    signal = odd_hours(LICENCE, "America/Los_Angeles", disposals(at), DAYTIME)
    assert signal is not None
    assert (signal.kind, signal.subject, signal.score) == (
        "odd-hours-disposal",
        "destruction and waste",
        Decimal(3),
    )
    assert signal.event_ids == ("d-3", "d-4", "d-5")
    assert signal.explanation.startswith(
        "3 of this licensee's 8 destruction and waste records (37.5 %) were made at hours "
        "when it otherwise records almost nothing: 02:00-02:59 (1), 03:00-03:59 (2), local "
        "time (America/Los_Angeles). Only 0.8 % of its 242 other records fall in its 12 "
        "quietest hours."
    )


def test_destruction_in_working_hours_is_not() -> None:
    at = [10, 11, 14, 12, 8, 16, 15, 9]
    assert odd_hours(LICENCE, "America/Los_Angeles", disposals(at), DAYTIME) is None


def test_night_work_as_common_as_the_licensees_other_night_work_is_not() -> None:
    # A licensee with some work at 02:00 and 03:00 (12 of its 252 other records, 4.8 %): 3 of
    # its 60 destructions then (5 %) are as ordinary as the rest of its night work.
    shifts = Counter({**{h: 20 for h in range(7, 19)}, 2: 6, 3: 6})
    at = [10] * 57 + [2, 3, 3]
    quiet, _ = quiet_hours(shifts)
    assert {2, 3} <= quiet
    assert odd_hours(LICENCE, "UTC", disposals(at), shifts) is None


def test_a_licensee_with_little_record_is_not_judged() -> None:
    few = Counter({h: 8 for h in range(7, 19)})  # 96 events: fewer than 100
    assert odd_hours(LICENCE, "UTC", disposals([2, 3, 3]), few) is None


def receipt(received: dict[str, str]) -> Receipt:
    return Receipt(
        "M-7",
        "OR-2002",
        {"P1": Decimal("1000"), "P2": Decimal("500.00"), "P3": Decimal("28")},
        {uid: Decimal(g) for uid, g in received.items()},
        ("arrived", "received"),
    )


def test_a_transfer_received_lighter_than_manifested_is_flagged_naming_the_seller() -> None:
    signal = received_off(LICENCE, receipt({"P1": "900", "P2": "495", "P3": "28"}))
    assert signal is not None
    assert (signal.kind, signal.licence, signal.subject, signal.score) == (
        "received-weight-off",
        LICENCE,
        "M-7",
        Decimal(100),
    )
    assert signal.event_ids == ("arrived", "received")
    assert signal.explanation.startswith(
        "Transfer M-7 from OR-2002 was received at another weight than the seller manifested, "
        "beyond the 2 % moisture can explain: P1: 1000 g manifested, 900 g received "
        "(10.0 % less). 100 g in all"
    )


def test_heavier_on_receipt_is_flagged_too() -> None:
    signal = received_off(LICENCE, receipt({"P3": "28.6"}))
    assert signal is not None
    assert "P3: 28 g manifested, 28.6 g received (2.1 % more)" in signal.explanation


def test_within_two_percent_is_moisture_and_not_flagged() -> None:
    honest = receipt({"P1": "980", "P2": "510.00", "P3": "28.56", "P9": "5"})
    assert received_off(LICENCE, honest) is None
