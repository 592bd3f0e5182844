"""Harvest batch weights typed in at a station that has a scale (server/analytics/manual.py),
raised on a hand-built case and not on its honest twins."""

from decimal import Decimal
from typing import Any

from schemas.events import EventEnvelope
from server.analytics.manual import KIND, MIN_READINGS, ManualWeights, typed_weights
from tests.analytics.cases import harvest, weighed
from tests.server.floor import LICENCE, Station, harvested

WET = [f"{500 + n}.25" for n in range(MIN_READINGS)]  # ten plants, each on the scale


def read(events: list[EventEnvelope]) -> ManualWeights:
    manual = ManualWeights()
    for event in events:
        manual.feed(event)
    return manual


def on_the_scale(payload: dict[str, Any], grams: str) -> dict[str, Any]:
    """``payload`` with the scale's own reading of ``grams``."""
    reading = harvested("X", grams)["scale_reading"]
    return {**payload, "scale_reading": reading}


def test_a_dry_weight_typed_in_at_the_harvest_scale_is_flagged() -> None:
    station = Station("harvest-1")
    events = harvest(station, "HB-1", wet=WET, dry="1450.00")
    (signal,) = typed_weights(LICENCE, read(events).typed)
    assert (signal.kind, signal.licence, signal.subject) == (KIND, LICENCE, "HB-1")
    assert signal.score == Decimal("1450.00")
    assert signal.event_ids == (events[-1].event_id,)
    assert (
        "its dry weight, 1450.00 g, at station harvest-1, which had sent 10 scale readings"
        in signal.explanation
    )


def test_the_honest_twin_weighed_on_the_scale_is_not() -> None:
    station = Station("harvest-1")
    events = harvest(station, "HB-1", wet=WET, dry=None)
    events.append(station.event(on_the_scale(weighed("HB-1", "1450.00"), "1450.00")))
    assert read(events).typed == []


def test_a_weight_entered_at_a_desk_without_a_scale_is_not() -> None:
    events = harvest(Station("harvest-1"), "HB-1", wet=WET, dry=None)
    events.append(Station("office-1").event(weighed("HB-1", "1450.00")))
    assert read(events).typed == []


def test_a_station_with_few_readings_yet_is_not_judged() -> None:
    station = Station("harvest-1")
    events = harvest(station, "HB-1", wet=WET[: MIN_READINGS - 1], dry="1450.00")
    assert read(events).typed == []


def test_every_typed_weight_of_a_batch_is_one_signal_summing_them() -> None:
    station = Station("harvest-1")
    events = harvest(station, "HB-1", wet=WET, dry="1450.00")
    events.append(station.event(weighed("HB-1", "1300.00", "net")))
    (signal,) = typed_weights(LICENCE, read(events).typed)
    assert signal.score == Decimal("2750.00")
    assert signal.event_ids == (events[-2].event_id, events[-1].event_id)
    assert "its net weight, 1300.00 g" in signal.explanation
