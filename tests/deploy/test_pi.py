"""The Pi kiosk launcher: waits for the station display, then opens it full screen.

A stand-in ``chromium-browser`` early on PATH records how it was started; the display is a
plain HTTP server on a free port that starts only after the launcher is already waiting.
"""

import http.server
import os
import subprocess
import threading
from pathlib import Path

import pytest

from server.broker import free_port
from tests.deploy.conftest import ROOT

KIOSK = ROOT / "deploy/pi/kiosk"


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.skipif(not Path("/usr/bin/curl").exists(), reason="needs curl")
def test_kiosk_waits_for_the_display_then_opens_it_in_kiosk_mode(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "browser-args"
    fake = bin_dir / "chromium-browser"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\n')
    fake.chmod(0o755)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    kiosk = subprocess.Popen(
        [str(KIOSK), url], env={**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin"}
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    try:
        assert kiosk.poll() is None  # still waiting: nothing listens yet
        assert not record.exists()
        thread.start()
        assert kiosk.wait(timeout=30) == 0
    finally:
        kiosk.kill()
        server.shutdown()
        server.server_close()
    args = record.read_text().splitlines()
    assert args[-1] == url
    assert "--kiosk" in args
    assert "--noerrdialogs" in args


def test_kiosk_says_when_no_browser_is_installed(tmp_path: Path) -> None:
    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        # PATH with curl but without any chromium.
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        (bin_dir / "curl").symlink_to("/usr/bin/curl")
        result = subprocess.run(
            ["/bin/sh", str(KIOSK), f"http://127.0.0.1:{port}/"],
            env={"PATH": str(bin_dir)},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 1
    assert "neither chromium-browser nor chromium is installed" in result.stderr
