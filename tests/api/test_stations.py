"""Station broker credentials over the API: issued, rotated and revoked by a manager, and
obeyed by a real mosquitto running the production configuration."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.api.app import create_app
from tests.api.conftest import fast_settings, refused_field
from tests.deploy.conftest import (  # noqa: F401
    INGEST,
    ROSTER,
    A,
    SecureBroker,
    broker_group,
    certs,
    secure_broker,
)
from tests.deploy.probe import ACCEPTED, NOT_AUTHORIZED, Probe, Refused
from tests.server.conftest import LICENCE

Headers = dict[str, str]
BASE = f"/api/v1/licensees/{LICENCE}"
USERNAME = f"station.{LICENCE}.trim-9"


def test_a_manager_issues_rotates_and_revokes_a_stations_credentials(
    client: TestClient, manager: Headers, user: Headers
) -> None:
    assert (
        client.post(BASE + "/stations", headers=user, json={"station_id": "trim-9"}).status_code
        == 403
    )
    added = client.post(BASE + "/stations", headers=manager, json={"station_id": "trim-9"})
    assert added.status_code == 201, added.text
    first = added.json()
    assert (first["username"], len(first["password"])) == (USERNAME, 43)
    assert first["broker_files"] == {"written": False, "reloaded": False, "error": None}
    again = client.post(BASE + "/stations", headers=manager, json={"station_id": "trim-9"})
    assert again.status_code == 409
    listed = {
        s["station_id"]: s for s in client.get(BASE + "/stations", headers=user).json()["items"]
    }
    assert listed["trim-9"]["broker_username"] == USERNAME
    assert listed["trim-9"]["next_sequence"] is None  # never heard from yet
    rotated = client.post(BASE + "/stations/trim-9/credentials", headers=manager)
    assert rotated.status_code == 201
    assert rotated.json()["password"] != first["password"]
    revoked = client.delete(BASE + "/stations/trim-9/credentials", headers=manager)
    assert revoked.status_code == 200
    assert client.get(BASE + "/stations/trim-9", headers=user).json()["revoked_at"] is not None
    unknown = client.post(BASE + "/stations/nope/credentials", headers=manager)
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "station nope has no broker account"
    bad = client.post(BASE + "/stations", headers=manager, json={"station_id": "trim/9"})
    assert refused_field(bad) == "station_id"


def test_no_password_or_hash_is_ever_listed(
    client: TestClient, manager: Headers, user: Headers
) -> None:
    issued = client.post(BASE + "/stations", headers=manager, json={"station_id": "trim-9"})
    password = issued.json()["password"]
    exported = client.get(BASE + "/stations", headers=user, params={"format": "csv"}).text
    assert password not in exported
    assert "$7$" not in exported


def test_a_roster_account_without_a_hash_is_reported_not_a_server_error(
    app: object, engine: Engine, clock: ManualClock, manager: Headers, tmp_path: Path
) -> None:
    roster = tmp_path / "broker-accounts.toml"
    roster.write_text(ROSTER)
    settings = fast_settings(
        str(engine.url),
        broker_files_dir=tmp_path,
        broker_roster=roster,
    )
    with TestClient(create_app(settings, engine, clock=clock)) as client:
        answer = client.post(BASE + "/stations", headers=manager, json={"station_id": "trim-9"})
    assert answer.status_code == 201
    files = answer.json()["broker_files"]
    assert files["written"] is False
    assert "has no password yet: run `seedtrace broker credentials` first" in files["error"]


@pytest.mark.broker
def test_mosquitto_lets_in_exactly_the_credentials_the_api_issued(
    engine: Engine,
    clock: ManualClock,
    manager: Headers,
    secure_broker: SecureBroker,  # noqa: F811
    tmp_path: Path,
) -> None:
    sb = secure_broker
    roster = tmp_path / "broker-accounts.toml"
    roster.write_text(ROSTER)
    settings = fast_settings(
        str(engine.url),
        broker_files_dir=sb.files.directory,
        broker_roster=roster,
        broker_files_group=broker_group(),
        broker_pid_file=sb.wait_for_pid_file(),
    )
    topic = f"seedtrace/v1/{LICENCE}/trim-9/events"
    with TestClient(create_app(settings, engine, clock=clock)) as client:
        issued = client.post(BASE + "/stations", headers=manager, json={"station_id": "trim-9"})
        assert issued.json()["broker_files"] == {"written": True, "reloaded": True, "error": None}
        password = issued.json()["password"]
        station = _connect(sb, USERNAME, password)
        assert station.publish(topic, b"hello") in ACCEPTED
        # Not another station's topic, and the roster's accounts are untouched.
        assert station.publish(f"seedtrace/v1/{LICENCE}/harvest-1/events", b"x") == NOT_AUTHORIZED
        _connect(sb, A, sb.passwords[A]).close()
        Probe(sb.local_port, INGEST, sb.passwords[INGEST], ca=None).connect().close()
        rotated = client.post(BASE + "/stations/trim-9/credentials", headers=manager).json()
        station.wait_disconnected()  # mosquitto re-checked it on reload
        with pytest.raises(Refused):
            _connect(sb, USERNAME, password)
        renewed = _connect(sb, USERNAME, rotated["password"])
        client.delete(BASE + "/stations/trim-9/credentials", headers=manager)
        renewed.wait_disconnected()
        with pytest.raises(Refused):
            _connect(sb, USERNAME, rotated["password"])


def _connect(sb: SecureBroker, username: str, password: str) -> Probe:
    return Probe(sb.tls_port, username, password, ca=sb.ca, client_id=username).connect()


@pytest.mark.parametrize("name", ["console", "Console"])
def test_the_consoles_reserved_station_name_is_refused(
    client: TestClient, manager: Headers, user: Headers, name: str
) -> None:
    """The server records its own events under the pseudo-station ``console``: a real station
    by that name would share its sequence numbers, so no credentials are issued for it."""
    refused = client.post(BASE + "/stations", headers=manager, json={"station_id": name})
    assert refused.status_code == 422, refused.text
    assert "is reserved" in refused.text
    listed = client.get(BASE + "/stations", headers=user).json()["items"]
    assert all(s["broker_username"] is None for s in listed if s["station_id"] == "console")
