"""``seedtrace accounts`` and ``seedtrace server`` serving the API next to the ingest."""

import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.main import app as cli
from edge.link import StationLink
from schemas.clock import SYSTEM_CLOCK
from server.broker import PrivateBroker, free_port
from tests.commands import server_command, taken_port
from tests.server.conftest import LICENCE, OTHER_LICENCE
from tests.server.floor import MANAGER, OPERATOR, Station, batch_created

PASSWORD = "a long enough passphrase"


def run(database_url: str, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [*args, "--database-url", database_url], input=stdin)
    return result.exit_code, result.output


def login(client: TestClient, who: str, password: str = PASSWORD) -> int:
    return client.post("/api/v1/auth/login", json={"login": who, "password": password}).status_code


def set_password(
    database_url: str, licence: str, user_id: str, *options: str, password: str = PASSWORD
) -> tuple[int, str]:
    """``seedtrace accounts set-password`` with ``options``, the password on standard input."""
    return run(
        database_url,
        "accounts",
        "set-password",
        licence,
        user_id,
        *options,
        "--password-stdin",
        stdin=password + "\n",
    )


def test_the_first_password_of_a_roster_user(database_url: str, client: TestClient) -> None:
    code, out = set_password(database_url, LICENCE, MANAGER, password="short")
    assert code == 1
    assert "at least 12 characters" in out
    code, out = set_password(database_url, LICENCE, MANAGER)
    assert code == 0, out
    assert f"{LICENCE} {MANAGER}: log-on {MANAGER} created" in out
    assert login(client, MANAGER) == 200
    # The same person at the other licensee needs a log-on of their own (UNIQUE-LOGON).
    code, out = set_password(database_url, OTHER_LICENCE, MANAGER)
    assert code == 1
    assert "UNIQUE-LOGON" in out
    code, _ = set_password(database_url, OTHER_LICENCE, MANAGER, "--login", "a.chen.coastal")
    assert code == 0
    code, out = set_password(database_url, LICENCE, "ghost")
    assert code == 1
    assert "not on the roster" in out


def test_regulators_unlock_disable_and_list(database_url: str, client: TestClient) -> None:
    code, out = run(
        database_url,
        "accounts",
        "add-regulator",
        "olcc.auditor",
        "--name",
        "OLCC",
        "--oversees",
        LICENCE,
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert code == 0, out
    for _ in range(3):
        login(client, "olcc.auditor", "wrong password")
    assert login(client, "olcc.auditor") == 429
    assert run(database_url, "accounts", "unlock", "olcc.auditor")[0] == 0
    assert login(client, "olcc.auditor") == 200
    code, out = run(database_url, "accounts", "list")
    assert out.splitlines() == ["olcc.auditor\tregulator\tOR-1001\tolcc.auditor\tactive"]
    assert "$argon2" not in out
    assert run(database_url, "accounts", "disable", "olcc.auditor")[0] == 0
    assert login(client, "olcc.auditor") == 403
    code, out = run(
        database_url,
        "accounts",
        "add-regulator",
        "x.y",
        "--name",
        "X",
        "--oversees",
        "NOPE-1",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert code == 1
    assert "NOPE-1 is not registered" in out


def wait_http(url: str, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as err:
            return err.code
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.broker
@pytest.mark.slow
def test_the_server_serves_the_api_next_to_the_ingest_and_stops_on_sigterm(
    engine: Engine, database_url: str, broker: PrivateBroker, tmp_path: Path
) -> None:
    """(``engine`` registers the licensees and the operator the station names.)"""
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            server_command(database_url, broker.port, "--api", "--api-port", str(port)),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        assert wait_http(f"http://127.0.0.1:{port}/openapi.json") == 200
        assert wait_http(f"http://127.0.0.1:{port}/api/v1/auth/me") == 401
        # The ingest half answers a station.
        station = Station("veg-1")
        link = StationLink(LICENCE, "veg-1", "127.0.0.1", broker.port, clock=SYSTEM_CLOCK)
        link.connect()
        try:
            event = station.event(batch_created("B-CLI", 3), operator_id=OPERATOR)
            link.publish(event)
            ack = link.wait_ack(20)
        finally:
            link.close()
        assert ack.event_id == event.event_id
        assert ack.outcome.value == "accepted", ack.violations
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0, log.read_text()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_a_taken_api_port_stops_the_server_with_a_reason(database_url: str, tmp_path: Path) -> None:
    with taken_port() as port:
        done = subprocess.run(
            server_command(database_url, None, "--no-ingest", "--api", "--api-port", str(port)),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr


def test_broker_files_from_the_database(
    database_url: str,
    client: TestClient,
    manager: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out = run(database_url, "accounts", "broker-files")
    assert code == 2
    assert "SEEDTRACE_BROKER_FILES_DIR" in out
    issued = client.post(
        f"/api/v1/licensees/{LICENCE}/stations", headers=manager, json={"station_id": "veg-2"}
    ).json()
    monkeypatch.setenv("SEEDTRACE_BROKER_FILES_DIR", str(tmp_path))
    code, out = run(database_url, "accounts", "broker-files")
    assert code == 0, out
    assert "no pid file set" in out
    passwd = (tmp_path / "passwd").read_text()
    assert passwd.startswith(f"{issued['username']}:$7$")
    assert issued["password"] not in passwd
    assert f"topic write seedtrace/v1/{LICENCE}/veg-2/events" in (tmp_path / "acl").read_text()
