"""A serial transport that survives a pulled cable.

Opens a path (``/dev/ttyUSB0``, ``/dev/serial/by-id/...``, a pty) or a pyserial URL
(``socket://``, ``loop://``) with :func:`serial.serial_for_url`. Any pyserial or OS error,
including ``termios.error`` (not an OSError: pyserial lets it through when the kernel refuses
``tcsetattr`` or ``tcflush`` on a port that is not a usable tty, or whose device is going), is
translated into :class:`~devices.errors.DeviceUnavailable` and the port is closed; the next
call to :meth:`SerialTransport.read` or :meth:`write` tries to reopen it, at most once per
``reopen_interval`` seconds, so a driver loop simply keeps calling.

Why reopen by path: on a Pi a replugged USB adapter may come back as another ``ttyUSBn``;
``/dev/serial/by-id/...`` follows it (see ``docs/platform-facts.md``).
"""

import os
import termios
import time

import serial

from devices.errors import DeviceConfigError, DeviceUnavailable
from devices.urls import DeviceUrl

# termios.error is not an OSError: pyserial's flush() (tcdrain) and reset_input_buffer()
# (tcflush) raise it with EIO when the device behind the port is gone.
_LOST = (serial.SerialException, OSError, termios.error)

_PARITIES = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD}


class SerialTransport:
    """Byte stream to one serial device. Options from the URL: ``baudrate``, ``bytesize``
    (7 or 8), ``parity`` (N, E, O), ``stopbits`` (1 or 2)."""

    def __init__(
        self, url: DeviceUrl, *, default_baudrate: int = 9600, reopen_interval: float = 0.5
    ) -> None:
        self.target = url.serial_target
        self.baudrate = url.int_option("baudrate", default_baudrate)
        self.bytesize = url.int_option("bytesize", 8)
        parity = (url.option("parity", "N") or "N").upper()
        if parity not in _PARITIES:
            raise DeviceConfigError(f"parity {parity!r} is not one of N, E, O")
        self.parity = _PARITIES[parity]
        self.stopbits = url.int_option("stopbits", 1)
        if self.bytesize not in (7, 8) or self.stopbits not in (1, 2):
            raise DeviceConfigError("bytesize must be 7 or 8 and stopbits 1 or 2")
        self.reopen_interval = reopen_interval
        self._port: serial.Serial | None = None
        self._last_attempt = float("-inf")
        self.failures = 0  # times the port was lost; useful for tests and health reports

    @property
    def is_open(self) -> bool:
        return self._port is not None

    def open(self) -> None:
        """Open the port now. Raises DeviceUnavailable if it is not there."""
        self._last_attempt = time.monotonic()
        try:
            port = serial.serial_for_url(  # a Serial, or a URL handler with its API
                self.target,
                baudrate=self.baudrate,
                bytesize=self.bytesize,
                parity=self.parity,
                stopbits=self.stopbits,
                timeout=0.05,
                exclusive=True if os.path.exists(self.target) else None,
            )
        except termios.error as err:
            raise DeviceUnavailable(
                f"cannot open {self.target}: the port refused its serial settings "
                f"({_termios_text(err)}); is it a serial device, and not in use by another "
                "session?"
            ) from err
        except (serial.SerialException, OSError, ValueError) as err:
            raise DeviceUnavailable(f"cannot open {self.target}: {err}") from err
        self._port = port

    def close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except _LOST:
                pass  # closing a port whose device vanished: nothing left to release

    def _ensure_open(self) -> serial.Serial:
        if self._port is None:
            wait = self._last_attempt + self.reopen_interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self.open()
        assert self._port is not None
        return self._port

    def _lost(self, err: BaseException) -> DeviceUnavailable:
        self.failures += 1
        self.close()
        text = _termios_text(err) if isinstance(err, termios.error) else str(err)
        return DeviceUnavailable(f"{self.target} was lost: {text}")

    def read(self, max_bytes: int = 4096, timeout: float = 0.05) -> bytes:
        """Whatever arrives within ``timeout`` seconds (possibly nothing), up to ``max_bytes``."""
        port = self._ensure_open()
        try:
            port.timeout = timeout
            first = port.read(1)
            if not first:
                return b""
            waiting = port.in_waiting
            rest = port.read(min(waiting, max_bytes - 1)) if waiting else b""
            return bytes(first + rest)
        except (*_LOST, TypeError) as err:
            # pyserial raises SerialException("device reports readiness to read but returned
            # no data") when the other end of a pty or USB adapter goes away.
            raise self._lost(err) from err

    def write(self, data: bytes) -> None:
        port = self._ensure_open()
        try:
            port.write(data)
            port.flush()
        except _LOST as err:
            raise self._lost(err) from err

    def discard_input(self) -> None:
        if self._port is not None:
            try:
                self._port.reset_input_buffer()
            except _LOST as err:
                raise self._lost(err) from err


def _termios_text(err: termios.error) -> str:
    """``termios.error(5, 'Input/output error')`` -> ``Input/output error (errno 5)``."""
    if len(err.args) == 2:
        return f"{err.args[1]} (errno {err.args[0]})"
    return str(err)
