"""``make demo`` keeps working: three stations, scripted workers, the real agent and server.
A second demo while one runs is refused before it deletes anything, and Ctrl-C stops a demo
cleanly (exit 0)."""

import fcntl
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from cli.demo import run_demo

pytestmark = [pytest.mark.broker, pytest.mark.hardware, pytest.mark.slow]


def test_the_demo_runs_a_floor_day_at_three_stations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_demo(workdir=tmp_path / "demo", port=0)  # a free port: 8000 may be taken here
    out = capsys.readouterr().out
    for station in ("veg-1", "flower-1", "harvest-1"):
        assert f"station    {station:<10} display http://127.0.0.1:" in out
    for said in (
        "receives a roll of 50 plant tags",
        "was already destroyed",  # the server's rejection, shown at the station
        "was already harvested here",  # refused at the station
        "OFFLINE since",
        "transfers blocked",
        "Saved as #7: will be sent when access returns",
        "every event entered, in order",
        "#4 access.lost (accepted)",
        "#8 access.restored (accepted)",
        "  veg-1      accepted  11",
    ):
        assert said in out
    # The connector filed the day into the Metrc simulator and printed the ids it gave.
    assert "metrc sim  http://127.0.0.1:" in out
    filed = out[out.index("Filed into Metrc") :]
    assert re.search(r"plant_batch\.created +plantings +Ids \[\"\d+\"\]", filed)
    assert re.search(r"plant\.destroyed +destroy_plant +Ids \[", filed)
    assert len(re.findall(r"plant\.harvested +harvest_plant +Ids \[", filed)) == 5
    assert "every accepted event of the day is at Metrc" in filed


SEEDTRACE = str(Path(sys.executable).with_name("seedtrace"))


def _demo(*args: str) -> subprocess.Popen[str]:
    """``seedtrace demo`` in its own process group, as a terminal runs it (with SIGINT at its
    default even when this test runs where SIGINT is ignored, as in a background job)."""
    return subprocess.Popen(
        [SEEDTRACE, "demo", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _read_until(process: subprocess.Popen[str], text: str, timeout: float = 180.0) -> str:
    assert process.stdout is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while text not in seen:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([process.stdout], [], [], max(0.0, left))
        line = process.stdout.readline() if ready else ""
        if not line:
            raise AssertionError(f"no {text!r} from the demo; it said:\n{seen}")
        seen += line
    return seen


def test_a_second_demo_is_refused_and_ctrl_c_stops_the_first_cleanly(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    first = _demo("--keep-running", "--port", "auto", "--workdir", str(workdir))
    try:
        out = _read_until(first, "station    harvest-1")  # mid floor day
        console = next(line for line in out.splitlines() if line.startswith("console"))
        port = int(console.split()[1].rsplit(":", 1)[1])
        assert port > 0  # auto: the free port the console got, printed
        database = workdir / "seedtrace.db"
        before = database.stat().st_ino

        second = subprocess.run(
            [SEEDTRACE, "demo", "--port", "auto", "--workdir", str(workdir)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1
        assert f"a demo is already running (pid {first.pid})" in second.stderr
        assert database.stat().st_ino == before  # nothing deleted
        assert (workdir / "harvest-1" / "agent.log").exists()

        elsewhere = tmp_path / "other"
        taken = subprocess.run(
            [SEEDTRACE, "demo", "--port", str(port), "--workdir", str(elsewhere)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert taken.returncode == 1
        assert f"cannot serve the console on http://127.0.0.1:{port}" in taken.stderr
        assert not elsewhere.exists()

        os.killpg(first.pid, signal.SIGINT)  # Ctrl-C at the terminal: the whole group
        rest, errors = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
    assert first.returncode == 0, errors[-3000:]
    assert "demo stopped: everything it started is shut down" in rest
    assert "Traceback" not in errors
    assert not (tmp_path / "demo.pid").exists()
    assert database.exists()  # the record stays


ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_ctrl_c_at_a_terminal_stops_make_demo_with_status_0(tmp_path: Path) -> None:
    """``make demo`` used to end "Interrupt", status 2, and no "stopped" line. A real terminal
    (a pty as make's controlling terminal) and a real Ctrl-C (the byte 0x03 typed into it)."""
    master, slave = os.openpty()

    def on_the_terminal() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    make = subprocess.Popen(
        [
            *("make", "--no-print-directory", "-o", ".venv/.installed", "demo"),
            *(f"BIN={Path(sys.executable).parent}", "DEMO_PORT=auto", f"DEMO_DIR={tmp_path / 'd'}"),
        ],
        cwd=ROOT,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        preexec_fn=on_the_terminal,
    )
    os.close(slave)
    screen = b""

    def read_until(text: bytes, timeout: float) -> None:
        nonlocal screen
        deadline = time.monotonic() + timeout
        while text not in screen:
            ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise AssertionError(f"no {text!r}; the terminal shows:\n{screen.decode()}")
            try:
                screen += os.read(master, 65536)
            except OSError as err:  # the terminal closed: everything on it has exited
                shown = screen.decode()
                raise AssertionError(f"no {text!r}; the terminal shows:\n{shown}") from err

    try:
        read_until(b"station    harvest-1", 180)  # mid floor day
        os.write(master, b"\x03")  # Ctrl-C
        read_until(b"demo stopped", 120)
        assert make.wait(60) == 0, screen.decode()[-3000:]
    finally:
        if make.poll() is None:
            make.kill()
            make.wait()
        os.close(master)
    shown = screen.decode(errors="replace")
    assert "Interrupt" not in shown
    assert "Traceback" not in shown
