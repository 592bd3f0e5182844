"""The real ingest worker on a thread of the test process, for tests through a real mosquitto."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine

from schemas.clock import SYSTEM_CLOCK
from server.broker import PrivateBroker
from server.config import ServerSettings
from server.ingest.pipeline import Pipeline
from server.ingest.worker import IngestWorker
from server.metrics import ServerMetrics


@contextmanager
def running_ingest(
    engine: Engine, settings: ServerSettings, metrics: ServerMetrics | None = None
) -> Iterator[IngestWorker]:
    """An :class:`IngestWorker` with ``settings`` on ``engine``, running until the block ends;
    fails (having stopped it) unless it connects to the broker within 10 s."""
    worker = IngestWorker(settings, Pipeline(engine, clock=SYSTEM_CLOCK), metrics=metrics)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert worker.connected.wait(10), "the ingest worker did not connect"
        yield worker
    finally:
        stop.set()
        thread.join(10)


@contextmanager
def ingest_on(
    engine: Engine, broker: PrivateBroker, client_id: str, metrics: ServerMetrics | None = None
) -> Iterator[IngestWorker]:
    """:func:`running_ingest` on ``engine`` and the test's private ``broker``, connected as
    ``client_id``; fails likewise."""
    settings = ServerSettings(
        database_url=str(engine.url), mqtt_port=broker.port, client_id=client_id
    )
    with running_ingest(engine, settings, metrics) as worker:
        yield worker
