"""The station's /metrics, as a site's monitoring scrapes it: after a worker's events went
through the real broker and ingest, the counters moved; a broker restart counts a reconnect;
nothing in it names the licence or a tag."""

import threading
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from devices.sim.uhf import UhfModuleSim
from edge.agent import Agent, AgentError
from schemas.clock import SYSTEM_CLOCK
from server.broker import PrivateBroker
from tests.commands import taken_port
from tests.edge.conftest import Ingest
from tests.edge.helpers import LICENCE, Bench, InProcessAgent, config_data, make_config, uid
from tests.prometheus import Samples, samples, server_metrics

pytestmark = [pytest.mark.broker, pytest.mark.hardware]


def scrape(url: str) -> tuple[str, Samples]:
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    return text, samples(text)


def test_the_station_counts_what_it_sent_and_what_came_back(
    tmp_path: Path, engine: Engine, broker: PrivateBroker, ingest: Ingest, uhf: UhfModuleSim
) -> None:
    data = config_data(
        tmp_path, broker.port, scale=None, uhf=uhf, metrics={"enabled": True, "port": 0}
    )
    station = InProcessAgent(make_config(data))
    url = station.agent.metrics_url
    assert url is not None
    _, before = scrape(url)
    assert before[("seedtrace_station_events_published_total", ())] == 0
    station.start()
    bench = Bench(station.client, None, uhf)
    try:
        bench.sign_in(mode="receive_tags")
        bench.scan(uid(1))
        bench.scan(uid(20))
        bench.choose("done", "yes")
        bench.outcome("accepted")
        bench.drained()

        text, after = scrape(url)
        assert after[("seedtrace_station_events_published_total", ())] >= 1
        assert after[("seedtrace_station_events_acked_total", (("outcome", "accepted"),))] == 1
        assert after[("seedtrace_station_outbox_depth", ())] == 0
        assert after[("seedtrace_station_outbox_capacity", ())] == 100_000
        reader = (("device", "reader-1"), ("state", "ready"))
        assert after[("seedtrace_station_device_state", reader)] == 1
        assert after[("seedtrace_station_broker_reconnects_total", ())] == 0
        assert LICENCE not in text
        assert uid(1) not in text
        served, server = server_metrics(engine, ingest.metrics)
        assert LICENCE not in served
        assert server[("seedtrace_ingest_acks_total", (("outcome", "accepted"),))] == 1
        assert server[("seedtrace_ingest_messages_total", ())] == 1

        broker.stop()
        bench.client.wait("offline", lambda v: not v["online"], 20)
        broker.start()
        bench.client.wait("online again", lambda v: v["online"], 30)
        _, again = scrape(url)
        assert again[("seedtrace_station_broker_reconnects_total", ())] == 1
    finally:
        station.stop()


def test_a_taken_metrics_port_stops_the_agent_naming_the_key(tmp_path: Path) -> None:
    with taken_port() as port:
        data = config_data(
            tmp_path, 1883, scale=None, uhf=None, metrics={"enabled": True, "port": port}
        )
        with pytest.raises(
            AgentError, match=f"metrics.port: cannot serve metrics on 127.0.0.1:{port}"
        ):
            Agent(make_config(data), clock=SYSTEM_CLOCK)
    # Nothing was left open: the same config starts once the port is free.
    agent = Agent(make_config(data), clock=SYSTEM_CLOCK)
    assert agent.metrics_url == f"http://127.0.0.1:{port}/metrics"
    stop = threading.Event()
    stop.set()
    agent.run(stop)  # starts and stops at once, closing what it opened
    assert agent.stopped.is_set()
