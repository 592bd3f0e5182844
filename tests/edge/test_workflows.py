"""Sign-in and the workflows' state machines, without devices: what each step accepts, what it
refuses (with the message the worker reads), and what it records."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from devices.base import WeightReading
from edge.access import AccessTracker, Loss
from edge.config import Operator, SignInConfig, StationConfig, Workflow, parse_config
from edge.flows import FloorMemory, ScaleGate, make_flow
from edge.secrets import hash_secret
from edge.session import Session, SignInError
from edge.view import local_stamp, warnings
from schemas.clock import ManualClock
from schemas.weights import Unit
from tests.edge.helpers import uid

PIN = hash_secret("2468", log2_n=10)


def config(tmp_path: Path) -> StationConfig:
    return parse_config(
        {
            "licence": "OR-1001",
            "station_id": "harvest-1",
            "location": "Flower Room A",
            "time_zone": "America/Los_Angeles",
            "data_dir": str(tmp_path),
            "workflows": [w.value for w in Workflow],
            "devices": {
                "scale-1": {"url": "mt-sics:///dev/null", "role": "scale"},
                "reader-1": {"url": "uhf:///dev/null", "role": "tags"},
            },
            "floor": {"drying_rooms": ["Drying 1"], "rooms": ["Flower Room B"]},
        }
    )


def reading(grams: str, stable: bool = True) -> WeightReading:
    value = Decimal(grams)
    return WeightReading(
        value=value,
        unit=Unit.G,
        grams=value,
        stable=stable,
        raw=f"S S {grams:>10} g\r\n".encode(),
        at=datetime.now(UTC),
        device_id="scale-1",
    )


class Ticks:
    """Monotonic seconds for the session's idle and lockout timers."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_badge_then_pin_signs_in_and_idle_signs_out() -> None:
    clock = Ticks()
    people = [Operator(user_id="maria.lopez", name="Maria", badge="04A2241AB75C80", pin_hash=PIN)]
    session = Session(people, SignInConfig(idle_sign_out_s=300), clock)
    assert session.is_badge("04A2241AB75C80")
    with pytest.raises(SignInError, match="Tap your badge first"):
        session.pin("2468")
    session.badge("04A2241AB75C80")
    with pytest.raises(SignInError, match="Wrong PIN"):
        session.pin("1111")
    assert session.pin("2468").user_id == "maria.lopez"
    clock.now += 299
    assert not session.idle_expired()
    session.touch()
    clock.now += 301
    assert session.idle_expired()


def test_repeated_wrong_secrets_lock_sign_in() -> None:
    clock = Ticks()
    people = [Operator(user_id="sam", name="Sam", password_hash=PIN)]
    session = Session(people, SignInConfig(max_failures=3, lockout_s=60), clock)
    for _ in range(3):
        with pytest.raises(SignInError, match="wrong password"):
            session.password("sam", "0000")
    with pytest.raises(SignInError, match="locked for 60 s"):
        session.password("sam", "2468")  # even the right one, while locked
    clock.now += 61
    assert session.password("sam", "2468").user_id == "sam"
    with pytest.raises(SignInError, match="Unknown user name"):
        session.password("nobody", "2468")


def test_harvest_refuses_what_makes_no_sense_in_the_step(
    tmp_path: Path, clock: ManualClock
) -> None:
    memory = FloorMemory()
    flow = make_flow(Workflow.HARVEST, config(tmp_path), memory, clock)
    refused = flow.weight(reading("500"))
    assert refused.refused is not None
    assert "scan its tag first" in refused.refused
    assert flow.tag(uid(1)).refused is None
    assert flow.prompt().expects == ("weight",)
    second = flow.tag(uid(2)).refused  # a tag where a weight is awaited
    assert second is not None
    assert "A weight is awaited for plant …000001" in second
    result = flow.weight(reading("512.40"))
    result.stored()  # as the agent does once the record is in the outbox
    [record] = result.records
    assert record["kind"] == "plant.harvested"
    assert record["wet_weight"] == {"value": "512.40", "unit": "g"}
    assert record["scale_reading"]["stable"] is True
    assert bytes.fromhex(record["scale_reading"]["raw_hex"]) == b"S S     512.40 g\r\n"
    assert record["harvest_batch"].startswith("HB-")
    again = flow.tag(uid(1)).refused  # the same plant twice
    assert again is not None
    assert "already harvested here" in again
    assert flow.choose("harvest_batch", "HB-Custom").refused is None
    flow.tag(uid(3))
    assert flow.weight(reading("400")).records[0]["harvest_batch"] == "HB-Custom"


