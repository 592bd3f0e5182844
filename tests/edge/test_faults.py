"""Faults at the station: the agent killed with SIGKILL at the worst moments, a scale pulled
out mid-harvest, and a station nobody is signed in to. Nothing a worker did may be lost or
entered twice; nothing may be published without an operator."""

import json
import signal
import time

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from schemas.status import StationState
from tests.edge.conftest import Floor
from tests.edge.helpers import AgentProcess, Bench, StatusWatcher, event_log, uid

pytestmark = [
    pytest.mark.broker,
    pytest.mark.hardware,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


@pytest.mark.slow
@pytest.mark.parametrize("point", ["after_write", "after_puback"])
def test_an_agent_killed_mid_event_loses_nothing_and_doubles_nothing(
    point: str, floor: Floor
) -> None:
    scale, uhf = floor.scale, floor.uhf
    plants = floor.plants(1, 2, 3, 4)
    data = floor.config(broker={"keepalive_s": 5})
    config = floor.tmp_path / "station.toml"
    # Sequence 2 is the second harvest: killed after writing it / after the broker took it.
    crashing = {"SEEDTRACE_EDGE_CRASH": f"{point}:2"}
    with (
        StatusWatcher(floor.broker.port) as watcher,
        AgentProcess(data, config, crashing) as station,
    ):
        bench = Bench(station.client, scale, uhf)
        bench.sign_in(mode="harvest")
        bench.harvest(plants[0], "401.5")
        bench.scan(plants[1])
        bench.weigh("402.5")  # the agent dies with this event
        assert station.wait_killed() == -signal.SIGKILL
        # The broker notices the vanished station (1.5 keepalives) and publishes its will.
        watcher.wait("the last will", lambda s: s.state is StationState.OFFLINE, timeout=30)
    scale.set_weight("0")

    with AgentProcess(data, config) as station:  # the same outbox, no crash hook
        bench = Bench(station.client, scale, uhf)
        bench.drained()  # the killed event went out (or its ack came) after the restart
        bench.sign_in(mode="harvest")
        for plant, grams in zip(plants[2:], ["403.5", "404.5"], strict=True):
            bench.harvest(plant, grams)
        bench.drained()
    log = event_log(floor.engine)
    assert [(r.sequence, r.kind, r.outcome) for r in log] == [
        (n, "plant.harvested", "accepted") for n in (1, 2, 3, 4)
    ]
    weights = [json.loads(r.body)["payload"]["wet_weight"]["value"] for r in log]
    assert weights == ["401.50", "402.50", "403.50", "404.50"]  # the scale shows 2 places


def test_a_scale_unplugged_mid_harvest_records_nothing_until_it_is_back(floor: Floor) -> None:
    scale = floor.scale
    plants = floor.plants(1, 2)
    with floor.station() as (station, bench):
        bench.sign_in(mode="harvest")
        bench.scan(plants[0])
        scale.unplug()
        view = station.client.wait(
            "the scale shown as unplugged",
            lambda v: (v.get("weight") or {}).get("state") == "unavailable",
        )
        assert view["devices"]["scale-1"] == "unavailable"
        assert "Put plant" in view["prompt"]["text"]  # still waiting for this plant's weight
        scale.set_weight("512.0")  # on a scale that cannot report it
        time.sleep(1.0)
        assert station.client.state()["waiting"] == 0
        assert event_log(floor.engine) == []
        scale.replug()
        bench.outcome("accepted")  # the stable weight, read once the scale is back
        bench.empty_pan()
        bench.scan(plants[1])
        bench.weigh("498.25")
        bench.outcome("accepted")
        bench.drained()
    log = event_log(floor.engine)
    assert [(r.kind, r.outcome) for r in log] == [("plant.harvested", "accepted")] * 2


def test_a_signed_out_station_publishes_nothing(floor: Floor) -> None:
    seen: list[bytes] = []
    spy = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    spy.on_message = lambda _c, _u, message: seen.append(bytes(message.payload))
    spy.connect("127.0.0.1", floor.broker.port)
    spy.subscribe("seedtrace/v1/+/+/events", qos=1)
    spy.loop_start()
    try:
        with floor.station() as (station, bench):
            view = bench.scan(uid(1))
            assert view["outcome"]["state"] == "refused"
            assert "Sign in first" in view["outcome"]["message"]
            reply = station.client.act("mode", mode="harvest")
            assert not reply["ok"]
            assert "Sign in first" in reply["message"]
            bench.weigh("300.0")
            bench.sign_in(mode="harvest")
            assert station.client.act("sign_out")["ok"]
            view = bench.scan(uid(2))
            assert "Sign in first" in view["outcome"]["message"]
            assert station.client.state()["operator"] is None
            time.sleep(1.0)  # anything published would have reached the spy by now
    finally:
        spy.loop_stop()
        spy.disconnect()
    assert seen == []
    assert event_log(floor.engine) == []
