"""The systemd units we ship: systemd itself accepts every line, and they run our command.

``systemd-analyze verify`` exits 0 even for unknown keys or bad values (it only warns), so the
test requires it to print nothing. The units point at ``/opt/seedtrace/venv``; the copies
checked here point at this checkout's ``.venv`` so that verify finds the executable.
"""

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.conftest import ROOT

UNITS = sorted((ROOT / "deploy/systemd").glob("*.service"))
INSTALLED = "/opt/seedtrace/venv/bin/seedtrace"
SEEDTRACE = str(Path(sys.executable).with_name("seedtrace"))


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text())
    return parser


def test_both_units_are_shipped() -> None:
    assert [u.name for u in UNITS] == ["seedtrace-edge.service", "seedtrace-server.service"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_accepts_every_line(tmp_path: Path) -> None:
    copies = []
    for path in UNITS:
        copy = tmp_path / path.name
        copy.write_text(path.read_text().replace(INSTALLED, SEEDTRACE))
        copies.append(str(copy))
    result = subprocess.run(
        ["systemd-analyze", "verify", *copies], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout + result.stderr == ""


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_units_run_as_seedtrace_restart_and_keep_state(path: Path) -> None:
    service = unit(path)["Service"]
    assert service["User"] == "seedtrace"
    assert service["Restart"] == "always"
    assert service["StateDirectory"].split()[0] == "seedtrace"
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["CapabilityBoundingSet"] == ""
    assert unit(path)["Unit"]["StartLimitIntervalSec"] == "0"


def test_the_server_unit_runs_a_command_that_exists() -> None:
    exec_start = unit(ROOT / "deploy/systemd/seedtrace-server.service")["Service"]["ExecStart"]
    argv = exec_start.split()
    assert argv[0] == INSTALLED
    result = subprocess.run(
        [SEEDTRACE, *argv[1:], "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Run the central service" in result.stdout
