"""Loss of access during a harvest: the broker stopped, or the server down while the broker is
up. Work goes on, the loss is documented (``access.lost`` / ``access.restored``), and once
access is back every event arrives, in order, once."""

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.engine import Engine

from tests.edge.conftest import Floor
from tests.edge.helpers import Bench, InProcessAgent, event_log

pytestmark = [
    pytest.mark.broker,
    pytest.mark.hardware,
    pytest.mark.slow,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


def _check_log(engine: Engine, kinds: list[str], backlog: int) -> None:
    log = event_log(engine)
    assert [r.kind for r in log] == kinds
    assert [r.sequence for r in log] == list(range(1, len(kinds) + 1))
    assert {r.outcome for r in log} == {"accepted"}
    bodies = {r.kind: json.loads(r.body) for r in log}
    lost, restored = bodies["access.lost"], bodies["access.restored"]
    assert restored["payload"]["lost_event_id"] == lost["event_id"]
    assert restored["payload"]["backlog"] == backlog
    assert lost["payload"]["station_id"] == "harvest-1"
    assert lost["payload"]["lost_at"] < restored["payload"]["restored_at"]


@contextmanager
def _harvesting(floor: Floor) -> Iterator[tuple[list[str], InProcessAgent, Bench]]:
    """Three plants on the server and a worker harvesting them, the first accepted while
    access is whole; the station stops on exit."""
    plants = floor.plants(1, 2, 3)
    with floor.station() as (station, bench):
        bench.sign_in(mode="harvest")
        bench.harvest(plants[0], "510.00")
        yield plants, station, bench


def test_a_broker_outage_during_harvest_is_documented_and_backfilled(floor: Floor) -> None:
    with _harvesting(floor) as (plants, station, bench):
        floor.broker.stop()
        view = station.client.wait("the loss of access", lambda v: v["access_lost"])
        assert "transfers blocked" in view["banner"]
        for plant, grams in zip(plants[1:], ["520.00", "530.00"], strict=True):
            view = bench.harvest(plant, grams, "saved")
            assert "will be sent when access returns" in view["outcome"]["message"]
        view = station.client.state()
        assert view["waiting"] == 3  # the loss record and two harvests
        assert view["banner"].startswith("OFFLINE since ")
        assert "3 waiting" in view["banner"]
        floor.broker.start()
        bench.drained(timeout=60)
    kinds = ["plant.harvested", "access.lost", "plant.harvested", "plant.harvested"]
    _check_log(floor.engine, [*kinds, "access.restored"], backlog=2)


def test_the_server_down_while_the_broker_is_up_is_a_loss_of_access(floor: Floor) -> None:
    with _harvesting(floor) as (plants, station, bench):
        floor.ingest.stop()
        bench.harvest(plants[1], "520.00", "pending")  # the broker took it; no ack comes
        view = station.client.wait("the loss of access", lambda v: v["access_lost"])
        assert view["online"] is False
        assert "transfers blocked" in view["banner"]
        bench.harvest(plants[2], "530.00", "saved")
        floor.ingest.start()
        bench.drained(timeout=60)
    kinds = ["plant.harvested", "plant.harvested", "access.lost", "plant.harvested"]
    _check_log(floor.engine, [*kinds, "access.restored"], backlog=2)
