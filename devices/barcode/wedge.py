"""A keyboard-wedge (USB HID) barcode scanner read through Linux evdev.

URL::

    wedge:///dev/input/by-id/usb-Honeywell_Scanner-event-kbd?suffix=enter

Options: ``suffix=enter|tab`` (the key that ends a code), ``grab=1`` (default: take the
device for ourselves with ``EVIOCGRAB``, so scans do not also type into the kiosk's focused
window; ``grab=0`` shares it), ``max_length=512``, ``window=0`` (seconds; the same code
within it counts once), ``aim=1`` (strip AIM symbology identifiers, as for serial
scanners). Key events become text by :mod:`devices.barcode.keymap` (US layout).

The events come from a :class:`KeyEventSource`: :class:`EvdevSource` in production; tests and
demos pass their own (``/dev/uinput`` does not exist in our sandboxes, so no fake kernel
device can be made there). Reading ``/dev/input/event*`` needs root or the ``input`` group.

Failure modes: a missing or unreadable device, one grabbed by another program, or one
unplugged while read raise :class:`~devices.errors.DeviceUnavailable`; the next
:meth:`WedgeScanner.reads` reopens it (by-id paths follow a replugged scanner).
"""

import errno
import select
import time
from collections.abc import Iterator
from typing import Any, Protocol

from devices.barcode.keymap import KeyDecoder
from devices.barcode.lines import Rejected
from devices.barcode.textreader import TextCodeReader
from devices.base import BarcodeRead, DeviceState
from devices.errors import DeviceConfigError, DeviceUnavailable
from devices.urls import DeviceUrl

KeyEvent = tuple[int, int, int]  # (type, code, value) as in struct input_event


class KeyEventSource(Protocol):
    def open(self) -> None:
        """Start receiving events; raises DeviceUnavailable if the device is not there."""
        ...

    def close(self) -> None: ...

    def read(self, timeout: float) -> list[KeyEvent]:
        """Events that arrive within ``timeout`` seconds (possibly none); raises
        DeviceUnavailable when the device is gone."""
        ...


class EvdevSource:
    """Events from ``/dev/input/event*`` through python-evdev."""

    def __init__(self, path: str, *, grab: bool = True) -> None:
        self.path = path
        self.grab = grab
        self._device: Any = None  # evdev.InputDevice while open

    def open(self) -> None:
        import evdev

        self.close()
        try:
            device = evdev.InputDevice(self.path)
        except OSError as err:
            hint = " (add the user to the 'input' group)" if err.errno == errno.EACCES else ""
            raise DeviceUnavailable(f"cannot open {self.path}: {err}{hint}") from err
        if self.grab:
            try:
                device.grab()
            except OSError as err:
                device.close()
                raise DeviceUnavailable(
                    f"cannot grab {self.path}: {err} (another program holds it)"
                ) from err
        self._device = device

    def close(self) -> None:
        device, self._device = self._device, None
        if device is None:
            return
        try:
            if self.grab:
                device.ungrab()
        except OSError:
            pass  # unplugged: the grab went with the device
        device.close()

    def read(self, timeout: float) -> list[KeyEvent]:
        if self._device is None:
            self.open()
        try:
            ready, _, _ = select.select([self._device.fd], [], [], timeout)
            if not ready:
                return []
            return [(e.type, e.code, e.value) for e in self._device.read()]
        except BlockingIOError:
            return []
        except OSError as err:  # ENODEV once the scanner is unplugged
            self.close()
            raise DeviceUnavailable(f"{self.path} was lost: {err}") from err


class WedgeScanner(TextCodeReader):
    """Satisfies :class:`devices.base.BarcodeReader`."""

    decoder = "wedge"

    def __init__(
        self,
        url: DeviceUrl,
        *,
        device_id: str | None = None,
        source: KeyEventSource | None = None,
        reopen_interval: float = 0.5,
    ) -> None:
        super().__init__(url, device_id)
        grab = url.option("grab", "1") not in ("0", "false", "no")
        self.source = source if source is not None else EvdevSource(url.location, grab=grab)
        self.location = url.location
        try:
            self._keys = KeyDecoder(
                url.option("suffix", "enter") or "enter", url.int_option("max_length", 512)
            )
        except ValueError as err:
            raise DeviceConfigError(str(err)) from err
        self.reopen_interval = reopen_interval
        self._open = False
        self._last_attempt = float("-inf")

    def open(self) -> None:
        self._last_attempt = time.monotonic()
        try:
            self.source.open()
        except DeviceUnavailable:
            self._state = DeviceState.UNAVAILABLE
            raise
        self._keys.reset()
        self._open = True
        self._state = DeviceState.READY

    def close(self) -> None:
        self._open = False
        self.source.close()
        self._state = DeviceState.CLOSED

    def _events(self, timeout: float) -> list[KeyEvent]:
        if not self._open:
            wait = self._last_attempt + self.reopen_interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self.open()
        try:
            return self.source.read(timeout)
        except DeviceUnavailable:
            self._open = False
            self._state = DeviceState.UNAVAILABLE
            self._keys.reset()  # half a code typed before the unplug is not a scan
            self.source.close()
            raise

    def _reads_within(self, wait: float) -> Iterator[BarcodeRead]:
        for event in self._events(wait):
            item = self._keys.feed(*event)
            if isinstance(item, Rejected):
                self._reject(item, self.location, "a scan", "typed so far")
            elif item is not None:
                read = self._to_read(item)
                if read is not None:
                    yield read