def test_the_scale_gate_takes_each_load_once_and_only_when_stable() -> None:
    gate = ScaleGate(min_grams=1.0)
    assert not gate.offer(reading("500"))  # on the pan at start: not seen empty yet
    assert gate.needs_empty_pan(reading("500"))
    assert not gate.offer(reading("0"))  # zero is a weight, but not a load to take
    assert not gate.offer(reading("500", stable=False))
    assert not gate.needs_empty_pan(reading("500", stable=False))
    assert gate.offer(reading("500"))
    gate.taken()
    assert not gate.offer(reading("500"))  # the same plant still on the pan
    assert not gate.offer(reading("0.4"))  # the pan emptied
    assert gate.offer(reading("480"))
    assert not gate.offer(reading("0"))  # zero is a weight, but not a load to take


def test_a_roll_of_tags_is_its_two_ends(tmp_path: Path, clock: ManualClock) -> None:
    flow = make_flow(Workflow.RECEIVE_TAGS, config(tmp_path), FloorMemory(), clock)
    flow.tag(uid(100))
    bad = flow.tag("1A4FF0100000033000000199").refused
    assert bad is not None
    assert "Not the end of this roll" in bad
    assert flow.tag(uid(100)).refused is not None
    flow.tag(uid(199))
    assert "Roll of 100 tags" in flow.prompt().text
    [record] = flow.choose("done", "yes").records
    assert record == {
        "kind": "tags.received",
        "tag_type": "plant",
        "first": uid(100),
        "last": uid(199),
    }


def test_start_batch_then_tag_uses_the_new_batch(tmp_path: Path, clock: ManualClock) -> None:
    memory = FloorMemory()
    station = config(tmp_path)
    start = make_flow(Workflow.START_BATCH, station, memory, clock)
    assert start.choose("confirm", "yes").refused == "Choose the origin first"
    assert start.choose("count", "six").refused is not None
    for key, value in [("origin", "tissue_culture"), ("strain", "OG Kush"), ("count", "12")]:
        start.choose(key, value)
    start.choose("batch_id", "B-9")
    confirmed = start.choose("confirm", "yes")
    confirmed.stored()
    [record] = confirmed.records
    assert record["count"] == 12
    assert record["origin"] == "tissue_culture"
    tag = make_flow(Workflow.TAG_PLANTS, station, memory, clock)
    assert "batch B-9" in tag.prompt().text
    first = tag.tag(uid(1))
    assert first.records == [{"kind": "plants.tagged", "batch_id": "B-9", "uids": [uid(1)]}]
    # Not stored (the outbox was full): the flow keeps no trace, the tag can be scanned again.
    assert tag.tag(uid(1)).records == first.records
    assert tag.prompt().items == ()
    first.stored()
    refused = tag.tag(uid(1)).refused
    assert refused is not None
    assert "already scanned" in refused


def test_germination_records_how_many_came_up_and_zero_is_a_count(
    tmp_path: Path, clock: ManualClock
) -> None:
    memory = FloorMemory()
    memory.remember_batch("B-SEEDS")
    flow = make_flow(Workflow.GERMINATE, config(tmp_path), memory, clock)
    assert flow.prompt().text == "How many seeds or cultures of batch B-SEEDS are plants now?"
    assert flow.choose("confirm", "yes").refused == (
        "Choose the batch and say how many came up first"
    )
    for bad in ("-3", "ten", "10001", "²"):
        refused = flow.choose("count", bad).refused
        assert refused is not None
        assert "is not a whole number from 0 to 10,000" in refused
    flow.choose("count", "0")
    [none] = flow.choose("confirm", "yes").records
    assert none == {"kind": "plant_batch.germinated", "batch_id": "B-SEEDS", "count": 0}
    flow.choose("batch_id", "B-TC")
    flow.choose("count", "60")
    assert flow.prompt().choices[-1].label == "Record 60 as plants"
    done = flow.choose("confirm", "yes")
    assert done.records == [{"kind": "plant_batch.germinated", "batch_id": "B-TC", "count": 60}]
    done.stored()
    assert memory.batches[:2] == ["B-TC", "B-SEEDS"]
    assert flow.prompt().text == "How many seeds or cultures of batch B-TC are plants now?"


