"""``seedtrace broker credentials`` and ``seedtrace broker rotate`` as an operator runs them."""

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from server.brokerauth.accounts import parse_password_file, verify_password
from tests.deploy.conftest import A_TOPICS, ROSTER, A, B, SecureBroker
from tests.deploy.probe import ACCEPTED, NOT_AUTHORIZED, Probe, Refused

runner = CliRunner()
SEEDTRACE = str(Path(sys.executable).with_name("seedtrace"))


def new_passwords(stdout: str) -> dict[str, str]:
    return dict(line.split("\t") for line in stdout.splitlines())  # type: ignore[misc]


@pytest.fixture
def roster_file(tmp_path: Path) -> Path:
    path = tmp_path / "broker-accounts.toml"
    path.write_text(ROSTER)
    return path


def test_credentials_then_rotate_without_a_running_broker(
    tmp_path: Path, roster_file: Path
) -> None:
    out = tmp_path / "mosquitto"
    out.mkdir()
    args = ["--stations", str(roster_file), "--out", str(out), "--no-reload"]
    first = runner.invoke(app, ["broker", "credentials", *args])
    assert first.exit_code == 0, first.output
    issued = new_passwords(first.stdout)
    assert len(issued) == 5
    assert "5 accounts, 5 new passwords (shown above, once), 0 unchanged" in first.stderr
    hashes = parse_password_file((out / "passwd").read_text())
    assert all(verify_password(pw, hashes[user]) for user, pw in issued.items())
    assert "user station.OR-1001.harvest-1" in (out / "acl").read_text()

    again = runner.invoke(app, ["broker", "credentials", *args])
    assert again.exit_code == 0, again.output
    assert again.stdout == ""
    assert parse_password_file((out / "passwd").read_text()) == hashes

    rotated = runner.invoke(app, ["broker", "rotate", "OR-1001", "harvest-1", "trim-1", *args])
    assert rotated.exit_code == 0, rotated.output
    assert set(new_passwords(rotated.stdout)) == {A, "station.OR-1001.trim-1"}
    after = parse_password_file((out / "passwd").read_text())
    assert {u for u in after if after[u] != hashes[u]} == {A, "station.OR-1001.trim-1"}

    service = runner.invoke(app, ["broker", "rotate-service", "seedtrace-console", *args])
    assert service.exit_code == 0, service.output
    assert set(new_passwords(service.stdout)) == {"seedtrace-console"}


@pytest.mark.parametrize(
    ("command", "words"),
    [
        (["rotate", "OR-1001", "packing-9"], "cannot rotate station.OR-1001.packing-9: not in"),
        (["rotate", "OR-1001", "bad/id"], "station id 'bad/id' is not valid"),
        (["rotate-service", "nobody"], "cannot rotate nobody: not in the roster"),
    ],
)
def test_a_wrong_name_is_refused_and_nothing_changes(
    tmp_path: Path, roster_file: Path, command: list[str], words: str
) -> None:
    args = ["--stations", str(roster_file), "--out", str(tmp_path), "--no-reload"]
    assert runner.invoke(app, ["broker", "credentials", *args]).exit_code == 0
    before = (tmp_path / "passwd").read_text()
    result = runner.invoke(app, ["broker", *command, *args])
    assert result.exit_code != 0
    assert words in " ".join(result.output.split())
    assert (tmp_path / "passwd").read_text() == before


def test_a_bad_roster_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "roster.toml"
    bad.write_text("[[station]]\nlicence = 'OR-1001'\nstation_id = 'has space'\n")
    result = runner.invoke(
        app, ["broker", "credentials", "--stations", str(bad), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "station #1: station id 'has space' is not valid" in " ".join(result.output.split())


def test_a_failed_reload_still_shows_the_new_passwords(tmp_path: Path, roster_file: Path) -> None:
    result = runner.invoke(
        app,
        [
            "broker",
            "credentials",
            "--stations",
            str(roster_file),
            "--out",
            str(tmp_path),
            "--pid-file",
            str(tmp_path / "no.pid"),
        ],
    )
    assert result.exit_code == 1
    assert len(new_passwords(result.stdout)) == 5
    assert "files written, mosquitto not reloaded" in result.stderr
    assert "systemctl reload mosquitto" in " ".join(result.stderr.split())


@pytest.mark.broker
def test_rotate_against_a_running_broker(secure_broker: SecureBroker, roster_file: Path) -> None:
    sb = secure_broker
    old = sb.passwords[A]
    b = Probe(sb.tls_port, B, sb.passwords[B], ca=sb.ca).connect()
    try:
        result = runner.invoke(
            app,
            [
                "broker",
                "rotate",
                "OR-1001",
                "harvest-1",
                "--stations",
                str(roster_file),
                "--out",
                str(sb.files.directory),
                "--pid-file",
                str(sb.wait_for_pid_file()),
            ],
        )
        assert result.exit_code == 0, result.output
        assert "reloads them now" in result.stderr
        new = new_passwords(result.stdout)[A]
        with pytest.raises(Refused) as refused:
            Probe(sb.tls_port, A, old, ca=sb.ca).connect()
        assert refused.value.reason == NOT_AUTHORIZED
        a = Probe(sb.tls_port, A, new, ca=sb.ca).connect()
        assert a.publish(f"{A_TOPICS}/events", b"new password") in ACCEPTED
        a.close()
        assert b.disconnects == []
    finally:
        b.close()


def test_credentials_make_the_out_directory(tmp_path: Path, roster_file: Path) -> None:
    """``--out`` naming a directory that does not exist yet used to fail."""
    out = tmp_path / "etc" / "mosquitto" / "seedtrace"
    command = [SEEDTRACE, "broker", "credentials", "--stations", str(roster_file), "--no-reload"]
    done = subprocess.run(
        [*command, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert f"made {out}" in done.stderr
    assert len(new_passwords(done.stdout)) == 5
    assert (out / "passwd").is_file()
    assert (out / "acl").is_file()
    assert out.stat().st_mode & 0o777 == 0o750
    not_a_dir = tmp_path / "a-file"
    not_a_dir.write_text("")
    refused = subprocess.run(
        [*command, "--out", str(not_a_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "is not a directory" in " ".join(refused.stderr.replace("│", " ").split())
