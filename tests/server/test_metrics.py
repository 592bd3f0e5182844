"""The server's /metrics as Prometheus scrapes it, without a session: after real events
through a real mosquitto and the ingest worker, events in, acks by outcome and rejections by
rule id moved; batch sizes, ack latencies and the deadline sweep were observed; no licence
number or tag UID is in it; each app counts only its own process's events."""

import time
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from server.broker import PrivateBroker
from server.ingest.worker import IngestWorker
from server.metrics import ServerMetrics
from tests.prometheus import server_metrics
from tests.server.conftest import LICENCE
from tests.server.floor import (
    Station,
    harvested,
    to_flowering,
    uid,
)
from tests.server.test_ingest_mqtt import acks_for, linked
from tests.server.worker import ingest_on

pytestmark = pytest.mark.broker


@pytest.fixture
def worker(engine: Engine, broker: PrivateBroker) -> Iterator[IngestWorker]:
    with ingest_on(engine, broker, "ingest-metrics", ServerMetrics()) as worker:
        if worker.routing is not None:  # PostgreSQL: events reach the licensee's owner only
            deadline = time.monotonic() + 15
            while not worker.routing.listening(LICENCE):
                assert time.monotonic() < deadline, "the worker never took the licensee's lease"
                time.sleep(0.05)
            time.sleep(0.2)  # the SUBACK, on the worker's own connection
        yield worker


def test_metrics_count_real_events_by_outcome_and_rule(
    worker: IngestWorker, broker: PrivateBroker, engine: Engine
) -> None:
    station = Station()
    plants = [uid(1), uid(2)]
    events = [
        *(station.event(p) for p in to_flowering("B-1", 5, plants, tags=(1, 20))),
        station.event(harvested(plants[0], "455.5")),
        station.event(harvested(plants[0], "455.5")),  # the same plant again: PHASE-ORDER
    ]
    with linked(broker, station) as ln:
        for event in events:
            ln.publish(event)
        acks_for(ln, len(events))
        ln.publish_raw(b"this is not json")  # refused: SCHEMA-INVALID
        acks_for(ln, 1)
        ln.publish(events[0])  # a resend: answered as a duplicate
        acks_for(ln, 1)

    # The broker ack, and the batch's count, follow the last station ack: wait for them.
    deadline = time.monotonic() + 10
    text, m = server_metrics(engine, worker.metrics)
    while m[("seedtrace_ingest_ack_latency_seconds_count", ())] < 8:
        assert time.monotonic() < deadline, m
        time.sleep(0.1)
        text, m = server_metrics(engine, worker.metrics)
    assert m[("seedtrace_ingest_messages_total", ())] == 8
    assert m[("seedtrace_ingest_acks_total", (("outcome", "accepted"),))] == 5
    assert m[("seedtrace_ingest_acks_total", (("outcome", "rejected"),))] == 2
    assert m[("seedtrace_ingest_acks_total", (("outcome", "duplicate"),))] == 1
    assert m[("seedtrace_ingest_rejections_total", (("rule_id", "PHASE-ORDER"),))] == 1
    assert m[("seedtrace_ingest_rejections_total", (("rule_id", "SCHEMA-INVALID"),))] == 1
    batches = m[("seedtrace_ingest_batch_size_count", ())]
    assert 1 <= batches <= 8
    assert m[("seedtrace_ingest_batch_size_sum", ())] == 8
    assert m[("seedtrace_ingest_queue_depth", ())] >= 0
    assert m[("seedtrace_deadline_sweep_seconds_count", ())] >= 1  # the sweep at start
    assert LICENCE not in text
    assert plants[0] not in text
    assert "maria.lopez" not in text

    # Another app (another process) counts its own events only.
    _, fresh = server_metrics(engine, ServerMetrics())
    assert fresh.get(("seedtrace_ingest_acks_total", (("outcome", "accepted"),)), 0) == 0
