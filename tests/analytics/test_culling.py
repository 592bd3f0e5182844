"""Phantom destruction: a plant batch of which far more was destroyed before harvest than the
licensee's other batches (server/analytics/culling.py), raised on a hand-built case and not
on its honest twins."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from schemas.events import DestroyMethod, PlantDestroyed
from server.analytics.culling import KIND, culled_shares
from server.analytics.projection import PlantLife, PlantTracker
from tests.analytics.cases import harvest
from tests.server.floor import LICENCE, Station

TAGGED = datetime(2025, 3, 3, 16, tzinfo=UTC)


def batch(name: str, plants: int, destroyed: int) -> list[PlantLife]:
    """``plants`` plants of batch ``name``, the first ``destroyed`` of them destroyed on day
    50 (by events ``{name}-D0``, ``{name}-D1``, ...), the rest harvested on day 90."""
    found = []
    for n in range(plants):
        plant = PlantLife(f"{name}-{n:03d}", "Gelato", TAGGED, batch=name)
        if n < destroyed:
            plant.destroyed_at = TAGGED + timedelta(days=50, minutes=n)
            plant.destroyed_by = f"{name}-D{n}"
        else:
            plant.harvested_at = TAGGED + timedelta(days=90)
        found.append(plant)
    return found


def usual_seasons(culled: list[int]) -> list[PlantLife]:
    """Batches B-0, B-1, ... of 20 plants, ``culled[i]`` of batch i destroyed: honest culling."""
    return [p for i, lost in enumerate(culled) for p in batch(f"B-{i}", 20, lost)]


def test_a_batch_culled_far_beyond_the_licensees_usual_is_flagged_with_its_destructions() -> None:
    plants = [*usual_seasons([0, 1, 0, 0, 1, 0]), *batch("B-9", 20, 6)]
    (signal,) = culled_shares(LICENCE, plants)
    assert (signal.kind, signal.licence, signal.subject) == (KIND, LICENCE, "B-9")
    assert signal.event_ids == tuple(f"B-9-D{n}" for n in range(6))
    assert "6 of the 20 plants of batch B-9 (30.0 %)" in signal.explanation
    assert "its 6 other batches lost a median of 0.0 %" in signal.explanation
    # 30 points above a median of 0; the shares' own spread is 0, so the least spread taken
    # as real stands for it (5 points).
    assert signal.score == Decimal("6.00")


def test_the_honest_twin_culling_a_plant_or_two_is_not() -> None:
    assert culled_shares(LICENCE, [*usual_seasons([0, 1, 0, 0, 1, 0]), *batch("B-9", 20, 2)]) == []


def test_a_licensee_that_always_culls_a_third_is_not_flagged_for_doing_so_again() -> None:
    """Its own history is the measure: a hard-culling licensee's usual batch is not an
    outlier of its own."""
    assert culled_shares(LICENCE, [*usual_seasons([6, 7, 6, 5, 7, 6]), *batch("B-9", 20, 7)]) == []


def test_without_five_other_batches_there_is_nothing_to_compare_with() -> None:
    assert culled_shares(LICENCE, [*usual_seasons([0, 0, 0, 0]), *batch("B-9", 20, 10)]) == []


def test_a_batch_too_small_to_have_a_share_is_neither_judged_nor_compared_with() -> None:
    small = batch("B-tiny", 4, 4)  # all four destroyed: a failed tray, too few to say
    assert culled_shares(LICENCE, [*usual_seasons([0, 1, 0, 0, 1, 0]), *small]) == []
    # The tiny batch does not count among the five comparisons either.
    four = usual_seasons([0, 1, 0, 0])
    assert culled_shares(LICENCE, [*four, *small, *batch("B-9", 20, 6)]) == []


def test_the_tracker_keeps_each_plants_batch_and_the_event_that_destroyed_it() -> None:
    station = Station()
    events = harvest(station, "HB-1", wet=["512.5"], dry=None)
    tagged = events[1].payload
    destroy = station.event(
        PlantDestroyed(
            uid=tagged.uids[0],  # type: ignore[union-attr]
            waste_weight={"value": "120", "unit": "g"},  # type: ignore[arg-type]
            method=DestroyMethod.COMPOST,
            reason="Hermaphrodite, culled",
        )
    )
    tracker = PlantTracker()
    for event in events[:2]:
        tracker.feed(event)
    tracker.feed(destroy)
    (plant,) = tracker.plants.values()
    assert plant.batch == tagged.batch_id  # type: ignore[union-attr]
    assert (plant.destroyed_at, plant.destroyed_by) == (destroy.occurred_at, destroy.event_id)
