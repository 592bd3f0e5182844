"""Fixtures for the edge tests: the server's databases and broker (from tests/server), the real
ingest worker (stoppable, for outage tests) and simulated devices on ptys."""

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from devices.sim.scales import ScaleSimulator
from devices.sim.uhf import UhfModuleSim
from schemas.clock import SYSTEM_CLOCK
from server.broker import PrivateBroker
from server.config import ServerSettings
from server.ingest.pipeline import Pipeline
from server.ingest.worker import IngestWorker
from server.metrics import ServerMetrics
from tests.server.conftest import (  # noqa: F401 - fixtures, used by name
    broker,
    database_url,
    engine,
    pg_template,
)


class Ingest:
    """The real ingest worker on a thread; :meth:`stop` and :meth:`start` for outages."""

    def __init__(self, db: Engine, mqtt: PrivateBroker) -> None:
        self.engine = db
        self.broker = mqtt
        self._stop: threading.Event | None = None
        self._thread: threading.Thread | None = None
        self.metrics = ServerMetrics()  # what the server's /metrics would show

    def start(self) -> None:
        settings = ServerSettings(
            database_url=str(self.engine.url),
            mqtt_port=self.broker.port,
            client_id="ingest-edge-test",
        )
        pipeline = Pipeline(self.engine, clock=SYSTEM_CLOCK)
        worker = IngestWorker(settings, pipeline, metrics=self.metrics)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=worker.run, args=(self._stop,), daemon=True)
        self._thread.start()
        assert worker.connected.wait(10), "the ingest worker did not connect"

    def stop(self) -> None:
        if self._stop is not None and self._thread is not None:
            self._stop.set()
            self._thread.join(10)
        self._stop = self._thread = None


@pytest.fixture
def ingest(engine: Engine, broker: PrivateBroker) -> Iterator[Ingest]:  # noqa: F811
    server = Ingest(engine, broker)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def scale() -> Iterator[ScaleSimulator]:
    with ScaleSimulator("mt-sics", weight="0", places=2) as sim:
        yield sim


@pytest.fixture
def uhf() -> Iterator[UhfModuleSim]:
    with UhfModuleSim() as sim:
        yield sim
