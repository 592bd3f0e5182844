"""The main flow end to end: simulated devices, the real agent, a real mosquitto, the real
ingest worker, on SQLite and PostgreSQL. Receive a roll of tags, start a batch, tag plants,
flower them, harvest with stable weights; every event is in the server's log exactly once,
accepted, in sequence, stamped with the operator."""

import pytest

from tests.edge.conftest import Floor
from tests.edge.helpers import event_log, uid

pytestmark = [pytest.mark.broker, pytest.mark.hardware]


def test_a_floor_day_is_entered_exactly_once(floor: Floor) -> None:
    plants = [uid(n) for n in (1, 2, 3)]
    with floor.station() as (station, bench):
        bench.sign_in(mode="receive_tags")
        bench.scan(uid(1))
        bench.scan(uid(20))
        assert "Roll of 20 tags" in station.client.state()["prompt"]["text"]
        bench.choose("done", "yes")
        bench.outcome("accepted")

        bench.mode("start_batch")
        bench.choose("origin", "clone")
        bench.choose("strain", "Blue Dream")
        bench.choose("count", "6")
        bench.choose("batch_id", "B-1")
        assert bench.choose("confirm", "yes")["ok"]
        bench.outcome("accepted")

        bench.mode("tag_plants")
        for plant in plants:
            bench.scan(plant)
            bench.outcome("accepted")

        bench.mode("change_phase")
        for plant in plants:
            bench.scan(plant)
        bench.choose("phase", "flowering")
        bench.choose("room", "Flower Room B")
        bench.choose("done", "yes")
        bench.outcome("accepted")

        bench.mode("harvest")
        for plant, grams in zip(plants, ["512.40", "487.95", "530.10"], strict=True):
            bench.scan(plant)
            assert "on the scale" in station.client.state()["prompt"]["text"]
            bench.weigh(grams)
            view = bench.outcome("accepted")
            assert view["outcome"]["title"].endswith(f"{grams} g wet")
            bench.empty_pan()
        # The same plant again: refused at the station, nothing published.
        view = bench.scan(plants[0])
        assert view["outcome"]["state"] == "refused"
        assert "already harvested here" in view["outcome"]["message"]
        bench.drained()

    log = event_log(floor.engine)
    kinds = [row.kind for row in log]
    assert kinds == [
        "tags.received",
        "plant_batch.created",
        "plants.tagged",
        "plants.tagged",
        "plants.tagged",
        "plants.phase_changed",
        "plant.harvested",
        "plant.harvested",
        "plant.harvested",
    ]
    assert [row.sequence for row in log] == list(range(1, len(log) + 1))
    assert {row.outcome for row in log} == {"accepted"}
    assert len({row.event_id for row in log}) == len(log)
    assert {row.operator_id for row in log} == {"maria.lopez"}
