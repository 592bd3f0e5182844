"""What every scale codec produces, and the buffer that feeds a codec.

A codec is one pure function, ``decode(buffer) -> (used, item)`` (the pymodbus framer shape):

* ``(0, None)``: the buffer holds no complete frame yet; call again with more bytes;
* ``(n, ScaleFrame)``: the first ``n`` bytes were one frame;
* ``(n, Garbage)``: the first ``n`` bytes are not a frame (line noise, a frame cut by a
  replug, a bad checksum) and are dropped. Garbage is reported, never raised.

A codec never does I/O and never raises on bad input. :class:`FrameBuffer` calls it in a loop
as bytes arrive. Frames say *what* the scale said (:class:`Status`); whether that is a usable
weight is the driver's decision (:mod:`devices.scales.driver`).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from schemas.weights import Unit


class Status(StrEnum):
    OK = "ok"  # a weight at or above zero, stable
    MOTION = "motion"  # a weight at or above zero, scale not settled
    NEGATIVE = "negative"  # a weight below zero (``value`` is negative)
    OVERLOAD = "overload"  # above capacity: no weight
    UNDERLOAD = "underload"  # below the zero range: no weight
    BUSY = "busy"  # command understood but not executable now (MT-SICS "S I", "Z I")
    DONE = "done"  # a command without weight was carried out (zero, tare, A&D <AK>)
    ERROR = "error"  # an error reply or error bits; ``detail`` says which


WEIGHT_STATUSES = frozenset({Status.OK, Status.MOTION})


@dataclass(frozen=True, slots=True)
class ScaleFrame:
    """One decoded frame. ``value`` and ``unit`` are set when the frame carries a number in
    a unit of mass (also for NEGATIVE); never for OVERLOAD/UNDERLOAD. ``raw`` is every byte
    of the frame as received (parity bits included)."""

    status: Status
    raw: bytes
    value: Decimal | None = None
    unit: Unit | None = None
    stable: bool = False
    net: bool = False
    tare: Decimal | None = None  # where the frame reports the tare (Toledo, MT-SICS "T S")
    reply_to: str = ""  # the command answered (MT-SICS "S", "Z", "T"); "" if not said
    detail: str = ""  # error code or why a frame is not a weight

    @property
    def is_weight(self) -> bool:
        """True when the scale reported a usable, non-negative weight (stable or not)."""
        return self.status in WEIGHT_STATUSES and self.value is not None


@dataclass(frozen=True, slots=True)
class Garbage:
    """Bytes that were not part of any frame, skipped."""

    raw: bytes


Decoded = ScaleFrame | Garbage
Decode = Callable[[bytes], tuple[int, Decoded | None]]


@dataclass(frozen=True, slots=True)
class Commands:
    """The bytes a driver sends, line ending included. ``immediate`` None: the scale streams
    frames unasked. ``stable``: the command answered only once the scale is stable (None: the
    driver polls ``immediate`` until it is). ``zero``/``tare`` None: not supported."""

    immediate: bytes | None = None
    stable: bytes | None = None
    zero: bytes | None = None
    tare: bytes | None = None


# Units spelled as scales print them; anything else (pcs, %, ct, ozt, t) is not a mass we
# record, and the frame becomes an ERROR naming the unit.
UNITS: dict[str, Unit] = {
    "mg": Unit.MG,
    "g": Unit.G,
    "kg": Unit.KG,
    "oz": Unit.OZ,
    "lb": Unit.LB,
    "lbs": Unit.LB,
}


def parse_unit(text: str) -> Unit | None:
    return UNITS.get(text.strip().lower())


def parse_decimal(text: str) -> Decimal | None:
    """A decimal number as a scale prints it (``+00123.45``, ``-0.5``, `` 12``); None if not."""
    cleaned = text.replace(" ", "")
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", cleaned):
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None


def weight_frame(
    raw: bytes,
    value: Decimal,
    unit_text: str,
    *,
    stable: bool,
    net: bool = False,
    reply_to: str = "",
    tare: Decimal | None = None,
) -> ScaleFrame:
    """The frame for a number in a unit: OK/MOTION, NEGATIVE below zero, ERROR if the unit
    is not a mass."""
    unit = parse_unit(unit_text)
    if unit is None:
        detail = f"unit {unit_text.strip()!r} is not a mass"
        return ScaleFrame(Status.ERROR, raw, stable=stable, reply_to=reply_to, detail=detail)
    status = Status.NEGATIVE if value < 0 else Status.OK if stable else Status.MOTION
    return ScaleFrame(status, raw, value, unit, stable, net, tare, reply_to)


def split_line(buffer: bytes, max_len: int, terminator: bytes = b"\n") -> tuple[int, bytes | None]:
    """For line protocols: ``(used, line)`` with the terminator and a preceding CR removed;
    ``(0, None)`` while the line is incomplete; ``(used, None)`` when ``max_len`` bytes came
    without a terminator (the caller reports them as garbage)."""
    end = buffer.find(terminator, 0, max_len + 1)
    if end < 0:
        return (max_len, None) if len(buffer) > max_len else (0, None)
    line = buffer[:end]
    return end + len(terminator), line[:-1] if line.endswith(b"\r") else line


_SEVEN_BIT = bytes(b & 0x7F for b in range(256))


def strip_parity(data: bytes) -> bytes:
    """Clear bit 7: 7E1 devices read as 8N1 show the parity bit there."""
    return data.translate(_SEVEN_BIT)


class FrameBuffer:
    """Bytes in, frames and garbage out, in order. ``garbage_bytes`` counts what was skipped."""

    def __init__(self, decode: Decode) -> None:
        self._decode = decode
        self._buffer = b""
        self.garbage_bytes = 0

    def feed(self, data: bytes) -> list[Decoded]:
        self._buffer += data
        out: list[Decoded] = []
        while self._buffer:
            used, item = self._decode(self._buffer)
            if used == 0:
                break
            self._buffer = self._buffer[used:]
            if item is not None:
                if isinstance(item, Garbage):
                    self.garbage_bytes += len(item.raw)
                out.append(item)
        return out

    def clear(self) -> None:
        self._buffer = b""

    @property
    def pending(self) -> bytes:
        return self._buffer


def decode_line(
    buffer: bytes,
    pattern: "re.Pattern[bytes]",
    build: Callable[["re.Match[bytes]", bytes], ScaleFrame],
    *,
    max_len: int = 80,
) -> tuple[int, Decoded | None]:
    """Decode one CR LF line whose frame matches ``pattern`` (anchored at the line's end with
    ``\\Z``). Bytes before the match are reported as garbage first, so noise glued to the
    front of a frame costs the noise, not the frame."""
    used, line = split_line(buffer, max_len)
    if used == 0:
        return 0, None
    if line is None:
        return used, Garbage(buffer[:used])
    match = pattern.search(line)
    if match is None:
        return used, Garbage(buffer[:used])
    if match.start() > 0:
        return match.start(), Garbage(buffer[: match.start()])
    return used, build(match, buffer[:used])
