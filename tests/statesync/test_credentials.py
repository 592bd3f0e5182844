"""People's state credentials are stored encrypted, read back only with the right key, never
shown by ``repr`` and never printed by the CLI."""

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.statesync.credentials import CredentialError, Credentials, Secret, new_key
from tests.server.conftest import LICENCE
from tests.server.floor import OPERATOR
from tests.statesync.linked import KEY, USER_KEY


def test_stored_encrypted_and_read_with_the_key_only(engine: Engine, clock: ManualClock) -> None:
    store = Credentials(KEY)
    store.store(engine, LICENCE, OPERATOR, "metrc", Secret(None, USER_KEY), now=clock.now())
    with engine.connect() as conn:
        token = conn.execute(sa.text("SELECT secret FROM sync_credentials")).scalar_one()
        assert USER_KEY not in token
        assert store.read(conn, LICENCE, OPERATOR, "metrc").secret == USER_KEY
        with pytest.raises(CredentialError, match="cannot be read") as err:
            Credentials(new_key()).read(conn, LICENCE, OPERATOR, "metrc")
        assert USER_KEY not in str(err.value)
        with pytest.raises(CredentialError, match="no biotrack credentials stored"):
            store.read(conn, LICENCE, OPERATOR, "biotrack")


def test_a_secret_never_shows_itself() -> None:
    secret = Secret("pat", USER_KEY)
    assert USER_KEY not in repr(secret)
    assert USER_KEY not in str(secret)
    assert USER_KEY not in f"{[secret]}"


def test_a_key_that_is_not_fernet_is_named() -> None:
    with pytest.raises(CredentialError, match="SEEDTRACE_SYNC_CREDENTIALS_KEY"):
        Credentials("not-a-key")


def _cli(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_the_cli_links_stores_and_reports_without_showing_the_secret(
    engine: Engine, database_url: str
) -> None:
    env = os.environ | {
        "SEEDTRACE_DATABASE_URL": database_url,
        "SEEDTRACE_SYNC_CREDENTIALS_KEY": KEY,
    }
    linked = _cli("sync", "link", LICENCE, "http://127.0.0.1:9", env=env)
    assert linked.returncode == 0, linked.stderr
    assert "files into metrc" in linked.stdout
    stored = _cli("sync", "credential", LICENCE, OPERATOR, env=env, stdin=USER_KEY + "\n")
    assert stored.returncode == 0, stored.stderr
    shown = _cli("sync", "status", LICENCE, env=env)
    assert shown.returncode == 0, shown.stderr
    assert "access\tup" in shown.stdout
    assert "queue\t" in shown.stdout
    for out in (linked, stored, shown):
        assert USER_KEY not in out.stdout + out.stderr
    unknown = _cli("sync", "status", "OR-9999", env=env)
    assert unknown.returncode != 0
    assert "not linked" in unknown.stderr
    with engine.connect() as conn:
        assert Credentials(KEY).read(conn, LICENCE, OPERATOR, "metrc").secret == USER_KEY
