"""Simulated serial scales that speak each protocol's real bytes over a pseudo-terminal.

``ScaleSimulator(protocol=...)`` answers commands (MT-SICS, A&D, Ohaus, NCI) or streams frames
(Toledo continuous) on a :class:`~devices.sim.pty.PtyDevice`; :attr:`url` is what a driver
opens. The bytes are written here from the manuals' layouts (see each codec's docstring), not
with our codecs, so a codec bug cannot hide behind a matching simulator bug.

Knobs (all also settable as strings, ``seedtrace sim scale --protocol nci -o weight=1.25``):

* ``weight``, ``unit`` (g, kg, mg, oz, lb), ``places`` (decimals shown): the gross load;
* ``motion``: how many frames are unstable before the scale settles (after each new weight);
  1000000 means never (send-when-stable commands then time out as the scale would);
* ``condition``: ``normal``, ``overload`` or ``underload``;
* ``overload_form`` (A&D): ``manual`` (default: ``OL,+9999999E+19``, no unit, as the balance
  manuals print it) or ``nines`` (``OL,+999999.9  g``, as some indicators send it);
* ``garbage``: send noise bytes in front of every frame;
* ``split``: write every frame in two parts, a few milliseconds apart;
* ``interval``: seconds between streamed frames (Toledo), default 0.1;
* ``checksum``: Toledo checksum byte, ``yes`` (default) or ``no``.

:meth:`unplug` and :meth:`replug` pull and restore the cable. Zero and tare act on the
simulated display as on a scale: zero takes the current gross as the new zero, tare makes
the display read net zero.
"""

import threading
import time
from collections.abc import Callable
from decimal import Decimal

from devices.sim.pty import PtySimulator

PROTOCOLS = ("mt-sics", "and", "ohaus", "toledo", "nci")
GARBAGE = b"\x00\x15\xfe#!~"  # no CR, LF, STX, ETX or ACK: glued to the front of the frame
_TRUE = ("1", "yes", "true", "on")
NEVER_SETTLES = 1_000_000  # motion=1000000: a scale that never settles (a draught, a pump)


def _flag(value: str | bool) -> bool:
    return value if isinstance(value, bool) else value.lower() in _TRUE


