"""Ohaus print-format codec (Navigator, Scout, Explorer, Ranger, Defender). Pure, no I/O.

One line per print, ASCII, CR LF terminated; fields separated by one space (``␣``)::

    [weight, 10-12 chars, right-justified, "-" if negative][␣][unit, 1-5 chars][␣]
    [stability: "?" unstable, "␣" stable][␣][legend, 0-10 chars][CR LF]

    ␣␣␣␣␣192.21␣g            192.21 g, stable
    ␣␣␣␣␣␣␣0.01␣g␣?          0.01 g, in motion
    ␣␣␣␣␣␣0.85␣oz␣␣␣␣␣NET    0.85 oz net (legend G gross, NET/N net, T tare, TOTAL, hh:mm:ss)

Commands (end with CR LF): ``IP`` print now, ``SP`` print when stable, ``Z`` zero, ``T`` tare.
Ohaus does not acknowledge Z or T, so the driver confirms them by reading a stable zero.

Overload and underload: the print format has no status field, and the manuals do not show a
print while the display reads over or under range. We decode the display text printed in the
weight field, ``-OL-``/``OL`` (over) and ``-UL-``/``UL`` (under), and the replies ``ES``
(stable print timed out, Explorer: BUSY) and ``Err␣N`` (ERROR). This part is an assumption,
not checked against a balance.
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

COMMANDS = Commands(immediate=b"IP\r\n", stable=b"SP\r\n", zero=b"Z\r\n", tare=b"T\r\n")

_LINE = re.compile(
    rb"(?: *(?P<sign>-)? *(?P<num>[0-9]+(?:\.[0-9]*)?|\.[0-9]+) (?P<unit>[A-Za-z%]{1,5})"
    rb"(?: +(?P<mark>\?))?(?: *(?P<legend>[A-Za-z/][A-Za-z/ ]{0,9}|[0-9]{2}:[0-9]{2}:[0-9]{2}))? *"
    rb"| *(?P<over>-?OL-?)(?: +[A-Za-z]{1,5})? *"
    rb"| *(?P<under>-?UL-?)(?: +[A-Za-z]{1,5})? *"
    rb"|(?P<err>ES|Err ?[0-9]{1,3}) *)\Z"
)


def _build(match: "re.Match[bytes]", raw: bytes) -> ScaleFrame:
    if match["over"] is not None:
        return ScaleFrame(Status.OVERLOAD, raw)
    if match["under"] is not None:
        return ScaleFrame(Status.UNDERLOAD, raw)
    if match["err"] == b"ES":  # SP gave up: no stable weight within the balance's time-out
        return ScaleFrame(Status.BUSY, raw, detail="not stable in time (ES)")
    if match["err"] is not None:
        return ScaleFrame(Status.ERROR, raw, detail=f"Ohaus error {match['err'].decode()!r}")
    value = parse_decimal(("-" if match["sign"] else "") + match["num"].decode())
    if value is None:  # pragma: no cover - the pattern admits only numbers
        return ScaleFrame(Status.ERROR, raw, detail="unreadable weight")
    legend = (match["legend"] or b"").decode().strip().upper()
    stable = match["mark"] is None
    return weight_frame(
        raw, value, match["unit"].decode(), stable=stable, net=legend in ("N", "NET")
    )


def decode(buffer: bytes) -> tuple[int, Decoded | None]:
    """One Ohaus print line from the front of ``buffer``."""
    return decode_line(buffer, _LINE, _build)
