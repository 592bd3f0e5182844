"""The ingest pipeline on SQLite and PostgreSQL: exactly-once effect, per-station order,
conflicts, rules, and the transaction that keeps log and projections together."""

from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.acks import Ack, Outcome
from schemas.clock import SYSTEM_CLOCK
from server.ingest.parse import Parsed, parse
from server.ingest.pipeline import Pipeline
from tests.server.floor import (
    Station,
    batch_created,
    flowering,
    harvested,
    tagged,
    tags_received,
    to_flowering,
    uid,
)
from tests.sql import count

MAX = 64 * 1024
# The floor's events: not the staff registered by the engine fixture (station console).
FLOOR = "station_id <> 'console'"


def run(pipeline: Pipeline, station: Station, *events: object) -> list[Ack]:
    parsed = []
    for ev in events:
        p = parse(station.incoming(ev), MAX)  # type: ignore[arg-type]
        assert isinstance(p, Parsed), p
        parsed.append(p)
    return [r.ack for r in pipeline.process(parsed).replies]


def grow(pipeline: Pipeline, station: Station, n_plants: int = 3) -> list[str]:
    """Receive tags, create a batch, tag and flower ``n_plants``; returns their UIDs."""
    uids = [uid(i) for i in range(1, n_plants + 1)]
    acks = run(
        pipeline,
        station,
        *(station.event(p) for p in to_flowering("B-17", 10, uids)),
    )
    assert [a.outcome for a in acks] == [Outcome.ACCEPTED] * 4, acks
    return uids


def test_floor_events_are_accepted_and_projected(engine: Engine) -> None:
    pipeline, station = Pipeline(engine, clock=SYSTEM_CLOCK), Station()
    uids = grow(pipeline, station)
    acks = run(pipeline, station, station.event(harvested(uids[0], "512.25")))
    assert acks[0].outcome is Outcome.ACCEPTED
    with engine.connect() as conn:
        plant = conn.execute(
            sa.text("SELECT phase, harvest_batch, wet_weight_grams FROM plants WHERE uid = :u"),
            {"u": uids[0]},
        ).one()
        batch = conn.execute(
            sa.text("SELECT untagged_count, tagged_count FROM batches WHERE batch_id = 'B-17'")
        ).one()
    assert tuple(plant) == ("harvested", "HB-2026-11-22", "512.25")
    assert tuple(batch) == (7, 3)
    assert count(engine, "SELECT count(*) FROM tags WHERE status = 'assigned'") == 3


def test_same_event_twice_has_one_effect_and_the_stored_answer(engine: Engine) -> None:
    pipeline, station = Pipeline(engine, clock=SYSTEM_CLOCK), Station()
    uids = grow(pipeline, station)
    harvest = station.event(harvested(uids[0], "100"))
    first = run(pipeline, station, harvest)[0]
    again, in_same_batch = run(pipeline, station, harvest, harvest)
    assert first.outcome is Outcome.ACCEPTED
    for dup in (again, in_same_batch):
        assert dup.outcome is Outcome.DUPLICATE
        assert dup.original_outcome is Outcome.ACCEPTED
        assert dup.received_at == first.received_at
    assert count(engine, "SELECT count(*) FROM event_log WHERE station_id <> 'console'") == 5
    assert count(engine, "SELECT plant_count FROM harvest_batches") == 1


def test_duplicate_of_a_rejected_event_repeats_its_violations(engine: Engine) -> None:
    pipeline, station = Pipeline(engine, clock=SYSTEM_CLOCK), Station()
    bad = station.event(batch_created("B-1", 150))
    first = run(pipeline, station, bad)[0]
    again = run(pipeline, station, bad)[0]
    assert first.outcome is Outcome.REJECTED
    assert again.outcome is Outcome.DUPLICATE
    assert again.original_outcome is Outcome.REJECTED
    assert [v.rule_id for v in again.violations] == ["BATCH-MAX-100"]
    assert again.violations == first.violations


def test_same_event_id_with_other_content_is_refused_as_a_conflict(engine: Engine) -> None:
    pipeline, station = Pipeline(engine, clock=SYSTEM_CLOCK), Station()
    original = station.event(batch_created("B-1", 10))
    run(pipeline, station, original)
    forged = original.model_copy(
        update={"payload": original.payload.model_copy(update={"count": 99})}
    )
    ack = run(pipeline, station, forged)[0]
    assert ack.outcome is Outcome.REJECTED
    assert ack.violations[0].rule_id == "EVENT-ID-CONFLICT"
    assert count(engine, "SELECT initial_count FROM batches") == 10
    assert count(engine, "SELECT count(*) FROM event_log WHERE station_id <> 'console'") == 1


