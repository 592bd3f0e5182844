"""Fixtures shared by the device tests.

PC/SC: ``pcscd`` with ``vsmartcard-vpcd`` gives two readers, ``Virtual PCD 00 00`` and
``00 01``, whose cards are :class:`devices.sim.vcard.VirtualCard` emulators. Only one pcscd
can run per machine, so tests share one daemon for the session and use the two reader slots,
never a second daemon. The fixture adopts a pcscd that already serves both readers, or starts
``pcscd -f`` (foreground, needs root; there is no systemd here) and stops it at the end. It
installs nothing: ``make test`` installs the Debian packages. When pcscd cannot be had the
tests skip with the reason, which CI turns into a failure (``tests/conftest.py``).
"""

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.rfid.pcsc import readers as pcsc_readers

VPCD_READERS = ("Virtual PCD 00 00", "Virtual PCD 00 01")
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
VPCD_CONFIG = Path("/etc/reader.conf.d/vpcd")
START_TIMEOUT = 10.0


class PcscDaemon:
    """The session's pcscd: adopted, or started (and then restartable) by us."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="pcscd-", suffix=".log", delete=False)  # noqa: SIM115

    @property
    def ours(self) -> bool:
        return self.process is not None

    def wait_for_readers(self, timeout: float = START_TIMEOUT) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if set(VPCD_READERS) <= set(pcsc_readers()):
                return True
            if self.process is not None and self.process.poll() is not None:
                return False  # it died; waiting longer will not help
            time.sleep(0.1)
        return False

    def start(self) -> None:
        """Start ``pcscd -f``; pytest.skip with the reason if it cannot serve both readers."""
        binary = shutil.which("pcscd") or shutil.which("pcscd", path="/usr/sbin:/sbin")
        if binary is None:
            pytest.skip("pcscd is not installed (Debian package pcscd; `make test` installs it)")
        if not VPCD_DRIVER.exists() or not VPCD_CONFIG.exists():
            pytest.skip("vpcd is not installed (Debian package vsmartcard-vpcd)")
        if os.geteuid() != 0:
            pytest.skip("pcscd is not running and only root can start it (`sudo pcscd -f`)")
        self.process = subprocess.Popen(
            [binary, "--foreground"], stdout=self._log, stderr=subprocess.STDOUT
        )
        if not self.wait_for_readers():
            self.stop()
            tail = Path(self._log.name).read_text(errors="replace")[-600:]
            pytest.skip(f"pcscd started but did not list {VPCD_READERS}; its log ends: {tail}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def kill(self) -> None:
        """Stop our pcscd and wait until no client can reach it (the first half of a restart)."""
        if not self.ours:
            pytest.skip("pcscd was already running and is not ours to restart")
        self.stop()
        deadline = time.monotonic() + 5
        while pcsc_readers() and time.monotonic() < deadline:
            time.sleep(0.05)

    def restart(self) -> None:
        self.kill()
        self.start()

    def close(self) -> None:
        self.stop()
        self._log.close()
        os.unlink(self._log.name)


@pytest.fixture(scope="session")
def pcscd() -> Iterator[PcscDaemon]:
    """A pcscd serving ``Virtual PCD 00 00`` and ``00 01`` for the whole session."""
    pytest.importorskip("smartcard", reason="pyscard is not installed")
    daemon = PcscDaemon()
    try:
        if not set(VPCD_READERS) <= set(pcsc_readers()):
            daemon.start()
        yield daemon
    finally:
        daemon.close()
