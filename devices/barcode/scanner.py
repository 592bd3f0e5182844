"""A serial barcode scanner (USB CDC ``ttyACM``, or RS-232 through an adapter).

URL::

    scanner:///dev/serial/by-id/usb-Honeywell_Scanner-if00?baudrate=9600&suffix=crlf

Options: the serial ones of :class:`~devices.serialport.SerialTransport` (``baudrate``
9600 by default, ``bytesize``, ``parity``, ``stopbits``); ``suffix=cr|crlf|lf`` (default
``cr``; see :mod:`devices.barcode.lines`, which also accepts CR LF when set to CR);
``max_length=512`` bytes; ``aim=1`` when the scanner prefixes AIM symbology identifiers
(otherwise the symbology is ``UNKNOWN``: a scanner reports only text); ``window=0`` seconds
(the same code within ``window`` s counts once; off by default, since a trigger pull is one
deliberate scan).

Rejected lines (garbage, overlong) are logged with the reason and kept in
:attr:`SerialScanner.rejected` for health reports; they never become reads. Scans made
while the port is closed are lost (opening a port flushes its input, as pyserial does; they
are from before the station was listening). A pulled cable raises
:class:`~devices.errors.DeviceUnavailable` from :meth:`reads`; the next call reopens the port
by path, at most every 0.5 s.
"""

import logging
import time
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime

from devices.barcode.lines import UNKNOWN_SYMBOLOGY, Line, LineSplitter, Rejected, split_aim
from devices.base import BarcodeRead, DeviceState, OpenCloseContext
from devices.errors import DeviceConfigError, DeviceUnavailable
from devices.repeat import RepeatFilter
from devices.serialport import SerialTransport
from devices.urls import DeviceUrl

log = logging.getLogger(__name__)


class SerialScanner(OpenCloseContext):
    """Satisfies :class:`devices.base.BarcodeReader`."""

    def __init__(self, url: DeviceUrl, *, device_id: str | None = None) -> None:
        self.transport = SerialTransport(url, default_baudrate=9600)
        self.device_id = device_id
        try:
            self._lines = LineSplitter(
                url.option("suffix", "cr") or "cr", url.int_option("max_length", 512)
            )
        except ValueError as err:
            raise DeviceConfigError(str(err)) from err
        self.aim = url.option("aim", "0") in ("1", "true", "yes")
        window = url.float_option("window", 0.0)
        self._filter = RepeatFilter(window) if window > 0 else None
        self.rejected: deque[Rejected] = deque(maxlen=100)
        self._state = DeviceState.CLOSED

    @property
    def state(self) -> DeviceState:
        return self._state

    def open(self) -> None:
        """Open the port now; raises DeviceUnavailable if it is not there."""
        try:
            self.transport.open()
            self.transport.discard_input()
        except DeviceUnavailable:
            self._state = DeviceState.UNAVAILABLE
            raise
        self._lines.reset()
        self._state = DeviceState.READY

    def close(self) -> None:
        self.transport.close()
        self._state = DeviceState.CLOSED

    def _read(self, timeout: float) -> bytes:
        try:
            data = self.transport.read(timeout=timeout)
        except DeviceUnavailable:
            self._state = DeviceState.UNAVAILABLE
            self._lines.reset()  # half a line from before the unplug is not a scan
            raise
        self._state = DeviceState.READY
        return data

    def _to_read(self, line: Line) -> BarcodeRead | None:
        symbology, text = split_aim(line.text) if self.aim else (UNKNOWN_SYMBOLOGY, line.text)
        if self._filter is not None and not self._filter.accept(text):
            return None
        return BarcodeRead(
            text=text,
            symbology=symbology,
            at=datetime.now(UTC),
            decoder="scanner",
            device_id=self.device_id,
        )

    def reads(self, timeout: float | None = None) -> Iterator[BarcodeRead]:
        """Codes as they are scanned; stops after ``timeout`` seconds with none (None:
        never). Raises DeviceUnavailable when the port is lost; call again to reopen."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = 0.1 if deadline is None else min(0.1, max(0.0, deadline - time.monotonic()))
            for item in self._lines.feed(self._read(wait)):
                if isinstance(item, Rejected):
                    self.rejected.append(item)
                    log.warning(
                        "%s: dropped a line (%s): %s; raw=%r",
                        self.transport.target,
                        item.reason,
                        item.detail,
                        item.raw,
                    )
                    continue
                read = self._to_read(item)
                if read is not None:
                    yield read
                    if timeout is not None:
                        deadline = time.monotonic() + timeout
            if deadline is not None and time.monotonic() >= deadline:
                return