def test_out_of_order_events_are_held_then_applied_in_order(engine: Engine) -> None:
    pipeline, station = Pipeline(engine, clock=SYSTEM_CLOCK), Station()
    receive, create, tag = (
        station.event(tags_received(1, 10)),
        station.event(batch_created("B-2", 5)),
        station.event(tagged("B-2", [uid(1), uid(2)])),
    )
    # Tagging first would break ENTRY-FROM-ORIGIN if applied on arrival; it must wait.
    assert run(pipeline, station, tag) == []
    assert run(pipeline, station, create) == []
    assert count(engine, "SELECT count(*) FROM held_events") == 2
    acks = run(pipeline, station, receive)
    assert [(a.sequence, a.outcome) for a in acks] == [
        (1, Outcome.ACCEPTED),
        (2, Outcome.ACCEPTED),
        (3, Outcome.ACCEPTED),
    ]
    assert count(engine, "SELECT count(*) FROM held_events") == 0
    with engine.connect() as conn:
        order = conn.execute(
            sa.text(f"SELECT sequence FROM event_log WHERE {FLOOR} ORDER BY position")
        ).scalars()
        assert list(order) == [1, 2, 3]
    # A held event delivered again while waiting is not answered twice, nor held twice.
    later = station.event(flowering([uid(1)]))
    skipped = station.event(flowering([uid(2)]))  # sequence 4 arrives after 5 ...
    assert run(pipeline, station, skipped) == []
    assert run(pipeline, station, skipped) == []
    assert count(engine, "SELECT count(*) FROM held_events") == 1
    assert [a.sequence for a in run(pipeline, station, later)] == [4, 5]


def test_a_reused_sequence_number_is_refused(engine: Engine) -> None:
    pipeline, station = Pipeline(engine, clock=SYSTEM_CLOCK), Station()
    run(pipeline, station, station.event(batch_created("B-1", 5)))
    reused = station.event(batch_created("B-2", 5), sequence=1)
    ack = run(pipeline, station, reused)[0]
    assert ack.outcome is Outcome.REJECTED
    assert ack.violations[0].rule_id == "SEQUENCE-CONFLICT"
    assert "already used" in ack.violations[0].message
    assert count(engine, "SELECT count(*) FROM batches") == 1


def test_unknown_licence_is_refused_and_not_stored(engine: Engine) -> None:
    pipeline, station = Pipeline(engine, clock=SYSTEM_CLOCK), Station(licence="OR-9999")
    ack = run(pipeline, station, station.event(batch_created("B-1", 5)))[0]
    assert ack.outcome is Outcome.REJECTED
    assert ack.violations[0].rule_id == "LICENCE-UNKNOWN"
    assert count(engine, "SELECT count(*) FROM event_log WHERE station_id <> 'console'") == 0


def test_a_rejected_event_changes_nothing_and_reports_every_violation(engine: Engine) -> None:
    pipeline, station = Pipeline(engine, clock=SYSTEM_CLOCK), Station()
    uids = grow(pipeline, station)
    run(pipeline, station, station.event(harvested(uids[0], "300")))
    before = count(engine, "SELECT count(*) FROM harvest_batches")
    ack = run(pipeline, station, station.event(harvested(uids[0], "0", stable=False)))[0]
    assert ack.outcome is Outcome.REJECTED
    ids = [v.rule_id for v in ack.violations]
    assert ids.count("HARVEST-WET-WEIGHT") == 2
    assert "PHASE-ORDER" in ids
    phase_order = next(v for v in ack.violations if v.rule_id == "PHASE-ORDER")
    # An Oregon licensee: Oregon's ground, never the CDFA section (issue 16 item 1).
    assert (
        phase_order.citation == "OR User Requirements (1)-(2), seedtrace record-soundness baseline"
    )
    assert "already harvested" in phase_order.message
    assert count(engine, "SELECT count(*) FROM harvest_batches") == before
    assert count(engine, "SELECT plant_count FROM harvest_batches") == 1
    # The rejection is on the record too, and the station's sequence moved on.
    assert count(engine, "SELECT count(*) FROM event_log WHERE outcome = 'rejected'") == 1
    assert count(engine, "SELECT next_sequence FROM stations WHERE station_id = 'harvest-1'") == 7


def test_weights_are_stored_exactly_in_grams(engine: Engine) -> None:
    pipeline, station = Pipeline(engine, clock=SYSTEM_CLOCK), Station()
    uids = grow(pipeline, station)
    payload = harvested(uids[0], "1")
    payload["wet_weight"] = payload["scale_reading"]["weight"] = {"value": "1.1", "unit": "lb"}
    assert run(pipeline, station, station.event(payload))[0].outcome is Outcome.ACCEPTED
    with engine.connect() as conn:
        grams = conn.execute(
            sa.text("SELECT wet_weight_grams FROM plants WHERE uid = :u"), {"u": uids[0]}
        ).scalar_one()
    assert Decimal(grams) == Decimal("498.951607")


