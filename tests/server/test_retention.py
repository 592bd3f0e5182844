"""RETAIN-7Y (CA 8400(a),(d)(5)): records are kept at least seven years and retired UIDs at
least six months after retirement. Nothing in seedtrace deletes either, however much time
passes: the server's own periodic work (deadline sweep, checkpoints, a rebuild of current
state) leaves every record and every retired UID in place, and a retired UID stays refused."""

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.acks import Outcome
from schemas.clock import ManualClock
from server.compliance.deadlines.sweep import sweep
from server.ingest.pipeline import Pipeline
from server.store.integrity import take_checkpoints, verify
from server.store.rebuild import verify as rebuild
from tests.server.floor import Station, batch_created, tagged, tags_received, uid
from tests.server.test_pipeline import run

COUNTS = {
    "log": "SELECT count(*) FROM event_log",
    "retired": "SELECT count(*) FROM tags WHERE status = 'retired'",
    "tags": "SELECT count(*) FROM tags",
}


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {k: int(conn.execute(sa.text(q)).scalar_one()) for k, q in COUNTS.items()}


def test_records_and_retired_uids_outlive_seven_years(engine: Engine, clock: ManualClock) -> None:
    pipeline, station = Pipeline(engine, clock=clock), Station()
    acks = run(
        pipeline,
        station,
        station.event(tags_received(1, 50)),
        station.event(batch_created("B-1", 10)),
        station.event({"kind": "tag.retired", "uid": uid(49), "reason": "Damaged"}),
    )
    assert [a.outcome for a in acks] == [Outcome.ACCEPTED] * 3
    before = counts(engine)
    assert before["retired"] == 1

    for days in (183, 366, 7 * 366 + 1):  # six months, a year, past seven years
        clock.advance(timedelta(days=days))
        sweep(engine, clock.now())
        take_checkpoints(engine, clock.now())
    assert rebuild(engine, keep=True)[1] == []

    assert counts(engine) == before
    with engine.connect() as conn:
        retired = conn.execute(
            sa.text("SELECT status, retired_reason FROM tags WHERE uid = :u"), {"u": uid(49)}
        ).one()
    assert tuple(retired) == ("retired", "Damaged")
    (ack,) = run(pipeline, station, station.event(tagged("B-1", [uid(49)])))
    assert ack.outcome == Outcome.REJECTED
    assert [v.rule_id for v in ack.violations] == ["TAG-ONE-ITEM"]
    assert verify(engine)[1] == []
