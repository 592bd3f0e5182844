"""Mettler Toledo MT-SICS (level 0/1) codec: commands out, reply lines in. Pure, no I/O.

Every command and every reply is ASCII ending in CR LF; fields are separated by one space.
``␣`` is a space (0x20)::

    command   reply                              meaning
    S         S␣S␣<value:10, right-aligned>␣<unit>  stable weight
              S␣I                                not executable now (busy, or never stable
                                                 within the balance's own time-out)
              S␣+ / S␣-                          overload / underload
    SI        S␣S␣<value>␣<unit>                 weight, stable
              S␣D␣<value>␣<unit>                 weight, dynamic (scale in motion)
              S␣I / S␣+ / S␣-                    as for S
    Z         Z␣A                                zero set
              Z␣I / Z␣+ / Z␣-                    not executable / above / below zero range
    T         T␣S␣<value>␣<unit>                 tared; <value> is the tare weight
              T␣I / T␣+ / T␣-                    not executable / above / below tare range
    any       ES / ET / EL                       syntax / transmission / logical error

Example, 100 g on the pan: ``53 20 53 20 20 20 20 20 20 31 30 30 2E 30 30 20 67 0D 0A``
(``S S      100.00 g``). The value has a sign only when negative. Bytes that do not form a
reply are skipped as garbage; a line longer than 80 bytes without LF is garbage too.
"""

import re

from devices.scales.frames import (
    Commands,
    Decoded,
    ScaleFrame,
    Status,
    decode_line,
    parse_decimal,
    weight_frame,
)

COMMANDS = Commands(immediate=b"SI\r\n", stable=b"S\r\n", zero=b"Z\r\n", tare=b"T\r\n")

_REPLY = re.compile(
    rb"(?:(?P<wid>[ST]) (?P<wst>[SD]) +(?P<value>[-+]?[0-9.]+) (?P<unit>[A-Za-z%]{1,5}) *"
    rb"|(?P<id>[SZT]) (?P<st>[IA+-])"
    rb"|E(?P<err>[STL]))\Z"
)

_ERRORS = {"S": "syntax error (ES)", "T": "transmission error (ET)", "L": "logical error (EL)"}
_SHORT = {"I": Status.BUSY, "A": Status.DONE, "+": Status.OVERLOAD, "-": Status.UNDERLOAD}


def _build(match: "re.Match[bytes]", raw: bytes) -> ScaleFrame:
    if match["err"] is not None:
        return ScaleFrame(Status.ERROR, raw, detail=_ERRORS[match["err"].decode()])
    if match["id"] is not None:
        reply_to, code = match["id"].decode(), match["st"].decode()
        if (reply_to, code) == ("S", "A"):  # "S A" is not a reply any command gives
            return ScaleFrame(Status.ERROR, raw, reply_to=reply_to, detail="unexpected 'S A'")
        return ScaleFrame(_SHORT[code], raw, reply_to=reply_to, detail=f"{reply_to} {code}")
    reply_to = match["wid"].decode()
    value = parse_decimal(match["value"].decode())
    if value is None:
        return ScaleFrame(Status.ERROR, raw, reply_to=reply_to, detail="unreadable weight")
    stable = match["wst"] == b"S"
    if reply_to == "T":  # the tare reply: the value is what was tared, the pan now reads net 0
        frame = weight_frame(raw, value, match["unit"].decode(), stable=True, reply_to="T")
        if frame.value is None:
            return frame
        return ScaleFrame(Status.DONE, raw, frame.value, frame.unit, True, True, value, "T")
    return weight_frame(raw, value, match["unit"].decode(), stable=stable, reply_to=reply_to)


def decode(buffer: bytes) -> tuple[int, Decoded | None]:
    """One MT-SICS reply line from the front of ``buffer`` (see the module docstring)."""
    return decode_line(buffer, _REPLY, _build)
