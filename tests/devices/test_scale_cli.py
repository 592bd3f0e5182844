"""The technician's path, from the shell: start a simulated scale, read it by its URL."""

import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devices.sim.scales import ScaleSimulator
from tests.devices.ttyfault import RefusingPort

pytestmark = pytest.mark.hardware

SEEDTRACE = Path(sys.executable).parent / "seedtrace"


def _command(*args: str) -> list[str]:
    if SEEDTRACE.exists():
        return [str(SEEDTRACE), *args]
    return [sys.executable, "-c", "from cli.main import main; main()", *args]


@pytest.mark.parametrize("protocol", ["mt-sics", "toledo"])
def test_sim_scale_prints_a_url_that_devices_read_can_read(protocol: str) -> None:
    sim = subprocess.Popen(
        _command("sim", "scale", "--protocol", protocol, "-o", "weight=42.10"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert sim.stdout is not None
        ready, _, _ = select.select([sim.stdout], [], [], 15)
        assert ready, "the simulator printed no URL within 15 s"
        url = sim.stdout.readline().decode().strip()
        assert url.startswith(f"{protocol}://")
        read = subprocess.run(
            _command("devices", "read", url, "--count", "1", "--timeout", "5"),
            capture_output=True,
            timeout=30,
            check=False,
        )
        assert read.returncode == 0, read.stderr.decode()
        line = read.stdout.decode().strip()
        assert line.startswith("42.10 g  (42.10 g)  stable"), line
    finally:
        sim.send_signal(signal.SIGTERM)  # the CLI's stop signal: it closes the pty and exits
        try:
            assert sim.wait(timeout=10) == 0, sim.stderr.read().decode() if sim.stderr else ""
        finally:
            if sim.poll() is None:
                sim.kill()
                sim.wait()
            for pipe in (sim.stdout, sim.stderr):
                if pipe is not None:
                    pipe.close()


def _read(url: str, *options: str, preexec: Any = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _command("devices", "read", url, *options),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=preexec,
    )


def test_a_port_that_refuses_its_settings_is_one_clear_line_and_status_1() -> None:
    """termios.error from tcsetattr (not an OSError) used to escape as a traceback."""
    with RefusingPort() as port:
        read = _read(f"mt-sics://{port.path}", "--count", "1", preexec=port.preexec())
    assert read.returncode == 1, read.stderr
    assert "Traceback" not in read.stderr
    [line] = read.stderr.strip().splitlines()
    assert line.startswith(f"cannot open mt-sics://{port.path}: cannot open {port.path}: ")
    assert "the port refused its serial settings (Input/output error (errno 5))" in line


def test_read_count_stops_after_refused_answers_with_status_3() -> None:
    """Every frame refused (an overload): --count 1 used to run for ever."""
    with ScaleSimulator("and", condition="overload") as sim:
        read = _read(sim.url, "--count", "2", "--timeout", "5")
    assert read.returncode == 3, read.stderr
    lines = read.stdout.strip().splitlines()
    assert len(lines) == 2
    assert all(line.startswith("refused: overload: not a weight: overload") for line in lines)


def test_read_count_stops_when_nothing_answers_in_the_timeout() -> None:
    with ScaleSimulator("mt-sics") as sim:
        sim.stop()  # the pty is there, but no scale answers on it
        read = _read(sim.url, "--count", "1", "--timeout", "0.5")
    assert read.returncode == 3, read.stderr
    assert read.stdout.strip() == "(nothing in 0.5 s)"
