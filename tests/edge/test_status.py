"""Station health on the retained status topic, and an outbox that nears its size: the display
and the status say so, and a full outbox refuses new work instead of dropping anything."""

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from devices.sim.uhf import UhfModuleSim
from schemas.status import StationState
from server.broker import PrivateBroker
from tests.edge.conftest import Ingest
from tests.edge.helpers import (
    Bench,
    InProcessAgent,
    StatusWatcher,
    config_data,
    event_log,
    make_config,
    uid,
)

pytestmark = [
    pytest.mark.broker,
    pytest.mark.hardware,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


def test_health_on_the_status_topic_and_a_filling_outbox(
    tmp_path: Path, engine: Engine, broker: PrivateBroker, ingest: Ingest, uhf: UhfModuleSim
) -> None:
    data = config_data(
        tmp_path,
        broker.port,
        scale=None,
        uhf=uhf,
        outbox={"capacity": 10, "warn_ratio": 0.3},
    )
    watcher = StatusWatcher(broker.port)
    station = InProcessAgent(make_config(data))
    station.start()
    bench = Bench(station.client, None, uhf)
    try:
        online = watcher.wait("online", lambda s: s.state is StationState.ONLINE)
        assert online.software_version not in (None, "unknown")
        assert online.outbox_capacity == 10
        watcher.wait("the reader ready", lambda s: s.devices.get("reader-1") == "ready")
        ingest.stop()  # no acks: the outbox fills
        bench.sign_in()
        bench.mode("tag_plants")
        bench.choose("batch_id", "B-1")
        for n in (1, 2, 3):
            bench.scan(uid(n))
        view = station.client.wait("the filling warning", lambda v: v["filling"])
        assert any("nearly full" in w for w in view["warnings"])
        status = watcher.wait("depth 3", lambda s: s.outbox_depth == 3)
        assert status.message is not None
        assert "outbox 3 of 10: nearly full" in status.message
        refused = None
        for n in range(4, 13):  # until the outbox is full: then refused, nothing dropped
            view = bench.scan(uid(n))
            if view["outcome"]["state"] == "refused":
                refused = view
                break
        assert refused is not None, "a full outbox accepted more"
        assert "station storage is full" in refused["outcome"]["message"]
        assert refused["waiting"] >= 10
        ingest.start()
        bench.drained(timeout=60)
        status = watcher.wait("an empty outbox", lambda s: s.outbox_depth == 0)
        assert status.last_ack_at is not None
    finally:
        station.stop()
    watcher.wait("offline after a clean stop", lambda s: s.state is StationState.OFFLINE)
    watcher.close()
    log = event_log(engine)
    assert [r.sequence for r in log] == list(range(1, len(log) + 1))
    # (The tags are refused by the server, batch B-1 does not exist: decided all the same.)
    assert {r.outcome for r in log if r.kind.startswith("access.")} == {"accepted"}
    kinds = [r.kind for r in log]
    # The server was away past the threshold: one loss, documented once, even though the
    # backlog's acks then came in over several seconds.
    assert (kinds.count("access.lost"), kinds.count("access.restored")) == (1, 1)
    assert kinds[-1] == "access.restored"
    assert kinds.count("plants.tagged") == len(log) - 2
