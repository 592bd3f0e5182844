"""A&D standard format codec (FX-i, GX, EK, GF, GC series and A&D indicators). Pure, no I/O.

A reply or streamed line is 17 bytes, ASCII, CR LF terminated (``␣`` is a space)::

     0  1  2  3 .. 11  12 13 14  15 16
    +-----+--+--------+---------+-----+
    |  HH | ,|  DATA  |  UNIT   |CR LF|
    +-----+--+--------+---------+-----+
    HH    ST stable weight, US unstable weight, OL out of range, QT stable count (pieces)
    DATA  9 characters: sign, digits with leading zeros, decimal point: "+00123.45"
          (indicators may pad with spaces instead of zeros: "+   123.45")
    UNIT  3 characters, right-aligned: "␣␣g", "␣kg", "␣mg", "␣oz", "␣lb", "␣PC", "␣␣%", "ozt"

    ST,+00123.45␣␣g   123.45 g, stable        US,-00001.20␣␣g   -1.20 g, in motion
    QT,+00012345␣PC   a piece count, stable (not a mass: refused as a device error)

Out of range, the header is OL and the sign says over (+) or under (-). The balance manuals
show it in two forms, and both are recognised, with or without the unit field:

    OL,+9999999E+19     overload: the manuals' form, 15 bytes, no unit (display "E")
    OL,-9999999E+19     underload (display "-E")
    OL,+999999.9␣␣g     overload as some indicators send it: nines in the data, unit kept
    OL,-999999.9␣␣g     underload

Some indicators put a second header after the first (``ST,NT,+0012.34␣kg``: GS gross, NT net,
TR tare; or a comparison result LO/OK/HI/--); it is accepted, NT marks a net weight.

With the balance's "AK, error code" setting on (``erCd 1``), control commands are
acknowledged with the single byte <AK> (0x06): once for T (tare), twice for R (re-zero: on
receipt and when done); refused commands answer ``EC,Exx`` (E01 undefined command, E04
internal data out of range, E06 not stable...). Commands: Q (send now), S (send when
stable), R (re-zero), T (tare), each ending CR LF.
"""

import re

from devices.scales.frames import (
    Commands,
    Decoded,
    Garbage,
    ScaleFrame,
    Status,
    decode_line,
    parse_decimal,
    weight_frame,
)

ACK = 0x06

COMMANDS = Commands(immediate=b"Q\r\n", stable=b"S\r\n", zero=b"R\r\n", tare=b"T\r\n")
ZERO_ACKS = 2  # R is acknowledged on receipt and on completion
TARE_ACKS = 1

# Only OL may come without a unit (the manuals' overload form has none). A weight or count
# without one is a frame cut short (a replug), skipped as garbage like any other.
_LINE = re.compile(
    rb"(?:(?P<hdr>ST|US|QT),(?:(?P<hdr2>GS|NT|TR|OK|LO|HI|--),)?"
    rb"(?P<data>[-+][0-9. ]+) *(?P<unit>[A-Za-z%]{1,3}) *"
    rb"|OL,(?:(?:GS|NT|TR|OK|LO|HI|--),)?(?P<range>[-+])[0-9. ]+(?:E[-+]?[0-9]+)?"
    rb"(?: *[A-Za-z%]{1,3})? *"
    rb"|EC,E(?P<code>[0-9]{2}))\Z"
)


def _build(match: "re.Match[bytes]", raw: bytes) -> ScaleFrame:
    if match["code"] is not None:
        return ScaleFrame(Status.ERROR, raw, detail=f"A&D error E{match['code'].decode()}")
    if match["range"] is not None:  # OL: the sign says over or under
        return ScaleFrame(Status.UNDERLOAD if match["range"] == b"-" else Status.OVERLOAD, raw)
    header = match["hdr"].decode()
    data = match["data"].decode()
    unit = match["unit"].decode()
    value = parse_decimal(data)
    if value is None:
        return ScaleFrame(Status.ERROR, raw, detail=f"unreadable weight {data!r}")
    if header == "QT":  # a piece count is not a mass
        return ScaleFrame(Status.ERROR, raw, stable=True, detail=f"count, not a mass: {unit}")

    net = match["hdr2"] == b"NT"
    return weight_frame(raw, value, unit, stable=header == "ST", net=net)


def decode(buffer: bytes) -> tuple[int, Decoded | None]:
    """One A&D line, or one <AK> byte, from the front of ``buffer``."""
    ack, end = buffer.find(ACK), buffer.find(b"\n")
    if ack >= 0 and (end < 0 or ack < end):  # <AK> never occurs inside a text line
        if ack > 0:
            return ack, Garbage(buffer[:ack])
        return 1, ScaleFrame(Status.DONE, buffer[:1], detail="AK")
    return decode_line(buffer, _LINE, _build)
