"""Fixtures for console browser tests: Chromium, and a whole site on loopback (mosquitto, the
ingest worker, the station health listener and the web app under uvicorn).

Browser tests run on SQLite only (``database_url`` is narrowed here); the console's queries
run on both databases in ``tests/server/console/``.
"""

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from server.broker import PrivateBroker
from server.config import ServerSettings
from server.db.engine import make_engine, migrate
from server.health.listener import HealthListener
from server.ingest.pipeline import Pipeline
from server.ingest.worker import IngestWorker
from tests.server.browser.harness import LiveServer, chromium_or_skip, serve


@pytest.fixture
def database_url(tmp_path: Any) -> str:
    url = f"sqlite:///{tmp_path}/seedtrace.db"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    pg = context.new_page()
    yield pg
    context.close()


@dataclass
class Site:
    broker: PrivateBroker
    engine: Engine
    worker: IngestWorker
    health: HealthListener
    web: LiveServer | None = None


@pytest.fixture
def site(engine: Engine, broker: PrivateBroker) -> Iterator[Site]:
    """mosquitto, the ingest worker and the health listener, all on ``engine``."""
    settings = ServerSettings(
        database_url=str(engine.url), mqtt_port=broker.port, client_id="ingest-browser"
    )
    worker = IngestWorker(settings, Pipeline(engine))
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    assert worker.connected.wait(10), "the ingest worker did not connect"
    health = HealthListener(settings, engine)
    health.start()
    assert health.subscribed.wait(10), "the health listener did not subscribe"
    yield Site(broker, engine, worker, health)
    health.stop()
    stop.set()
    thread.join(10)


__all__ = ["LiveServer", "Site", "serve"]
