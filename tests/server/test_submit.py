"""Events made on the server (console, API, CLI) go through the pipeline like a station's."""

import json

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.acks import ContractRule, Outcome
from schemas.clock import SYSTEM_CLOCK
from schemas.events import PlantBatchCreated, PlantOrigin, TagsReceived, TagType
from server.db.tables import EventLog
from server.ingest.pipeline import CONSOLE_STATION
from server.ingest.submit import submit
from tests.concurrent import run_at_once
from tests.server.conftest import LICENCE, STAFF_EVENTS
from tests.server.floor import uid

L = EventLog.__table__  # type: ignore[attr-defined]
# The engine fixture registered LICENCE's staff through the console first.
STAFF = STAFF_EVENTS // 2


def _batch(batch_id: str) -> PlantBatchCreated:
    return PlantBatchCreated(
        batch_id=batch_id, origin=PlantOrigin.SEED, count=10, strain="Blue Dream", location="Veg"
    )


def _log(engine: Engine) -> list[sa.Row[tuple[str, int, str, str, str]]]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(L.c.station_id, L.c.sequence, L.c.operator_id, L.c.outcome, L.c.body)
                .where(L.c.licence == LICENCE)
                .order_by(L.c.position)
            )
        )


def test_console_events_are_numbered_attributed_and_stored(engine: Engine) -> None:
    first = submit(
        engine,
        LICENCE,
        "a.chen",
        TagsReceived(tag_type=TagType.PLANT, uids=[uid(1)]),
        clock=SYSTEM_CLOCK,
    )
    second = submit(engine, LICENCE, "a.chen", _batch("B-1"), clock=SYSTEM_CLOCK)
    assert (first.outcome, first.sequence) == (Outcome.ACCEPTED, STAFF + 1)
    assert (second.outcome, second.sequence) == (Outcome.ACCEPTED, STAFF + 2)
    rows = _log(engine)[STAFF:]
    assert [(r.station_id, r.sequence, r.operator_id) for r in rows] == [
        (CONSOLE_STATION, STAFF + 1, "a.chen"),
        (CONSOLE_STATION, STAFF + 2, "a.chen"),
    ]
    assert json.loads(rows[1].body)["event_id"] == second.event_id


def test_a_console_event_breaking_a_rule_is_rejected_and_kept(engine: Engine) -> None:
    submit(engine, LICENCE, "a.chen", _batch("B-1"), clock=SYSTEM_CLOCK)
    again = submit(engine, LICENCE, "a.chen", _batch("B-1"), clock=SYSTEM_CLOCK)
    assert again.outcome is Outcome.REJECTED
    assert [v.rule_id for v in again.violations] == ["BATCH-ID-UNIQUE"]
    assert [r.outcome for r in _log(engine)[STAFF:]] == ["accepted", "rejected"]


def test_unknown_licence_is_refused(engine: Engine) -> None:
    ack = submit(engine, "NO-SUCH-LICENCE", "a.chen", _batch("B-1"), clock=SYSTEM_CLOCK)
    assert ack.outcome is Outcome.REJECTED
    assert ack.violations[0].rule_id == ContractRule.LICENCE_UNKNOWN.value


def test_concurrent_submissions_get_distinct_sequences(engine: Engine) -> None:
    acks = []

    def one(n: int) -> None:
        acks.append(submit(engine, LICENCE, "a.chen", _batch(f"B-{n}"), clock=SYSTEM_CLOCK))

    run_at_once(one, 8)
    assert sorted(a.sequence for a in acks if a.sequence is not None) == list(
        range(STAFF + 1, STAFF + 9)
    )
    assert all(a.outcome is Outcome.ACCEPTED for a in acks)
