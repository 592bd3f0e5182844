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

from collections.abc import Iterator

from devices.barcode.lines import LineSplitter, Rejected
from devices.barcode.textreader import TextCodeReader
from devices.base import BarcodeRead, DeviceState
from devices.errors import DeviceConfigError, DeviceUnavailable
from devices.serialport import SerialTransport
from devices.urls import DeviceUrl


class SerialScanner(TextCodeReader):
    """Satisfies :class:`devices.base.BarcodeReader`."""

    decoder = "scanner"

    def __init__(self, url: DeviceUrl, *, device_id: str | None = None) -> None:
        super().__init__(url, device_id)
        self.transport = SerialTransport(url, default_baudrate=9600)
        try:
            self._lines = LineSplitter(
                url.option("suffix", "cr") or "cr", url.int_option("max_length", 512)
            )
        except ValueError as err:
            raise DeviceConfigError(str(err)) from err

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

    def _reads_within(self, wait: float) -> Iterator[BarcodeRead]:
        for item in self._lines.feed(self._read(wait)):
            if isinstance(item, Rejected):
                self._reject(item, self.transport.target, "a line", "raw")
                continue
            read = self._to_read(item)
            if read is not None:
                yield read
