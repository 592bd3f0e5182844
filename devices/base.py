"""What the station asks of its devices: readings and the driver protocols.

Readings are plain frozen dataclasses (they stay on the station); the agent turns them into
``schemas`` models when it publishes. Times are UTC, weights exact :class:`~decimal.Decimal`.

Every driver is a context manager. ``open()``/``close()`` may be called again after a failure:
drivers reopen by themselves when a read fails with :class:`~devices.errors.DeviceUnavailable`
and the device comes back (cable replugged, ``pcscd`` restarted), and report their state
through :attr:`state`.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from schemas.weights import Unit


class DeviceState(StrEnum):
    CLOSED = "closed"
    READY = "ready"
    UNAVAILABLE = "unavailable"  # was open, lost; reopening


class TagSource(StrEnum):
    PCSC = "pcsc"  # an HF/NFC card or tag on a PC/SC reader (badges, HF plant tags)
    UHF = "uhf"  # an EPC Gen 2 tag seen by a UHF serial module
    BARCODE = "barcode"  # the UID printed as a barcode


@dataclass(frozen=True, slots=True)
class TagRead:
    """One tag seen by a reader.

    ``uid`` is normalised (see :func:`devices.uid.normalise_uid`): 24 characters ``[0-9A-Z]``
    for a Metrc-style tag or a 96-bit EPC; other lengths for card serial numbers (badges).
    ``raw`` is what the device sent for this tag (EPC bytes, card UID bytes, barcode text).
    ``rssi`` is in dBm where the device reports it.
    """

    uid: str
    raw: bytes
    source: TagSource
    at: datetime
    rssi: int | None = None
    device_id: str | None = None


@dataclass(frozen=True, slots=True)
class WeightReading:
    """One weight from a scale.

    ``value`` is exact in the scale's ``unit``; ``grams`` is the same mass in grams.
    ``stable`` is the scale's own stability flag (no motion). ``net`` is true when a tare is
    active. ``raw`` is the complete frame as received. Only stable readings may become a
    harvest weight (HARVEST-WET-WEIGHT).
    """

    value: Decimal
    unit: Unit
    grams: Decimal
    stable: bool
    raw: bytes
    at: datetime
    net: bool = False
    device_id: str | None = None


@dataclass(frozen=True, slots=True)
class BarcodeRead:
    """One decoded barcode. ``symbology`` is e.g. ``CODE128``, ``QRCODE``, ``DATAMATRIX``."""

    text: str
    symbology: str
    at: datetime
    decoder: str
    device_id: str | None = None


class SelfContext(Protocol):
    """A context manager whose ``with`` gives the object itself."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class ClosingContext:
    """Mixin: ``with thing:`` gives the thing and closes it at the end, whatever happens inside.

    The class provides ``close()``; simulators and test harnesses that are live from the
    constructor on use it as it is."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class OpenCloseContext(ClosingContext):
    """Mixin: ``with driver:`` opens it and closes it, whatever happens inside.

    The class provides ``open()`` and ``close()``; every driver uses the same pair. They set
    ``_state``, which :attr:`state` reports (CLOSED until the first ``open()``)."""

    _state = DeviceState.CLOSED

    @property
    def state(self) -> DeviceState:
        return self._state

    def open(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.open()
        return self


class Device(SelfContext, Protocol):
    """What every driver has: a context manager with a state."""

    @property
    def state(self) -> DeviceState: ...

    def open(self) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class TagReader(Device, Protocol):
    def reads(self, timeout: float | None = None) -> Iterator[TagRead]:
        """Tag reads as they happen; stops after ``timeout`` seconds with no read (None: never).
        Repeated reads of one tag within the driver's de-duplication window count once."""
        ...


@runtime_checkable
class Scale(Device, Protocol):
    def read(self, timeout: float = 2.0) -> WeightReading:
        """The current weight, stable or not. Raises ReadingRefused for overload, underload
        or an error answer, DeviceUnavailable when the scale is gone."""
        ...

    def read_stable(self, timeout: float = 10.0) -> WeightReading:
        """The next stable weight; raises TimeoutError if none within ``timeout`` seconds."""
        ...

    def zero(self) -> None:
        """Set zero, where the device supports it (else ReadingRefused('unsupported'))."""
        ...

    def tare(self) -> WeightReading:
        """Tare the current load, where supported; returns the tare weight."""
        ...


@runtime_checkable
class BarcodeReader(Device, Protocol):
    def reads(self, timeout: float | None = None) -> Iterator[BarcodeRead]:
        """Codes as they are decoded; stops after ``timeout`` seconds with none."""
        ...
