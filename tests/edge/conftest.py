"""Fixtures for the edge tests: the server's databases and broker (from tests/server), the real
ingest worker (stoppable, for outage tests), simulated devices on ptys, and ``floor``: all of
them together, for a station at work on the floor."""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from devices.sim.scales import ScaleSimulator
from devices.sim.uhf import UhfModuleSim
from server.broker import PrivateBroker
from server.config import ServerSettings
from server.metrics import ServerMetrics
from tests.edge.helpers import Bench, InProcessAgent, config_data, make_config, prepare_plants, uid
from tests.server.conftest import (  # noqa: F401 - fixtures, used by name
    broker,
    database_url,
    engine,
    pg_template,
)
from tests.server.worker import running_ingest


class Ingest:
    """The real ingest worker on a thread; :meth:`stop` and :meth:`start` for outages. Its
    :attr:`metrics` (what the server's /metrics would show) run on across a restart."""

    def __init__(self, db: Engine, mqtt: PrivateBroker) -> None:
        self.engine = db
        self.broker = mqtt
        self.metrics = ServerMetrics()
        self._running = ExitStack()

    def start(self) -> None:
        settings = ServerSettings(
            database_url=str(self.engine.url),
            mqtt_port=self.broker.port,
            client_id="ingest-edge-test",
        )
        self._running.enter_context(running_ingest(self.engine, settings, self.metrics))

    def stop(self) -> None:
        self._running.close()


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


@dataclass
class Floor:
    """The server (database, broker, ingest worker) and a harvest station's devices (a scale and
    a tag reader): what a station at work on the floor needs."""

    tmp_path: Path
    engine: Engine
    broker: PrivateBroker
    ingest: Ingest
    scale: ScaleSimulator
    uhf: UhfModuleSim

    def plants(self, *numbers: int) -> list[str]:
        """The tags ``uid(n)`` for ``numbers``, on plants already on the server (flowering)."""
        plants = [uid(n) for n in numbers]
        prepare_plants(self.broker.port, plants)
        return plants

    def config(self, **overrides: Any) -> dict[str, Any]:
        """The station's config data with both devices; ``overrides`` as for :func:`config_data`."""
        return config_data(
            self.tmp_path, self.broker.port, scale=self.scale, uhf=self.uhf, **overrides
        )

    @contextmanager
    def station(self, **overrides: Any) -> Iterator[tuple[InProcessAgent, Bench]]:
        """The agent running on :meth:`config`, and a worker at its bench; stopped on exit."""
        with InProcessAgent(make_config(self.config(**overrides))) as station:
            yield station, Bench(station.client, self.scale, self.uhf)


@pytest.fixture
def floor(
    tmp_path: Path,
    engine: Engine,  # noqa: F811
    broker: PrivateBroker,  # noqa: F811
    ingest: Ingest,
    scale: ScaleSimulator,
    uhf: UhfModuleSim,
) -> Floor:
    return Floor(tmp_path, engine, broker, ingest, scale, uhf)
