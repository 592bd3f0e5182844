"""Corrections (``record.corrected``) on SQLite and PostgreSQL: the original stays in the log,
the state becomes what it would be had the replacement been recorded instead, and a
replacement that would break a rule (itself, or any later event) is rejected and changes
nothing."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.acks import Ack, Outcome
from schemas.clock import SYSTEM_CLOCK
from schemas.events import EventEnvelope
from server.ingest.pipeline import Pipeline
from server.store.rebuild import snapshot, verify
from tests.server import domain as d
from tests.server.conftest import OTHER_LICENCE
from tests.server.floor import (
    MANAGER,
    Station,
    batch_created,
    harvested,
    tagged,
    tags_received,
    to_flowering,
    uid,
)
from tests.server.test_pipeline import run

HB = "HB-2026-11-22"


class Log:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pipeline = Pipeline(engine, clock=SYSTEM_CLOCK)
        self.station = Station()
        self.office = Station("office-1", operator=MANAGER)

    def record(self, payload: dict[str, Any], office: bool = False) -> tuple[EventEnvelope, Ack]:
        where = self.office if office else self.station
        event = where.event(payload)
        (ack,) = run(self.pipeline, where, event)
        return event, ack

    def ok(self, payload: dict[str, Any]) -> EventEnvelope:
        event, ack = self.record(payload)
        assert (ack.outcome, ack.violations) == (Outcome.ACCEPTED, []), ack
        return event

    def correct(self, event_id: str, replacement: dict[str, Any]) -> Ack:
        return self.record(d.corrected(event_id, replacement), office=True)[1]

    def one(self, sql: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql)).one()

    def state(self) -> dict[str, list[tuple[Any, ...]]]:
        with self.engine.connect() as conn:
            return snapshot(conn)


def _grown(log: Log) -> list[str]:
    plants = [uid(1), uid(2), uid(3)]
    for payload in to_flowering("B-17", 10, plants, tags=(1, 20)):
        log.ok(payload)
    return plants


def test_a_correction_keeps_the_original_and_corrects_the_state(engine: Engine) -> None:
    log = Log(engine)
    plants = _grown(log)
    wrong = log.ok(harvested(plants[0], "5000", harvest_batch=HB))  # 5 kg: a slip of the finger
    log.ok(harvested(plants[1], "480", harvest_batch=HB))
    ack = log.correct(wrong.event_id, harvested(plants[0], "500", harvest_batch=HB))
    assert (ack.outcome, ack.violations) == (Outcome.ACCEPTED, []), ack

    assert log.one(f"SELECT wet_weight_grams FROM plants WHERE uid = '{plants[0]}'") == ("500",)
    assert log.one(
        f"SELECT wet_weight_grams, plant_count FROM harvest_batches WHERE name = '{HB}'"
    ) == ("980", 2)
    original = log.one(f"SELECT outcome, body FROM event_log WHERE event_id = '{wrong.event_id}'")
    assert original[0] == "accepted"
    assert EventEnvelope.model_validate_json(original[1]) == wrong  # word for word, as sent
    assert log.one("SELECT corrects, root_event_id, replacement_kind FROM corrections") == (
        wrong.event_id,
        wrong.event_id,
        "plant.harvested",
    )
    for per_event in (False, True):  # a rebuild replays the correction too
        assert verify(engine, keep=False, per_event=per_event)[1] == []


def test_a_replacement_breaking_a_rule_itself_is_rejected_and_changes_nothing(
    engine: Engine,
) -> None:
    log = Log(engine)
    created = log.ok(batch_created("B-1", 10))
    before = log.state()
    ack = log.correct(created.event_id, batch_created("B-1", 150))
    assert ack.outcome is Outcome.REJECTED
    (violation,) = ack.violations
    assert violation.rule_id == "BATCH-MAX-100"
    assert violation.citation == "OR Cultivation Batches (2)"  # an Oregon licensee's own
    assert violation.message.startswith("With this correction, the replacement: Batch B-1 would")
    assert log.state() == before


def test_a_replacement_that_breaks_a_later_event_is_rejected(engine: Engine) -> None:
    """Tagging 3 plants of B-17 happened after its creation; a creation of 2 plants instead
    of 10 would leave that tagging without plants to tag."""
    log = Log(engine)
    log.ok(tags_received(1, 20))
    created = log.ok(batch_created("B-17", 10))
    tagging = log.ok(tagged("B-17", [uid(1), uid(2), uid(3)]))
    before = log.state()
    ack = log.correct(created.event_id, batch_created("B-17", 2))
    assert ack.outcome is Outcome.REJECTED
    (violation,) = ack.violations
    assert violation.rule_id == "ENTRY-FROM-ORIGIN"
    assert f"the later plants.tagged {tagging.event_id}" in violation.message
    assert "Batch B-17 has 2 untagged plants left; cannot tag 3" in violation.message
    assert log.state() == before
    # A smaller batch that still holds the tagged plants is fine.
    ack = log.correct(created.event_id, batch_created("B-17", 3))
    assert ack.outcome is Outcome.ACCEPTED
    assert log.one("SELECT initial_count, untagged_count, tagged_count FROM batches") == (3, 0, 3)


def test_what_a_correction_may_name(engine: Engine) -> None:
    log = Log(engine)
    created = log.ok(batch_created("B-1", 10))
    refused, refused_ack = log.record(batch_created("B-2", 500))
    assert refused_ack.outcome is Outcome.REJECTED
    other = Station("harvest-1", licence=OTHER_LICENCE)
    (foreign_ack,) = run(log.pipeline, other, foreign := other.event(batch_created("B-9", 5)))
    assert foreign_ack.outcome is Outcome.ACCEPTED

    cases = [
        (
            created.event_id,
            tags_received(1, 5),
            "its replacement must be a plant_batch.created too",
        ),
        (refused.event_id, batch_created("B-2", 50), "was rejected and changed nothing"),
        (foreign.event_id, batch_created("B-9", 6), "is not in the record of licence OR-1001"),
    ]
    for event_id, replacement, words in cases:
        ack = log.correct(event_id, replacement)
        assert ack.outcome is Outcome.REJECTED
        assert [v.rule_id for v in ack.violations] == ["NO-FALSIFICATION"]
        assert words in ack.violations[0].message


def test_an_event_is_corrected_once_then_its_correction_is(engine: Engine) -> None:
    log = Log(engine)
    created = log.ok(batch_created("B-1", 10))
    first = log.correct(created.event_id, batch_created("B-1", 12))
    assert first.outcome is Outcome.ACCEPTED
    again = log.correct(created.event_id, batch_created("B-1", 14))
    assert again.outcome is Outcome.REJECTED
    assert f"already corrected by event {first.event_id}" in again.violations[0].message
    assert first.event_id is not None
    second = log.correct(first.event_id, batch_created("B-1", 14))
    assert second.outcome is Outcome.ACCEPTED
    assert log.one("SELECT initial_count FROM batches") == (14,)
    assert log.one(
        f"SELECT root_event_id FROM corrections WHERE event_id = '{second.event_id}'"
    ) == (created.event_id,)
    assert verify(engine, keep=False)[1] == []


def test_a_pipeline_without_no_falsification_still_refuses_a_correction_of_nothing(
    engine: Engine,
) -> None:
    """The replay needs an accepted original; a pipeline given fewer rules (tests, tools)
    must still not crash on a correction that names none."""
    from server.compliance.rules import REGISTRY

    log = Log(engine)
    log.pipeline = Pipeline(
        engine,
        rules=[r for r in REGISTRY.values() if r.id != "NO-FALSIFICATION"],
        clock=SYSTEM_CLOCK,
    )
    ghost = "01903a4e-5c00-7a3d-8f21-6b0c2d4e9999"
    ack = log.correct(ghost, batch_created("B-1", 5))
    assert ack.outcome is Outcome.REJECTED
    assert [v.rule_id for v in ack.violations] == ["NO-FALSIFICATION"]
    assert f"Event {ghost} is not in the record of licence OR-1001" in ack.violations[0].message
