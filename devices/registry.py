"""The explicit table of drivers and simulators: one line per device protocol.

A driver entry maps a URL scheme (see :mod:`devices.urls`) to ``"module:factory"``; the
factory takes a :class:`~devices.urls.DeviceUrl` and returns an unopened driver. A simulator
entry maps a name (``seedtrace sim NAME``) to a factory that takes string options and returns a
:class:`Simulator`. Modules are imported only when used, so a scale-only station never imports
OpenCV. No folder scanning: a new protocol is one module and one line here.
"""

import importlib
from typing import Any, Protocol

from devices.base import SelfContext
from devices.errors import DeviceConfigError
from devices.urls import DeviceUrl, parse_device_url

# scheme -> (kind, "module:factory"); kind is "scale", "tag" or "barcode".
DRIVERS: dict[str, tuple[str, str]] = {}

# name -> "module:factory"; factory(**options: str) -> Simulator
SIMULATORS: dict[str, str] = {}

# RFID tag readers
DRIVERS["pcsc"] = ("tag", "devices.rfid.pcsc:make_pcsc_reader")
DRIVERS["uhf"] = ("tag", "devices.rfid.uhf:make_uhf_reader")
SIMULATORS["uhf"] = "devices.sim.uhf:make_uhf_sim"
SIMULATORS["card"] = "devices.sim.vcard:make_virtual_card"

# Serial scales: one driver, a protocol table (devices/scales/protocols.py)
DRIVERS["mt-sics"] = ("scale", "devices.scales.protocols:open_scale")
DRIVERS["and"] = ("scale", "devices.scales.protocols:open_scale")
DRIVERS["ohaus"] = ("scale", "devices.scales.protocols:open_scale")
DRIVERS["toledo"] = ("scale", "devices.scales.protocols:open_scale")
DRIVERS["nci"] = ("scale", "devices.scales.protocols:open_scale")
SIMULATORS["scale"] = "devices.sim.scales:scale_simulator"

# Barcode sources
DRIVERS["camera"] = ("barcode", "devices.barcode.camera:CameraReader")
DRIVERS["rtsp"] = ("barcode", "devices.barcode.camera:CameraReader")
DRIVERS["scanner"] = ("barcode", "devices.barcode.scanner:SerialScanner")
DRIVERS["wedge"] = ("barcode", "devices.barcode.wedge:WedgeScanner")
SIMULATORS["camera"] = "devices.sim.camera:CameraSimulator"
SIMULATORS["scanner"] = "devices.sim.scanner:ScannerSimulator"


class Simulator(SelfContext, Protocol):
    """A simulated device that speaks the real bytes. ``url`` is what a driver opens."""

    @property
    def url(self) -> str: ...


def _load(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def device_kind(url: str | DeviceUrl) -> str:
    parsed = url if isinstance(url, DeviceUrl) else parse_device_url(url)
    try:
        return DRIVERS[parsed.scheme][0]
    except KeyError:
        known = ", ".join(sorted(DRIVERS))
        raise DeviceConfigError(
            f"no driver for scheme {parsed.scheme!r} (known: {known})"
        ) from None


def open_device(url: str, device_id: str | None = None) -> Any:
    """An unopened driver for ``url``; use it as a context manager."""
    parsed = parse_device_url(url)
    device_kind(parsed)
    factory = _load(DRIVERS[parsed.scheme][1])
    return factory(parsed, device_id=device_id)


def make_simulator(name: str, **options: str) -> Simulator:
    try:
        target = SIMULATORS[name]
    except KeyError:
        known = ", ".join(sorted(SIMULATORS))
        raise DeviceConfigError(f"no simulator {name!r} (known: {known})") from None
    simulator: Simulator = _load(target)(**options)
    return simulator
