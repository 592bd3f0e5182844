"""A camera as a barcode reader: OpenCV frames through a :class:`~devices.barcode.decoders.Decoder`.

URLs (the part after ``?`` is ours, so a stream URL with its own query must be
percent-encoded)::

    camera://0                                  device index (/dev/video0)
    camera:///var/lib/seedtrace/bench.avi       a video file
    camera://rtsp://10.0.0.7:554/stream1        an RTSP stream (also rtsp://10.0.0.7/...)

Options:

* ``decoder=zxing|zbar`` (default: :data:`~devices.barcode.decoders.DEFAULT_DECODER`);
* ``symbologies=code128,qrcode,datamatrix`` (default: all the decoder can read);
* ``window=2.0`` seconds: the same code in consecutive frames counts once while it stays
  in view (:class:`~devices.repeat.RepeatFilter`), and again after ``window`` s unseen;
* ``loop=1``: a video file starts over at its end (a file otherwise ends: :meth:`reads`
  waits out its timeout and returns);
* ``fps=N``: decode at most N frames a second (default: every frame as it comes; a file is
  then read as fast as the decoder goes).

Failure modes: a source that cannot be opened, a frame grab that fails on a live camera or
stream (cable pulled, stream dropped), or a looping file that is gone when it starts over
raise :class:`~devices.errors.DeviceUnavailable`; the state turns ``unavailable`` and the
next :meth:`CameraReader.reads` reopens the source, at most once per ``reopen_interval``.
A live camera's grab may block for the driver's own timeout (V4L2: seconds) before failing.
"""

import logging
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import cv2
import numpy as np

from devices.barcode.decoders import Image, make_decoder, parse_symbologies
from devices.base import BarcodeRead, DeviceState, OpenCloseContext
from devices.errors import DeviceConfigError, DeviceUnavailable
from devices.repeat import RepeatFilter
from devices.urls import DeviceUrl

log = logging.getLogger(__name__)

_STREAM_SCHEMES = ("rtsp", "rtsps", "http", "https")
_STREAM_TIMEOUT_MS = 5000  # open and read; without it a dead RTSP server blocks ~30 s

# OpenCV logs its own WARN line for every failed open; we raise DeviceUnavailable with the
# same facts, so its lines are noise on a technician's terminal.
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)


def camera_source(url: DeviceUrl) -> int | str:
    """The thing to hand to ``cv2.VideoCapture``: an index, a file path or a stream URL."""
    if url.scheme in _STREAM_SCHEMES:
        return f"{url.scheme}://{url.location}"
    if url.scheme != "camera":
        raise DeviceConfigError(f"{url.scheme}:// is not a camera URL")
    if url.location.isdigit():
        return int(url.location)
    return url.location  # a path, or a stream URL written after camera://


class CameraReader(OpenCloseContext):
    """Satisfies :class:`devices.base.BarcodeReader`."""

    def __init__(
        self, url: DeviceUrl, *, device_id: str | None = None, reopen_interval: float = 0.5
    ) -> None:
        self.source = camera_source(url)
        self.is_file = isinstance(self.source, str) and "://" not in self.source
        self.device_id = device_id
        self.decoder = make_decoder(
            url.option("decoder"), parse_symbologies(url.option("symbologies"))
        )
        self.window = url.float_option("window", 2.0)
        self.loop = url.option("loop", "0") in ("1", "true", "yes")
        fps = url.float_option("fps", 0.0)
        if self.window < 0 or fps < 0:
            raise DeviceConfigError("window and fps must be >= 0")
        self._frame_interval = 1.0 / fps if fps else 0.0
        self.reopen_interval = reopen_interval
        self._filter = RepeatFilter(self.window)
        self._cap: Any = None  # cv2.VideoCapture while open
        self._last_attempt = float("-inf")
        self._next_frame_at = 0.0
        self._ended = False  # a non-looping file reached its end
        self.failures = 0  # times the source was lost

    def _describe(self) -> str:
        return f"camera {self.source}" if isinstance(self.source, int) else str(self.source)

    def open(self) -> None:
        """Open the source now. Raises DeviceUnavailable if it cannot be opened."""
        self._release()
        self._last_attempt = time.monotonic()
        if self.is_file and not os.path.exists(str(self.source)):
            self._state = DeviceState.UNAVAILABLE
            raise DeviceUnavailable(f"cannot open {self._describe()}: no such file")
        try:
            if isinstance(self.source, str) and not self.is_file:
                timeouts = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, _STREAM_TIMEOUT_MS]
                timeouts += [cv2.CAP_PROP_READ_TIMEOUT_MSEC, _STREAM_TIMEOUT_MS]
                cap = cv2.VideoCapture(self.source, cv2.CAP_FFMPEG, timeouts)
            else:
                cap = cv2.VideoCapture(self.source)
            opened = bool(cap.isOpened())
        except cv2.error as err:
            self._state = DeviceState.UNAVAILABLE
            raise DeviceUnavailable(f"cannot open {self._describe()}: {err}") from err
        if not opened:
            cap.release()
            self._state = DeviceState.UNAVAILABLE
            raise DeviceUnavailable(f"cannot open {self._describe()}")
        self._cap = cap
        self._ended = False
        self._state = DeviceState.READY

    def close(self) -> None:
        self._release()
        self._state = DeviceState.CLOSED

    def _release(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()

    def _lost(self, why: str) -> DeviceUnavailable:
        self.failures += 1
        self._release()
        self._state = DeviceState.UNAVAILABLE
        log.warning("%s lost: %s", self._describe(), why)
        return DeviceUnavailable(f"{self._describe()} was lost: {why}")

    def _grab(self) -> Image | None:
        """The next frame; None at the end of a non-looping file."""
        if self._cap is None:
            wait = self._last_attempt + self.reopen_interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self.open()
        if self._frame_interval:
            now = time.monotonic()
            if self._next_frame_at > now:
                time.sleep(self._next_frame_at - now)
            self._next_frame_at = max(now, self._next_frame_at) + self._frame_interval
        try:
            ok, frame = self._cap.read()
            if not ok and self.is_file and self.loop:
                self.open()  # start over; raises DeviceUnavailable if the file is gone
                ok, frame = self._cap.read()
        except cv2.error as err:
            raise self._lost(str(err)) from err
        except DeviceUnavailable as err:
            raise self._lost(str(err)) from err
        if ok:
            return np.asarray(frame, dtype=np.uint8)
        if self.is_file and not self.loop:
            self._ended = True
            return None
        raise self._lost("frame grab failed")

    def reads(self, timeout: float | None = None) -> Iterator[BarcodeRead]:
        """Codes as they are decoded, each once per sighting (see ``window``); stops after
        ``timeout`` seconds with none (None: never, or at the end of a non-looping file).
        Raises DeviceUnavailable when the source is lost; call again to reopen."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            frame = None if self._ended else self._grab()
            if frame is None:  # the file is over: nothing more will ever be in view
                if deadline is not None:
                    time.sleep(max(0.0, deadline - time.monotonic()))
                return
            gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            for found in self.decoder.decode(np.asarray(gray, dtype=np.uint8)):
                if not self._filter.accept(f"{found.symbology}:{found.text}"):
                    continue
                yield BarcodeRead(
                    text=found.text,
                    symbology=found.symbology,
                    at=datetime.now(UTC),
                    decoder=self.decoder.name,
                    device_id=self.device_id,
                )
                if timeout is not None:
                    deadline = time.monotonic() + timeout
            if deadline is not None and time.monotonic() >= deadline:
                return
