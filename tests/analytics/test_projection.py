"""The inventory projection on synthetic licensees with known yields and timings."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from server.analytics.projection import (
    MIN_HISTORY,
    PlantLife,
    PlantTracker,
    Usual,
    combine,
    error,
    project,
    quantile,
    usual,
)
from tests.analytics.cases import harvest
from tests.server.floor import LICENCE, Station, flowering

TODAY = date(2026, 6, 1)
NOON = datetime(2026, 6, 1, 12, tzinfo=UTC)
# Ten harvested plants: 28 days of vegetative growth, 56 of flowering, 400-850 g wet.
WEIGHTS = [Decimal(400 + 50 * n) for n in range(10)]


def history(strain: str = "Blue Dream", weights: list[Decimal] = WEIGHTS) -> list[PlantLife]:
    plants = []
    for n, grams in enumerate(weights):
        tagged = NOON - timedelta(days=200 + n)
        flowered = tagged + timedelta(days=28)
        plants.append(
            PlantLife(f"H{n}", strain, tagged, flowered, flowered + timedelta(days=56), grams)
        )
    return plants


def live(n: int, strain: str = "Blue Dream", **dates: datetime) -> list[PlantLife]:
    return [
        PlantLife(f"L{strain}{i}", strain, dates.get("tagged_at", NOON), dates.get("flowering_at"))
        for i in range(n)
    ]


def test_the_usual_crop_is_the_median_and_the_10th_to_90th_percentile() -> None:
    found = usual(history())
    assert found == Usual(
        veg_days=Decimal(28),
        flower_days=Decimal(56),
        low=quantile(WEIGHTS, Decimal("0.1")),
        grams=Decimal(625),
        high=quantile(WEIGHTS, Decimal("0.9")),
    )
    assert found.low == Decimal("445.0")  # 400 + 0.9 x 50
    assert usual(history()[: MIN_HISTORY - 1]) is None  # too little to go by


def test_flowering_and_vegetative_plants_fall_in_the_weeks_history_says() -> None:
    flowering_since = NOON - timedelta(days=50)  # 56 days: cut in 6 days, this week
    tagged = NOON - timedelta(days=10)  # 28 + 56 days: cut in 74 days, week 10
    plants = [
        *history(),
        *live(4, flowering_at=flowering_since, tagged_at=tagged - timedelta(days=60)),
        *live(3, "Blue Dream", tagged_at=tagged),
    ]
    made = project(LICENCE, plants, TODAY)
    assert [(w.start, w.plants) for w in made.weeks if w.plants] == [
        (TODAY, 4),
        (TODAY + timedelta(weeks=10), 3),
    ]
    first = made.weeks[0]
    assert (first.expected, first.low, first.high) == (
        4 * Decimal(625),
        4 * Decimal("445.0"),
        4 * Decimal("805.0"),
    )
    assert made.unprojected == 0
    assert made.sources == {"strain": 7}


def test_an_overdue_plant_is_due_now_and_one_beyond_the_horizon_is_left_out() -> None:
    overdue = live(2, flowering_at=NOON - timedelta(days=80))
    far = live(1, tagged_at=NOON + timedelta(days=30))  # 30 + 84 days: beyond 13 weeks
    made = project(LICENCE, [*history(), *overdue, *far], TODAY)
    assert made.weeks[0].plants == 2
    assert sum(w.plants for w in made.weeks) == 2


def test_without_history_a_plant_is_counted_not_guessed_and_statewide_fills_in() -> None:
    newcomer = live(5, "Sour Diesel", flowering_at=NOON - timedelta(days=50))
    alone = project(LICENCE, newcomer, TODAY)
    assert (alone.unprojected, sum(w.plants for w in alone.weeks)) == (5, 0)
    state = {
        "Sour Diesel": combine(
            [usual(history("Sour Diesel")), usual(history("Sour Diesel", [g * 2 for g in WEIGHTS]))]
        )
    }  # type: ignore[list-item]
    helped = project(LICENCE, newcomer, TODAY, state)
    assert helped.unprojected == 0
    assert helped.sources == {"statewide": 5}
    assert helped.weeks[0].expected == 5 * Decimal("937.5")  # the median of 625 and 1250


def test_what_was_harvested_falls_within_the_stated_interval() -> None:
    """Ten plants like the history, harvested: their weight lies within the interval, and
    the error is actual - expected."""
    made = project(LICENCE, [*history(), *live(10, flowering_at=NOON - timedelta(days=52))], TODAY)
    week = made.weeks[0]
    actual = sum(WEIGHTS, Decimal(0))  # the same crop again: 6,250 g
    result = error(week, actual)
    assert result.within
    assert result.error == actual - 10 * Decimal(625)
    assert not error(week, week.low - 1).within


def test_the_tracker_follows_a_plant_from_tagging_to_harvest() -> None:
    station = Station()
    events = harvest(station, "HB-1", wet=["512.5"], dry=None)
    events.insert(2, station.event(flowering([events[1].payload.uids[0]])))  # type: ignore[union-attr]
    tracker = PlantTracker()
    for event in events:
        tracker.feed(event)
    (plant,) = tracker.plants.values()
    assert plant.strain == "Blue Dream"
    assert plant.flowering_at == events[2].occurred_at
    assert (plant.harvested_at, plant.wet_grams) == (events[3].occurred_at, Decimal("512.5"))
    assert not plant.live
