"""The connector against a bad day at the state: lost answers, 5xx, 429 storms, a 10-minute
outage, sessions that expire. Afterwards the state holds every object once (nothing doubled,
nothing missing) and the calls went in order; the outage is on record with its times."""

import logging
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.statesync.connector import Connector
from server.statesync.faults import FaultSettings
from server.statesync.simulators import MetrcSimulator
from tests.server.conftest import LICENCE
from tests.statesync.cultivation import story
from tests.statesync.linked import (
    BT_PASSWORD,
    CT_LICENCE,
    USER_KEY,
    VENDOR_KEY,
    biotrack_floor,
    calls,
    connector,
    drain,
    file_all,
    linked_metrc,
    metrc_client,
    metrc_outage,
    metrc_sim,
    record_story,
    story_at_metrc,
)
from tests.statesync.test_connector_biotrack import assert_biotrack_matches
from tests.statesync.test_connector_metrc import assert_metrc_matches


def _waste_records(sim: MetrcSimulator) -> int:
    with metrc_client(sim) as m:
        return m.plant_waste(LICENCE, page_size=20).total


def _harvest_waste(sim: MetrcSimulator) -> int:
    with metrc_client(sim) as m:
        (harvest,) = [h for h in m.harvests(LICENCE).data if h.name == "HB-1"]
        return m.harvest_waste(LICENCE, harvest.id).total


def _in_order(rows: list[dict[str, object]]) -> None:
    """Each call was done after every earlier call (except BioTrack's waiting destroys)."""
    done = [r for r in rows if r["action"] != "plant_destroy"]
    times = [r["done_at"] for r in done]
    assert times == sorted(times)  # type: ignore[type-var]


@pytest.mark.parametrize(
    "faults",
    [
        {"lose_rate": 0.4, "seed": 3},
        {"error_rate": 0.3, "seed": 5},
        {"lose_rate": 0.2, "error_rate": 0.2, "seed": 11},
    ],
    ids=["lost-answers", "5xx", "both"],
)
def test_metrc_faults_neither_double_nor_lose(
    engine: Engine, clock: ManualClock, tmp_path: object, faults: dict[str, object]
) -> None:
    with metrc_sim(tmp_path, clock, FaultSettings(**faults)) as sim:
        floor = linked_metrc(engine, sim, clock, LICENCE)
        record_story(floor)
        file_all(engine, clock)
        sim.set_faults(lose_rate=0.0, error_rate=0.0)
        assert_metrc_matches(engine, sim, LICENCE)
        assert _waste_records(sim) == 2  # the untagged plants' destruction, the room's waste
        assert _harvest_waste(sim) == 1
        rows = calls(engine, LICENCE)
        assert {r["status"] for r in rows} == {"done"}
        _in_order(rows)
        bitten = [r for r in rows if r["attempts"] > 1 or r["message"] == "confirmed by read-back"]
        assert bitten  # the faults did bite
        if faults.get("lose_rate"):
            assert any(r["message"] == "confirmed by read-back" for r in rows)


