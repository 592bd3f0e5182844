"""Device URLs: how a station's config names a device.

``scheme://location?option=value&...``. The scheme picks the driver (one entry in
:data:`devices.registry` per scheme); the location is a serial port path, a ``host:port``,
a PC/SC reader name, a camera index or a file path. Examples::

    mt-sics:///dev/serial/by-id/usb-Mettler_Toledo-if00?baudrate=9600
    and:///dev/ttyUSB0?baudrate=2400
    uhf:///dev/ttyUSB1?baudrate=115200&window=2.0
    pcsc://Virtual PCD 00 00
    camera://0?decoder=zxing
    camera:///var/lib/seedtrace/test.mp4
    scanner:///dev/ttyACM0
    wedge:///dev/input/by-id/usb-Honeywell-event-kbd

A serial location may itself be a pyserial URL (``socket://127.0.0.1:4001``, ``loop://``)
written after ``+``: ``mt-sics+socket://127.0.0.1:4001``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import parse_qsl, unquote

from devices.errors import DeviceConfigError

N = TypeVar("N", int, float)


@dataclass(frozen=True, slots=True)
class DeviceUrl:
    scheme: str
    location: str
    options: dict[str, str] = field(default_factory=dict)
    transport: str | None = None  # e.g. "socket" in "mt-sics+socket://..."

    def option(self, name: str, default: str | None = None) -> str | None:
        return self.options.get(name, default)

    def float_option(self, name: str, default: float) -> float:
        return self._number_option(name, default, float, "a number")

    def int_option(self, name: str, default: int) -> int:
        return self._number_option(name, default, int, "a whole number")

    def _number_option(self, name: str, default: N, parse: Callable[[str], N], what: str) -> N:
        """The option parsed, or ``default`` when absent; DeviceConfigError saying it is not
        ``what`` when ``parse`` refuses it."""
        raw = self.options.get(name)
        if raw is None:
            return default
        try:
            return parse(raw)
        except ValueError as err:
            raise DeviceConfigError(f"option {name}={raw!r} is not {what}") from err

    @property
    def serial_target(self) -> str:
        """What to hand to ``serial.serial_for_url``: a path, or the pyserial URL."""
        if self.transport is None:
            return self.location
        return f"{self.transport}://{self.location}"


def parse_device_url(url: str) -> DeviceUrl:
    """Split a device URL. Raises DeviceConfigError naming what is wrong."""
    if "://" not in url:
        raise DeviceConfigError(f"device URL {url!r} has no scheme (expected scheme://location)")
    scheme, rest = url.split("://", 1)
    transport = None
    if "+" in scheme:
        scheme, transport = scheme.split("+", 1)
    if not scheme:
        raise DeviceConfigError(f"device URL {url!r} has an empty scheme")
    location, _, query = rest.partition("?")
    location = unquote(location)
    if not location:
        raise DeviceConfigError(f"device URL {url!r} names no device after {scheme}://")
    try:
        options = dict(parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query)))
    except ValueError as err:
        raise DeviceConfigError(f"device URL {url!r} has a malformed option list") from err
    return DeviceUrl(scheme.lower(), location, options, transport)
