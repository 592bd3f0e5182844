"""The technician's path, from the shell: start a simulated scale, read it by its URL."""

import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

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
