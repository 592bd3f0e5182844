"""Each licensee is handled by one connector process at a time: a lease row with an expiry,
renewed in every transaction; a process that stops renewing loses it, and one that lost it
can change nothing."""

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.statesync.queue import LeaseLost, LinkRow, acquire, links
from tests.server.conftest import LICENCE, OTHER_LICENCE
from tests.server.floor import uid
from tests.statesync.linked import (
    USER_KEY,
    Floor,
    calls,
    connector,
    drain,
    link_metrc,
    metrc_sim,
    record_story,
    story_at_metrc,
)
from tests.statesync.test_connector_metrc import assert_metrc_matches


def test_one_process_per_licensee_and_a_silent_one_loses_it(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    with story_at_metrc(engine, clock, tmp_path) as (sim, _):
        with (
            connector(engine, clock, worker_id="a", burst=3) as a,
            connector(engine, clock, worker_id="b", burst=3) as b,
        ):
            assert a.run_once() > 0
            assert b.run_once() == 0  # a holds it
            assert not acquire(engine, LICENCE, "b", clock.now(), 10.0)
            clock.advance(timedelta(seconds=11))  # a went silent past its lease
            assert b.run_once() > 0
            with pytest.raises(LeaseLost):
                a.step(LICENCE)  # a wakes up: it may change nothing
            drain(b, clock)
        assert {r["status"] for r in calls(engine, LICENCE)} == {"done"}
        assert_metrc_matches(engine, sim, LICENCE)


def test_two_processes_share_the_licensees_and_file_each_once(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    with metrc_sim(tmp_path, clock) as sim:
        for licence in (LICENCE, OTHER_LICENCE):
            sim.app.add_facility(licence, f"Farm {licence}")
        sim.app.add_user(USER_KEY, "Maria Lopez", [LICENCE, OTHER_LICENCE])
        for licence in (LICENCE, OTHER_LICENCE):
            sim.app.add_tags(licence, "Plant", [uid(n) for n in range(1, 61)])
            link_metrc(engine, sim, licence, clock)
        for licence in (LICENCE, OTHER_LICENCE):
            floor = Floor(engine, clock, licence)
            record_story(floor)
        with (
            connector(engine, clock, worker_id="a", burst=2) as a,
            connector(engine, clock, worker_id="b", burst=2) as b,
        ):
            # a takes the first licensee it finds free, b the other; they alternate.
            for _ in range(200):
                if a.run_once() + b.run_once() == 0:
                    break
            owners = {link.licence: link.lease_owner for link in _links(engine)}
            assert sorted(owners.values()) == ["a", "b"]
        for licence in (LICENCE, OTHER_LICENCE):
            assert {r["status"] for r in calls(engine, licence)} == {"done"}
            assert_metrc_matches(engine, sim, licence)


def _links(engine: Engine) -> list[LinkRow]:
    with engine.connect() as conn:
        return links(conn)
