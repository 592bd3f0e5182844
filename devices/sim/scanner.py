"""A simulated serial barcode scanner on a pty: "scans" codes as text lines with a suffix.

Tests script it: :meth:`ScannerSimulator.scan` sends one code (optionally in pieces, with
AIM identifier), :meth:`send_raw` sends any bytes (garbage, a line without suffix),
:meth:`unplug`/:meth:`replug` pull and restore the cable (:class:`~devices.sim.pty.PtyDevice`).

Run as ``seedtrace sim scanner -o codes=A,B``, it scans ``codes`` in turn every ``interval``
seconds until stopped. Options (strings): ``codes``, ``interval=1.0`` (0: scripted only),
``suffix=cr|crlf|lf``, ``aim=0|1``, ``symbology=code128`` (for the AIM prefix),
``garbage=0.0`` (chance that a line of noise comes before a scan), ``split=0`` (send each
scan in pieces of this many bytes, 5 ms apart), ``seed``.

While no driver reads, the background scanner skips scans once a few lines are queued: a pty
holds ~20 KiB and then blocks its writer, and a real scanner's unread data is lost anyway.
"""

import fcntl
import os
import random
import struct
import termios
import threading
import time

from devices.barcode.lines import SUFFIXES
from devices.base import ClosingContext
from devices.sim.pty import PtyDevice

DEFAULT_CODE = "1A4FF0100000022000000123"
_AIM_PREFIX = {"code128": "]C0", "qr": "]Q1", "qrcode": "]Q1", "datamatrix": "]d1"}
_MAX_BACKLOG = 1024  # bytes queued for the driver before background scans pause


class ScannerSimulator(ClosingContext):
    def __init__(
        self,
        codes: str = DEFAULT_CODE,
        interval: str = "1.0",
        suffix: str = "cr",
        aim: str = "0",
        symbology: str = "code128",
        garbage: str = "0",
        split: str = "0",
        seed: str = "0",
    ) -> None:
        if suffix not in SUFFIXES:
            raise ValueError(f"suffix {suffix!r} is not one of {', '.join(SUFFIXES)}")
        if symbology not in _AIM_PREFIX:
            raise ValueError(f"symbology {symbology!r} is not one of {', '.join(_AIM_PREFIX)}")
        self.codes = [code for code in codes.split(",") if code]
        self.interval = float(interval)
        self.suffix = suffix
        self.aim = aim in ("1", "true", "yes")
        self.symbology = symbology
        self.garbage = float(garbage)
        self.split = int(split)
        self._random = random.Random(int(seed))
        self.pty = PtyDevice("scanner")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if self.interval > 0 and self.codes:
            self._thread = threading.Thread(target=self._run, name="scanner-sim", daemon=True)
            self._thread.start()

    @property
    def url(self) -> str:
        return f"scanner://{self.pty.path}?suffix={self.suffix}" + ("&aim=1" if self.aim else "")

    def line(self, code: str) -> bytes:
        """The bytes a scan of ``code`` sends."""
        prefix = _AIM_PREFIX[self.symbology] if self.aim else ""
        return (prefix + code).encode() + SUFFIXES[self.suffix]

    def scan(self, code: str, *, split: int | None = None) -> None:
        """Scan one code now; with ``split``, in pieces of that many bytes, 5 ms apart."""
        self.send_raw(self.line(code), split=self.split if split is None else split)

    def send_raw(self, data: bytes, *, split: int = 0) -> None:
        if split <= 0:
            self.pty.write(data)
            return
        for start in range(0, len(data), split):
            self.pty.write(data[start : start + split])
            time.sleep(0.005)

    def noise(self) -> bytes:
        """A line of line noise, as a baud-rate mismatch produces."""
        junk = bytes(self._random.choice(range(0x80, 0x100)) for _ in range(12))
        return junk + SUFFIXES[self.suffix]

    def unplug(self) -> None:
        self.pty.unplug()

    def replug(self) -> None:
        self.pty.replug()

    def _backlog(self) -> int:
        """Bytes written but not yet read by the driver (FIONREAD on the slave side)."""
        try:
            fd = os.open(self.pty.path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
        except OSError:
            return 0  # unplugged: writes are dropped anyway
        try:
            raw = fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0")
            return int(struct.unpack("i", raw)[0])
        finally:
            os.close(fd)

    def _run(self) -> None:
        index = 0
        while not self._stop.wait(self.interval):
            if self._backlog() > _MAX_BACKLOG:
                continue  # nobody listening: the scan is lost, as on a real port
            if self._random.random() < self.garbage:
                self.send_raw(self.noise())
            self.scan(self.codes[index % len(self.codes)])
            index += 1

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self.pty.close()