class ScaleSimulator(PtySimulator):
    def __init__(
        self,
        protocol: str = "mt-sics",
        *,
        weight: str | Decimal = "0",
        unit: str = "g",
        places: str | int = 2,
        motion: str | int = 0,
        condition: str = "normal",
        garbage: str | bool = False,
        split: str | bool = False,
        interval: str | float = 0.1,
        checksum: str | bool = True,
        overload_form: str = "manual",
    ) -> None:
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol {protocol!r} is not one of {', '.join(PROTOCOLS)}")
        if unit not in ("g", "kg", "mg", "oz", "lb"):
            raise ValueError(f"unit {unit!r} is not one of g, kg, mg, oz, lb")
        if condition not in ("normal", "overload", "underload"):
            raise ValueError(f"condition {condition!r} is not normal, overload or underload")
        if overload_form not in ("manual", "nines"):
            raise ValueError(f"overload_form {overload_form!r} is not manual or nines")
        self.protocol = protocol
        self.overload_form = overload_form
        self.unit = unit
        self.places = int(places)
        self.condition = condition
        self.garbage = _flag(garbage)
        self.split = _flag(split)
        self.interval = float(interval)
        self.checksum = _flag(checksum)
        self.gross = Decimal(weight)
        self.motion_left = int(motion)
        self.zero_offset = Decimal(0)
        self.tare_value = Decimal(0)
        self.last_write = 0.0  # time.perf_counter() as the last frame's last part is written
        self.frames_written = 0
        self.commands: list[bytes] = []  # every command received, for tests
        self._lock = threading.RLock()
        super().__init__(f"scale-{protocol}", f"sim-{protocol}")
        self._respond: Callable[[bytes], bytes | None] = {
            "mt-sics": self._mtsics,
            "and": self._and,
            "ohaus": self._ohaus,
            "nci": self._nci,
            "toledo": lambda command: None,
        }[protocol]

    @classmethod
    def from_options(cls, protocol: str = "mt-sics", **options: str) -> "ScaleSimulator":
        """For the registry and CLI: every option is a string. Unknown names raise TypeError."""
        return cls(protocol, **options)  # every keyword also accepts a string

    @property
    def url(self) -> str:
        return f"{self.protocol}://{self.pty.path}"

    # -- knobs -----------------------------------------------------------------------------

    def set_weight(self, weight: str | Decimal, *, motion: int = 0) -> None:
        """Put a load on the pan; the next ``motion`` frames show the scale settling."""
        with self._lock:
            self.gross = Decimal(weight)
            self.motion_left = motion
            self.condition = "normal"

    def set_condition(self, condition: str) -> None:
        with self._lock:
            self.condition = condition

    def unplug(self) -> None:
        self.pty.unplug()

    def replug(self) -> None:
        self.pty.replug()

    # -- display ---------------------------------------------------------------------------

    @property
    def display(self) -> Decimal:
        return self.gross - self.zero_offset - self.tare_value

    def _never_settles(self) -> bool:
        return self.motion_left >= NEVER_SETTLES

    def _next_display(self, *, settle: bool = False) -> tuple[Decimal, bool]:
        """The value the next frame shows and whether it is stable; uses up one motion frame
        (all of them if ``settle``: an S/SP command waits for stability)."""
        if settle:
            self.motion_left = 0
        stable = self.motion_left <= 0
        shown = self.display
        if not stable:
            shown += Decimal(min(self.motion_left, 5)) * Decimal("0.37")  # settling from above
            self.motion_left -= 1
        return shown.quantize(Decimal(1).scaleb(-self.places)), stable

    def _zero(self) -> None:
        self.zero_offset = self.gross
        self.tare_value = Decimal(0)
        self.motion_left = 0

    def _tare(self) -> Decimal:
        self.motion_left = 0
        self.tare_value = self.gross - self.zero_offset
        return self.tare_value.quantize(Decimal(1).scaleb(-self.places))

    # -- protocols: command -> reply bytes -----------------------------------------------

    def _mtsics(self, command: bytes) -> bytes | None:
        over = {"overload": "+", "underload": "-"}.get(self.condition)
        if command in (b"S", b"SI"):
            if over:
                return f"S {over}\r\n".encode()
            if command == b"S" and self._never_settles():
                time.sleep(0.02)  # the balance gives up waiting for stability
                return b"S I\r\n"
            value, stable = self._next_display(settle=command == b"S")
            return f"S {'S' if stable else 'D'} {value:>10} {self.unit}\r\n".encode()
        if command == b"Z":
            if over:
                return f"Z {over}\r\n".encode()
            self._zero()
            return b"Z A\r\n"
        if command == b"T":
            if over:
                return f"T {over}\r\n".encode()
            return f"T S {self._tare():>10} {self.unit}\r\n".encode()
        return b"ES\r\n"

    def _and(self, command: bytes) -> bytes | None:
        if command in (b"Q", b"S", b"SI"):
            unit = f"{self.unit:>3}"
            if self.condition != "normal":
                sign = "+" if self.condition == "overload" else "-"
                if self.overload_form == "manual":
                    return f"OL,{sign}9999999E+19\r\n".encode()
                return f"OL,{sign}999999.9{unit}\r\n".encode()
            if command == b"S" and self._never_settles():
                return None  # A&D answers S only once stable
            value, stable = self._next_display(settle=command == b"S")
            data = f"{'-' if value < 0 else '+'}{abs(value):0>8}"
            return f"{'ST' if stable else 'US'},{data}{unit}\r\n".encode()
        if command == b"R":
            self._zero()
            return b"\x06\x06"  # on receipt and on completion
        if command == b"T":
            self._tare()
            return b"\x06"
        return b"EC,E01\r\n"

    def _ohaus(self, command: bytes) -> bytes | None:
        if command in (b"IP", b"SP", b"P"):
            if self.condition != "normal":
                return b"  -OL-\r\n" if self.condition == "overload" else b"  -UL-\r\n"
            if command == b"SP" and self._never_settles():
                time.sleep(0.02)  # Explorer gives up after 40 s of motion
                return b"ES\r\n"
            value, stable = self._next_display(settle=command == b"SP")
            legend = "NET" if self.tare_value else ""
            return f"{value:>10} {self.unit:<5} {' ' if stable else '?'} {legend}\r\n".encode()
        if command == b"Z":
            self._zero()
            return None  # Ohaus does not answer zero or tare
        if command == b"T":
            self._tare()
            return None
        return b"ES\r\n"

    def _nci_status(self, motion: bool, value: Decimal) -> bytes:
        s1 = 0x30 | (0x01 if motion else 0) | (0x02 if value == 0 else 0)
        s2 = 0x30 | {"underload": 0x01, "overload": 0x02}.get(self.condition, 0)
        return bytes([s1, s2])

    def _nci(self, command: bytes) -> bytes | None:
        if command == b"W":
            if self.condition != "normal":
                bars = b"^^^^^^" if self.condition == "overload" else b"______"
                return b"\n" + bars + b"\r\n" + self._nci_status(False, Decimal(1)) + b"\r\x03"
            value, stable = self._next_display()
            field = f"{value:>7}{self.unit}".encode()
            return b"\n" + field + b"\r\n" + self._nci_status(not stable, value) + b"\r\x03"
        if command in (b"S", b"Z", b"T"):
            moving = self.motion_left > 0
            if moving:
                self.motion_left -= 1  # not zeroed or tared while moving, as the spec says
            elif command == b"Z" and self.condition == "normal":
                self._zero()
            elif command == b"T" and self.condition == "normal":
                self._tare()
            return b"\n" + self._nci_status(moving, self.display) + b"\r\x03"
        return b"\n?\r\x03"

    def _toledo_frame(self) -> bytes:
        value, stable = self._next_display()
        places = max(0, min(self.places, 5))
        swa = 0x20 | 0x08 | (places + 2)  # count by 1; decimal point code 2..7
        digits = int(abs(value).scaleb(places))
        tare = int(self.tare_value.scaleb(places))
        out_of_range = self.condition != "normal" or digits > 999_999 or tare > 999_999
        negative = value < 0 or self.condition == "underload"
        swb = 0x20 | (0x01 if self.tare_value else 0) | (0x02 if negative else 0)
        swb |= (0x04 if out_of_range else 0) | (0 if stable else 0x08)
        swb |= 0x10 if self.unit == "kg" else 0
        swc = 0x20 | {"g": 1, "oz": 3}.get(self.unit, 0)
        if out_of_range:
            digits = tare = 0
        frame = bytes([0x02, swa, swb, swc]) + f"{digits:06d}{tare:06d}\r".encode()
        if self.checksum:
            frame += bytes([-sum(frame) & 0x7F])
        return frame

    # -- the device loop -------------------------------------------------------------------

    def _send(self, data: bytes) -> None:
        if self.garbage:
            self.pty.write(GARBAGE)
        if self.split and len(data) > 1:
            half = len(data) // 2
            self.pty.write(data[:half])
            time.sleep(0.003)  # long enough for the driver to read the first part alone
            data = data[half:]
        # Stamped before the write: a driver in another thread may return the reading before
        # this thread runs again, and a stamp taken after would then belong to the next frame.
        self.last_write = time.perf_counter()
        self.pty.write(data)
        self.frames_written += 1

    def _run(self) -> None:
        pending = b""
        next_frame = time.monotonic()
        while not self._stop.is_set():
            if not self.pty.plugged:
                pending = b""
                time.sleep(0.005)
                continue
            if self.protocol == "toledo":
                wait = max(0.0, next_frame - time.monotonic())
                self.pty.read(timeout=wait)  # commands are ignored: a one-way stream
                if time.monotonic() >= next_frame:
                    with self._lock:
                        self._send(self._toledo_frame())
                    next_frame += self.interval
                    next_frame = max(next_frame, time.monotonic())
                continue
            pending += self.pty.read(timeout=0.05)
            while True:
                cut = min(
                    (i for i in (pending.find(b"\r"), pending.find(b"\n")) if i >= 0), default=-1
                )
                if cut < 0:
                    break
                command, pending = pending[:cut].strip(), pending[cut + 1 :]
                if not command:
                    continue
                with self._lock:
                    self.commands.append(command)
                    reply = self._respond(command)
                    if reply:
                        self._send(reply)


def scale_simulator(**options: str) -> ScaleSimulator:
    """The registry's factory: ``seedtrace sim scale --protocol nci -o weight=1.25``."""
    return ScaleSimulator.from_options(**options)
