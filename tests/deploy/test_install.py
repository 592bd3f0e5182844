"""Writing the broker files and signalling mosquitto, and the config file we ship."""

import os
import stat
import subprocess
from pathlib import Path

import pytest

from server.brokerauth.accounts import parse_password_file, verify_password
from server.brokerauth.conf import render_production_conf
from server.brokerauth.install import BrokerFiles, InstallError, issue, reload_broker
from server.brokerauth.roster import parse_roster
from server.brokerauth.tuning import TUNING
from tests.deploy.conftest import ROOT, ROSTER

SHIPPED_CONF = ROOT / "deploy/mosquitto/mosquitto.conf"


def test_the_shipped_mosquitto_conf_is_the_tested_one() -> None:
    # The broker tests run render_production_conf() with their own ports and paths.
    assert SHIPPED_CONF.read_text() == render_production_conf(), (
        "deploy/mosquitto/mosquitto.conf is stale: regenerate it with\n"
        "  .venv/bin/python -c 'from server.brokerauth.conf import render_production_conf as r;"
        ' print(r(), end="")\' > deploy/mosquitto/mosquitto.conf'
    )


def test_the_shipped_conf_refuses_anonymous_and_keeps_the_vital_settings() -> None:
    lines = SHIPPED_CONF.read_text().splitlines()
    assert "allow_anonymous false" in lines
    assert "listener 8883" in lines
    assert "listener 1883 127.0.0.1" in lines
    assert lines.count("use_username_as_clientid true") == 2
    assert all(setting in lines for setting in TUNING)
    # Listener options must follow a listener line, or mosquitto opens a default one.
    first_listener = next(i for i, line in enumerate(lines) if line.startswith("listener "))
    assert not any(
        line.startswith(("use_username_as_clientid", "cafile", "certfile", "keyfile"))
        for line in lines[:first_listener]
    )


def test_files_are_written_whole_with_a_restricted_mode(tmp_path: Path) -> None:
    files = BrokerFiles(tmp_path)
    issued = issue(parse_roster(ROSTER), files, group=None)
    hashes = parse_password_file(files.password_file.read_text())
    assert set(hashes) == {a.username for a in issued.accounts}
    for name, password in issued.new_passwords.items():
        assert verify_password(password, hashes[name])
    for path in (files.password_file, files.acl_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".") and p.name != ".lock"]
    assert leftovers == []


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's group to another needs root")
def test_files_belong_to_the_brokers_group(tmp_path: Path) -> None:
    import grp

    files = BrokerFiles(tmp_path)
    issue(parse_roster(ROSTER), files, group="mosquitto")
    gid = grp.getgrnam("mosquitto").gr_gid
    assert files.password_file.stat().st_gid == gid
    assert files.acl_file.stat().st_gid == gid


def test_an_unknown_group_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    files = BrokerFiles(tmp_path)
    with pytest.raises(InstallError, match="no group 'no-such-group-xyz'"):
        issue(parse_roster(ROSTER), files, group="no-such-group-xyz")
    assert not files.password_file.exists()


def test_a_damaged_password_file_is_not_overwritten(tmp_path: Path) -> None:
    files = BrokerFiles(tmp_path)
    files.password_file.write_text("someone:edited this by hand\n")
    with pytest.raises(InstallError, match=r"passwd line 1 \(someone\)"):
        issue(parse_roster(ROSTER), files, group=None)
    assert files.password_file.read_text() == "someone:edited this by hand\n"


def test_a_missing_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(InstallError, match=r"cannot use .*/absent"):
        issue(parse_roster(ROSTER), BrokerFiles(tmp_path / "absent"), group=None)


def test_reload_does_not_signal_a_process_that_is_not_mosquitto(tmp_path: Path) -> None:
    # After a reboot a stale pid file can name an unrelated process. (A real reload is
    # exercised in test_broker_security.py.)
    proc = subprocess.Popen(["sleep", "30"])
    try:
        pid_file = tmp_path / "mosquitto.pid"
        pid_file.write_text(f"{proc.pid}\n")
        with pytest.raises(InstallError, match=f"process {proc.pid} .* is not mosquitto"):
            reload_broker(pid_file)
        assert proc.poll() is None  # SIGHUP would have ended it
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "cannot read mosquitto's pid file .* is mosquitto running"),
        ("not a pid\n", "does not hold a process id"),
        ("999999999\n", "no process 999999999"),
    ],
)
def test_reload_explains_a_bad_pid_file(tmp_path: Path, content: str | None, words: str) -> None:
    pid_file = tmp_path / "mosquitto.pid"
    if content is not None:
        pid_file.write_text(content)
    with pytest.raises(InstallError, match=words):
        reload_broker(pid_file)
