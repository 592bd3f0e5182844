"""The demo's console: served by uvicorn with the health listener, log-ons that work, and a
clear error when its port is taken."""

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.engine import Engine

from cli.demo_console import DemoConsole, DemoConsoleError
from edge.link import StationLink
from schemas.clock import SYSTEM_CLOCK
from schemas.status import StationState, StationStatus
from server.broker import PrivateBroker, free_port
from server.health.store import latest
from tests.commands import taken_port
from tests.server.conftest import LICENCE
from tests.server.floor import MANAGER

pytestmark = pytest.mark.broker


def test_the_demo_console_serves_signs_in_and_listens_for_station_health(
    engine: Engine, broker: PrivateBroker
) -> None:
    console = DemoConsole(str(engine.url), broker.port, port=free_port())
    accounts = console.add_accounts(LICENCE, [(MANAGER, "account manager")])
    assert [a.login for a in accounts] == [MANAGER, "olcc.inspector"]
    assert len({a.password for a in accounts}) == 2
    console.start()
    try:
        with httpx.Client(base_url=console.url) as client:
            assert client.get("/console/").headers["location"].startswith("/console/sign-in")
            signed_in = client.post(
                "/console/sign-in",
                data={"login": MANAGER, "password": accounts[0].password, "next": "/console/"},
                headers={"Origin": console.url},
            )
            assert signed_in.status_code == 303
            # The cookie docs/api.md names, kept to the console's pages and from scripts.
            cookie = signed_in.headers["set-cookie"]
            assert cookie.startswith("seedtrace_session=")
            assert "HttpOnly" in cookie
            assert "Path=/console" in cookie
            assert "SameSite=strict" in cookie
            page = client.get("/console/stations")
            assert "Station health" in page.text
        link = StationLink(LICENCE, "demo-1", "127.0.0.1", broker.port, clock=SYSTEM_CLOCK)
        link.connect()
        try:
            link.publish_status(StationStatus(state=StationState.ONLINE, at=datetime.now(UTC)))
            assert console.health.wait_for(1, 10)
        finally:
            link.close()
        assert [h.station_id for h in latest(engine, [LICENCE])] == ["demo-1"]
    finally:
        console.stop()


def test_a_taken_port_is_named_in_the_error(engine: Engine, broker: PrivateBroker) -> None:
    with taken_port() as port:
        console = DemoConsole(str(engine.url), broker.port, port=port)
        with pytest.raises(DemoConsoleError, match=f"port {port}"):
            console.start()
        console.stop()


def test_seedtrace_server_serves_the_console_and_records_station_health(
    engine: Engine, broker: PrivateBroker
) -> None:
    import subprocess
    import sys
    import time
    from pathlib import Path

    port = free_port()
    exe = str(Path(sys.executable).with_name("seedtrace"))
    url = engine.url.render_as_string(hide_password=False)
    web = subprocess.Popen(
        [
            exe,
            "server",
            "--no-ingest",
            "--database-url",
            url,
            "--api-port",
            str(port),
            "--mqtt-port",
            str(broker.port),
            "--log-level",
            "WARNING",
        ],
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/console/sign-in")
                break
            except httpx.ConnectError:
                assert web.poll() is None, "seedtrace server exited"
                assert time.monotonic() < deadline, "seedtrace server did not start"
                time.sleep(0.2)
        assert "Sign in" in page.text
        link = StationLink(LICENCE, "web-1", "127.0.0.1", broker.port, clock=SYSTEM_CLOCK)
        link.connect()
        try:
            link.publish_status(StationStatus(state=StationState.ONLINE, at=datetime.now(UTC)))
            while not latest(engine, [LICENCE]):
                assert time.monotonic() < deadline, "no station health recorded"
                time.sleep(0.2)
        finally:
            link.close()
        assert latest(engine, [LICENCE])[0].station_id == "web-1"
    finally:
        web.terminate()
        assert web.wait(20) == 0
