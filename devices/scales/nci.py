"""NCI / Avery Weigh-Tronix standard protocol codec (NCI bench scales, Brecknell, B-Tek and
Weigh-Tronix indicators set to "NCI"). Pure, no I/O.

Commands are one letter and CR: ``W`` weight, ``S`` status, ``Z`` zero, ``T`` tare (not on
every model). Replies (LF 0x0A, CR 0x0D, ETX 0x03)::

    W  ->  LF <weight field><unit> CR LF <status: 2+ bytes> CR ETX
    S, Z, T  ->  LF <status> CR ETX
    anything else  ->  LF ? CR ETX

    0A 20 20 31 2E 32 35 6C 62 0D 0A 30 30 0D 03     "  1.25lb", status 0x30 0x30

The weight field is what the display shows, minus sign and decimal point included; a display
of upper bars (over capacity) is sent as ``^^^^^^``, lower bars (under capacity) as
``______``, middle bars (zero error) as ``------``. Units: lb, kg, oz, g.

Status bytes (bits 4 and 5 always 1; bit 6 set means another status byte follows; bit 7 is
parity and ignored)::

    byte 1  bit 0 motion      bit 1 at zero       bit 2 RAM error   bit 3 EEPROM error
    byte 2  bit 0 under cap.  bit 1 over cap.     bit 2 ROM error   bit 3 faulty calibration
    byte 3  bits 1-0 range    bit 2 net           bit 3 initial zero error

A status-only reply in motion is BUSY (Z and T are not carried out while the scale moves).
Bytes before a reply's LF, or a reply that does not parse, are garbage.
"""

import re

from devices.scales.frames import (
    Commands,
    Decoded,
    Garbage,
    ScaleFrame,
    Status,
    parse_decimal,
    strip_parity,
    weight_frame,
)

ETX = 0x03
MAX_FRAME = 48

COMMANDS = Commands(immediate=b"W\r", zero=b"Z\r", tare=b"T\r")

_REPLY = re.compile(
    rb"\n(?:(?P<weight>[^\r\n]{1,16})\r\n)?(?P<status>[\x30-\x3f\x70-\x7f]{2,4}|\?)\r\x03\Z"
)
_WEIGHT = re.compile(r" *(-?) *([0-9]*\.?[0-9]+) *([A-Za-z]{1,3}) *")


def _status_frame(raw: bytes, status: bytes, weight: bytes | None) -> ScaleFrame:
    s1, s2 = status[0], status[1]
    net = len(status) > 2 and bool(s2 & 0x40) and bool(status[2] & 0x04)
    motion = bool(s1 & 0x01)
    errors = [
        name
        for byte, bit, name in (
            (s1, 0x04, "RAM error"),
            (s1, 0x08, "EEPROM error"),
            (s2, 0x04, "ROM error"),
            (s2, 0x08, "faulty calibration"),
        )
        if byte & bit
    ]
    if s2 & 0x02:
        return ScaleFrame(Status.OVERLOAD, raw, stable=not motion)
    if s2 & 0x01:
        return ScaleFrame(Status.UNDERLOAD, raw, stable=not motion)
    if errors:
        return ScaleFrame(Status.ERROR, raw, stable=not motion, detail=", ".join(errors))
    if weight is None:
        if motion:
            return ScaleFrame(Status.BUSY, raw, detail="in motion")
        return ScaleFrame(Status.DONE, raw, stable=True, detail="at zero" if s1 & 0x02 else "")
    text = weight.decode("ascii", "replace")
    bars = set(text.strip().rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ "))
    if bars == {"^"}:
        return ScaleFrame(Status.OVERLOAD, raw)
    if bars == {"_"}:
        return ScaleFrame(Status.UNDERLOAD, raw)
    match = _WEIGHT.fullmatch(text)
    value = parse_decimal(match[1] + match[2]) if match else None
    if match is None or value is None:
        return ScaleFrame(Status.ERROR, raw, stable=not motion, detail=f"display {text!r}")
    return weight_frame(raw, value, match[3], stable=not motion, net=net, reply_to="W")


def decode(buffer: bytes) -> tuple[int, Decoded | None]:
    """One NCI reply, ending in ETX, from the front of ``buffer``."""
    end = buffer.find(bytes([ETX]), 0, MAX_FRAME)
    if end < 0:
        if len(buffer) < MAX_FRAME:
            return 0, None
        # too long for a reply: drop it, but keep a reply that may be starting at the last LF
        cut = buffer.rfind(b"\n")
        cut = cut if cut > 0 else len(buffer)
        return cut, Garbage(buffer[:cut])
    clean = strip_parity(buffer[: end + 1])
    match = _REPLY.search(clean)
    if match is None:
        return end + 1, Garbage(buffer[: end + 1])
    if match.start() > 0:
        return match.start(), Garbage(buffer[: match.start()])
    raw = buffer[: end + 1]
    if match["status"] == b"?":
        return end + 1, ScaleFrame(Status.ERROR, raw, detail="command not recognised (?)")
    return end + 1, _status_frame(raw, match["status"], match["weight"])