def test_a_batch_with_a_failing_event_rolls_back_whole(engine: Engine) -> None:
    """If storing fails half way (here: a projection bug), nothing of the batch remains."""

    class Broken(Pipeline):
        def _apply(self, conn, parsed, result):  # type: ignore[no-untyped-def]
            super()._apply(conn, parsed, result)
            if parsed.envelope.sequence == 2:
                raise RuntimeError("disk on fire")

    station = Station()
    events = [station.event(batch_created("B-1", 5)), station.event(batch_created("B-2", 5))]
    with pytest.raises(RuntimeError):
        run(Broken(engine, clock=SYSTEM_CLOCK), station, *events)
    assert count(engine, "SELECT count(*) FROM event_log WHERE station_id <> 'console'") == 0
    assert count(engine, "SELECT count(*) FROM batches") == 0


def test_a_gap_that_stays_open_is_reported(engine: Engine) -> None:
    from datetime import UTC, datetime, timedelta

    from server.ingest.pipeline import open_gaps

    pipeline, station = Pipeline(engine, clock=SYSTEM_CLOCK), Station("veg-2")
    run(pipeline, station, station.event(batch_created("B-1", 5)))
    station.sequence += 1  # sequence 2 is lost on the way
    run(
        pipeline,
        station,
        station.event(batch_created("B-3", 5)),
        station.event(batch_created("B-4", 5)),
    )
    assert open_gaps(engine, older_than=datetime.now(UTC) - timedelta(minutes=5)) == []
    (gap,) = open_gaps(engine, older_than=datetime.now(UTC) + timedelta(seconds=1))
    assert (gap.licence, gap.station_id, gap.missing_from) == ("OR-1001", "veg-2", 2)
    assert (gap.held_count, gap.first_held) == (2, 3)


def test_a_batch_naming_thousands_of_tags_sees_every_one(engine: Engine) -> None:
    """A batch's tags are read in one go (in chunks on SQLite): tags received earlier stay
    known however many other tags the batch names."""
    pipeline = Pipeline(engine, clock=SYSTEM_CLOCK)
    station, other = Station(), Station("receiving-2")
    run(pipeline, station, station.event(tags_received(9000, 9050)))
    uids = [uid(i) for i in range(9000, 9003)]  # sorted after the 4000 below
    batch = [
        (other, other.event(tags_received(1000, 2999))),
        (other, other.event(tags_received(3000, 4999))),
        (station, station.event(batch_created("B-9", 10))),
        (station, station.event(tagged("B-9", uids))),
    ]
    parsed = [parse(sender.incoming(ev), MAX) for sender, ev in batch]
    assert all(isinstance(p, Parsed) for p in parsed)
    acks = [r.ack for r in pipeline.process(parsed).replies]  # type: ignore[arg-type]
    assert [a.outcome for a in acks] == [Outcome.ACCEPTED] * 4, acks
    assert count(engine, "SELECT count(*) FROM tags WHERE status = 'assigned'") == 3


def test_a_plant_moved_twice_in_one_batch_ends_where_the_second_move_put_it(
    engine: Engine,
) -> None:
    pipeline, station = Pipeline(engine, clock=SYSTEM_CLOCK), Station()
    uids = grow(pipeline, station)
    moves = [
        station.event({"kind": "plants.moved", "uids": uids[:2], "location": where})
        for where in ("Drying Room 1", "Flower 3")
    ]
    assert [a.outcome for a in run(pipeline, station, *moves)] == [Outcome.ACCEPTED] * 2
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT uid, location FROM plants ORDER BY uid")).all()
    assert [tuple(r) for r in rows] == [
        (uids[0], "Flower 3"),
        (uids[1], "Flower 3"),
        (uids[2], "Flower 1"),
    ]


def test_a_held_event_id_reused_by_another_station_is_a_conflict(engine: Engine) -> None:
    pipeline, station, other = Pipeline(engine, clock=SYSTEM_CLOCK), Station(), Station("veg-3")
    run(pipeline, other, other.event(batch_created("B-1", 5)))
    other.sequence += 1  # sequence 2 is lost on the way: 3 is held
    waiting = other.event(batch_created("B-3", 5))
    assert run(pipeline, other, waiting) == []
    forged = station.event(batch_created("B-4", 5), event_id=waiting.event_id)
    (ack,) = run(pipeline, station, forged)
    assert ack.outcome is Outcome.REJECTED
    assert ack.violations[0].rule_id == "EVENT-ID-CONFLICT"
    assert count(engine, "SELECT next_sequence FROM stations WHERE station_id = 'veg-3'") == 2
    assert count(engine, "SELECT count(*) FROM held_events") == 1