def test_biotrack_lost_answers_and_5xx_use_the_nonce(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    faults = FaultSettings(lose_rate=0.3, error_rate=0.2, seed=7)
    with biotrack_floor(engine, clock, tmp_path, faults) as (sim, floor):
        record_story(floor)
        file_all(engine, clock)
        sim.set_faults(lose_rate=0.0, error_rate=0.0)
        assert_biotrack_matches(engine, sim)
        rows = calls(engine, CT_LICENCE)
        assert {r["status"] for r in rows} == {"done"}
        _in_order(rows)
        assert any(r["message"] == "confirmed by nonce_replay" for r in rows)


def test_a_429_storm_and_expiring_sessions_only_slow_it_down(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    faults = FaultSettings(storm_s=20, storm_retry_after_s=3, session_ttl_s=45)
    with metrc_sim(tmp_path, clock, faults) as sim:
        floor = linked_metrc(engine, sim, clock, LICENCE)
        record_story(floor)
        sim.set_faults(storm_s=20)  # from now, on the clock the events moved
        file_all(engine, clock)
        assert_metrc_matches(engine, sim, LICENCE)
        assert {r["status"] for r in calls(engine, LICENCE)} == {"done"}


def test_biotrack_sessions_expire_midway(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    with biotrack_floor(engine, clock, tmp_path, FaultSettings(session_ttl_s=40)) as (sim, floor):
        record_story(floor)
        with connector(engine, clock) as c:
            drain(c, clock, step_s=20)
        assert_biotrack_matches(engine, sim)


def test_a_ten_minute_outage_is_recorded_and_the_backlog_goes_in_order(
    engine: Engine, clock: ManualClock, tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with metrc_outage(engine, clock, tmp_path) as (sim, floor, c, went_down):
        for payload in story("B-1", 1, harvest_batch="HB-1"):
            floor.record(payload)  # the floor goes on; the queue grows
        drain(c, clock, passes=2000, step_s=5)
        assert_metrc_matches(engine, sim, LICENCE)
        with engine.connect() as conn:
            (outage,) = conn.execute(
                sa.text(
                    "SELECT lost_at, restored_at, lost_cause, backlog_at_restore FROM sync_outages"
                )
            ).all()
            backfill = conn.execute(
                sa.text(
                    "SELECT state, message FROM notifications WHERE rule_id = 'OUTAGE-BACKFILL' "
                    "AND subject_type = 'state_link'"
                )
            ).one()
        lost_at, restored_at = _aware(outage[0]), _aware(outage[1])
        assert went_down <= lost_at < went_down + timedelta(minutes=6)
        assert restored_at >= went_down + timedelta(minutes=10)
        assert "503" in outage[2] or "unavailable" in outage[2].lower()
        assert outage[3] > 0
        assert backfill.state == "resolved"  # the backlog went through
        _in_order(calls(engine, LICENCE))
        assert USER_KEY not in caplog.text
        assert VENDOR_KEY not in caplog.text
        assert BT_PASSWORD not in caplog.text


def _outages(engine: Engine) -> list[sa.Row[tuple[object, ...]]]:
    with engine.connect() as conn:
        return list(
            conn.execute(sa.text("SELECT lost_at, restored_at, lost_cause FROM sync_outages")).all()
        )


def _run_until(c: Connector, clock: ManualClock, until: datetime) -> None:
    while clock.now() < until:
        c.run_once()
        clock.advance(timedelta(seconds=5))


def test_a_connector_restarted_during_an_outage_records_the_loss_from_the_first_failure(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    """Unreachable for 40 s, the connector is replaced by a new process (same worker id); the
    new one records the loss once 60 s (``lost_after_s``) have passed since the first
    failure, not since its own, and dates it from that first failure."""
    with story_at_metrc(engine, clock, tmp_path) as (sim, _):
        sim.set_faults(outage_s=600)
        went_down = clock.now()
        with connector(engine, clock) as first:
            _run_until(first, clock, went_down + timedelta(seconds=40))
        assert _outages(engine) == []  # not yet a loss: 40 s < 60 s
        with connector(engine, clock) as second:  # the process restarted
            _run_until(second, clock, went_down + timedelta(seconds=70))
            (outage,) = _outages(engine)
            assert _aware(outage[0]) == went_down  # the first failure, by the first process
            assert outage[1] is None
            assert "503" in str(outage[2]) or "unavailable" in str(outage[2]).lower()
            drain(second, clock, passes=2000, step_s=5)
        assert_metrc_matches(engine, sim, LICENCE)
        (outage,) = _outages(engine)
        assert _aware(outage[0]) == went_down
        assert _aware(outage[1]) >= went_down + timedelta(minutes=10)


def _aware(value: object):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def test_calls_are_paced_under_the_states_limit(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    with story_at_metrc(engine, clock, tmp_path) as (sim, _):
        with connector(engine, clock, calls_per_s=3, burst=50) as c:
            assert c.run_once() == 3  # the clock stands still: three steps in this second
            assert c.run_once() == 0
            clock.advance(1.0)
            assert c.run_once() == 3
            drain(c, clock)
        assert_metrc_matches(engine, sim, LICENCE)
