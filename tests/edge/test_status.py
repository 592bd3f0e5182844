"""Station health on the retained status topic, and an outbox that nears its size: the display
and the status say so, and a full outbox refuses new work instead of dropping anything."""

import logging
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
    tmp_path: Path,
    engine: Engine,
    broker: PrivateBroker,
    ingest: Ingest,
    uhf: UhfModuleSim,
    caplog: pytest.LogCaptureFixture,
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
        bench.sign_in(mode="tag_plants")
        bench.choose("batch_id", "B-1")
        for n in (1, 2, 3):
            bench.scan(uid(n))
        view = station.client.wait("the filling warning", lambda v: v["filling"])
        assert any("nearly full" in w for w in view["warnings"])
        # Three scans wait; the record of the access loss (2 s without an ack) may join them.
        status = watcher.wait(
            "depth 3", lambda s: s.outbox_depth is not None and s.outbox_depth >= 3
        )
        assert status.message is not None
        assert status.outbox_depth == 3 or (
            status.outbox_depth == 4 and "access lost" in status.message
        ), status
        assert f"outbox {status.outbox_depth} of 10: nearly full" in status.message
        caplog.set_level(logging.INFO, logger="seedtrace.edge")
        refused, refused_tag = None, ""
        for n in range(4, 13):  # until the outbox is full: then refused, nothing dropped
            refused_tag = uid(n)
            view = bench.scan(refused_tag)
            if view["outcome"]["state"] == "refused":
                refused = view
                break
        assert refused is not None, "a full outbox accepted more"
        message = refused["outcome"]["message"]
        assert "station storage is full" in message
        assert "check the network and the broker, or call your administrator" in message
        assert refused["waiting"] >= 10
        # Full is "full" (not "nearly full"), with what to do: on the display, the status, the log.
        view = station.client.wait("the full warning", lambda v: v["full"])
        full_note = "outbox 10 of 10: full; new work is refused until the server acknowledges"
        assert any(w.startswith(full_note) for w in view["warnings"]), view["warnings"]
        assert not any("nearly full" in w for w in view["warnings"])
        status = watcher.wait("a full outbox", lambda s: full_note in (s.message or ""))
        assert status.outbox_depth == 10
        lines = [r.getMessage() for r in caplog.records if r.name == "seedtrace.edge"]
        assert sum(line.startswith(full_note) for line in lines) == 1, lines
        assert any(line.startswith("refused plants.tagged: the outbox holds 10") for line in lines)
        again = bench.scan(refused_tag)  # still full: refused again, not "already scanned"
        assert "station storage is full" in again["outcome"]["message"]
        ingest.start()
        bench.drained(timeout=60)
        # The refused scan left no trace in the flow: once there is room it is taken.
        bench.scan(refused_tag)
        bench.outcome("rejected")  # recorded and decided (batch B-1 is unknown to the server)
        bench.drained(timeout=30)
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
    assert kinds[-2:] == ["access.restored", "plants.tagged"]  # the refused tag, scanned again
    assert kinds.count("plants.tagged") == len(log) - 2