def test_destroy_weighs_then_asks_method_and_reason(tmp_path: Path, clock: ManualClock) -> None:
    flow = make_flow(Workflow.DESTROY, config(tmp_path), FloorMemory(), clock)
    assert flow.weight(reading("50")).refused is not None  # scan first
    flow.tag(uid(5))
    flow.weight(reading("41.0"))
    assert flow.choose("reason", "Mould").refused is not None  # method first
    flow.choose("method", "compost")
    [record] = flow.choose("reason", "Mould").records
    assert record["kind"] == "plant.destroyed"
    assert record["uid"] == uid(5)
    assert record["waste_weight"] == {"value": "41.0", "unit": "g"}
    assert (record["method"], record["reason"]) == ("compost", "Mould")


def test_phase_change_collects_plants_and_records_them_once(
    tmp_path: Path, clock: ManualClock
) -> None:
    flow = make_flow(Workflow.CHANGE_PHASE, config(tmp_path), FloorMemory(), clock)
    assert flow.choose("done", "yes").refused == "Scan at least one plant first"
    flow.tag(uid(1))
    flow.tag(uid(2))
    dupe: Any = flow.tag(uid(2)).refused
    assert "already in this list" in dupe
    flow.choose("room", "Flower Room B")
    [record] = flow.choose("done", "yes").records
    assert record == {
        "kind": "plants.phase_changed",
        "uids": [uid(1), uid(2)],
        "phase": "flowering",
        "location": "Flower Room B",
    }


def test_names_follow_the_premises_day_not_the_machines(tmp_path: Path, clock: ManualClock) -> None:
    """At 22:30 on 24 November in Los Angeles it is already the 25th in UTC (and on a Pi left
    at UTC): the harvest batch and the plant batch are named for the floor's day."""
    clock.set(datetime(2026, 11, 25, 6, 30, tzinfo=UTC))
    harvest = make_flow(Workflow.HARVEST, config(tmp_path), FloorMemory(), clock)
    assert harvest.tag(uid(1)).refused is None
    weighed = harvest.weight(reading("250"))
    weighed.stored()
    [record] = weighed.records
    assert record["harvest_batch"] == "HB-2026-11-24-Drying 1"
    assert harvest.tag(uid(1)).refused == "Plant …000001 was already harvested here at 22:30"
    start = make_flow(Workflow.START_BATCH, config(tmp_path), FloorMemory(), clock)
    assert start.prompt().fields[-1].value == "B-20261124-223000"
    clock.set(datetime(2028, 2, 29, 20, 0, tzinfo=UTC))  # a leap day, noon in Los Angeles
    leap = make_flow(Workflow.HARVEST, config(tmp_path), FloorMemory(), clock)
    assert leap.tag(uid(2)).refused is None
    assert leap.weight(reading("250")).records[0]["harvest_batch"] == "HB-2028-02-29-Drying 1"


def test_the_display_says_when_access_was_lost_on_the_premises_clock() -> None:
    """No raw ISO text on the station's screen: the premises' date, time and zone."""
    lost = datetime(2026, 11, 24, 17, 30, tzinfo=UTC)
    access = AccessTracker(60, Loss(lost_at=lost, cause="internet down"), lost)
    notes = warnings(access, 3, 100, False, 0, "America/Los_Angeles")
    assert "access lost since 2026-11-24 09:30 PST" in notes
    assert not any("T17:30" in note for note in notes)
    assert local_stamp(datetime(2026, 7, 1, 19, 0, tzinfo=UTC), "America/Los_Angeles") == (
        "2026-07-01 12:00 PDT"
    )
