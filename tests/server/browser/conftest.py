"""Fixtures for console browser tests: Chromium, and a whole site on loopback (mosquitto, the
ingest worker, the station health listener and the web app under uvicorn).

Browser tests run on SQLite only (``database_url`` is narrowed here); the console's queries
run on both databases in ``tests/server/console/``.
"""

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from schemas.clock import SYSTEM_CLOCK, ManualClock
from server.accounts import manage
from server.accounts.roster import DbRoster
from server.api.app import create_app
from server.broker import PrivateBroker
from server.config import ServerSettings
from server.db.engine import make_engine, migrate
from server.health.listener import HealthListener
from server.ingest.pipeline import Pipeline
from server.ingest.worker import IngestWorker
from tests.server.browser.harness import LiveServer
from tests.server.conftest import LICENCE, OTHER_LICENCE
from tests.server.console.day import staff


@pytest.fixture
def database_url(tmp_path: Any) -> str:
    url = f"sqlite:///{tmp_path}/seedtrace.db"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url


PASSWORD = "correct horse battery"
REGULATOR = "olcc.inspector"


@dataclass
class Site:
    broker: PrivateBroker
    engine: Engine
    worker: IngestWorker
    health: HealthListener
    web: LiveServer

    def sign_in(self, page: Any, login: str, password: str = PASSWORD) -> None:
        """Sign in through the form, as a person does."""
        page.goto(f"{self.web.url}/console/")
        page.get_by_label("Log-on").fill(login)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("button", name="Sign out").wait_for()
        # The button shows while the page is still parsing; the console's script (deferred)
        # has wired the filter menus only once the page has loaded.
        page.wait_for_load_state("load")


def _accounts(app: FastAPI, engine: Engine) -> None:
    """Staff on the roster (through the pipeline) with log-ons, and a regulator overseeing
    both licensees."""
    now = datetime.now(UTC)
    staff(engine)
    passwords = app.state.settings.passwords()
    with engine.begin() as conn:
        for user_id in ("a.chen", "maria.lopez"):
            manage.add_user_account(
                conn,
                DbRoster(),
                passwords,
                licence=LICENCE,
                user_id=user_id,
                password=PASSWORD,
                now=now,
            )
        manage.add_regulator(
            conn,
            passwords,
            login=REGULATOR,
            display_name="OLCC Inspector",
            password=PASSWORD,
            oversees=[LICENCE, OTHER_LICENCE],
            now=now,
        )


@pytest.fixture
def clock() -> ManualClock:
    """Chromium cannot be time-travelled (it hangs under libfaketime), so the browser tests run
    the whole site on the system clock; the licensees are registered at the moment the test
    starts, as a real licensee is registered before its first day on the floor."""
    return ManualClock(SYSTEM_CLOCK.now())


@pytest.fixture
def site(engine: Engine, broker: PrivateBroker) -> Iterator[Site]:
    """mosquitto, the ingest worker, the health listener and the web app (the API with the
    console) under uvicorn, all on ``engine``; staff and a regulator can sign in."""
    settings = ServerSettings(
        database_url=str(engine.url),
        mqtt_port=broker.port,
        client_id="ingest-browser",
        argon2_time_cost=1,
        argon2_memory_kib=64,
        argon2_parallelism=1,
    )
    worker = IngestWorker(settings, Pipeline(engine, clock=SYSTEM_CLOCK))
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    assert worker.connected.wait(10), "the ingest worker did not connect"
    health = HealthListener(settings, engine, clock=SYSTEM_CLOCK)
    health.start()
    assert health.subscribed.wait(10), "the health listener did not subscribe"
    app = create_app(settings, engine, clock=SYSTEM_CLOCK)
    _accounts(app, engine)
    web = LiveServer(app)
    web.start()
    yield Site(broker, engine, worker, health, web)
    web.stop()
    health.stop()
    stop.set()
    thread.join(10)
