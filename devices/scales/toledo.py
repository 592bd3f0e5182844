"""Mettler Toledo continuous output codec (the "Toledo" format many indicators stream). Pure.

The indicator sends a frame on every display update (5-20 per second), unasked::

     1    2    3    4    5 ........ 10  11 ....... 16  17   18
    +----+----+----+----+-------------+-------------+----+-----+
    |STX |SWA |SWB |SWC | weight (6)  |  tare (6)   | CR | CHK |
    +----+----+----+----+-------------+-------------+----+-----+
    STX  0x02.  weight, tare: ASCII digits, no sign, no decimal point (MSD first).
    CHK  optional: two's complement of the 7-bit sum of every byte from STX to CR,
         masked to 7 bits, so (sum of all 18 bytes) & 0x7F == 0.
    Short format: the tare field is absent (CR is byte 11).

    SWA  bits 2-0  decimal point / dummy zeros of both fields:
                   000 XXXX00   001 XXXXX0   010 XXXXXX   011 XXXXX.X
                   100 XXXX.XX  101 XXX.XXX  110 XX.XXXX  111 X.XXXXX
         bits 4-3  count-by (x1, x2, x5);  bit 5 = 1;  bit 6 = 0
    SWB  bit 0 net   bit 1 negative   bit 2 out of range   bit 3 motion
         bit 4 kg (0: lb)   bit 5 = 1   bit 6 power-up, not yet zeroed
    SWC  bits 2-0  unit: 000 lb/kg as SWB bit 4, 001 g, 010 t, 011 oz, 111 none
         bit 3 print request   bit 4 expanded x10   bit 5 = 1   bit 6 = 0
    Bit 7 of every byte is the parity bit on a 7E1 line; it is ignored.

Out of range with the negative bit is underload, without it overload. A negative weight in
range is NEGATIVE. Bytes before an STX, and an STX whose frame does not check out (status
bytes with bit 5 clear, non-digits in a field, a wrong checksum), are garbage.

Whether a checksum follows CR is a setting of the indicator. ``checksum=None`` (auto) takes
the byte after CR as a checksum when it equals the expected one; auto mode waits for that
byte, which on a stream without checksums is the next frame's STX.
"""

from decimal import Decimal

from devices.scales.frames import Decode, Decoded, Garbage, ScaleFrame, Status, strip_parity
from schemas.weights import Unit

STX, CR = 0x02, 0x0D
_DECIMALS = {0: -2, 1: -1, 2: 0, 3: 1, 4: 2, 5: 3, 6: 4, 7: 5}  # negative: dummy zeros
_UNITS_C = {1: Unit.G, 3: Unit.OZ}


def checksum(frame_up_to_cr: bytes) -> int:
    return -sum(b & 0x7F for b in frame_up_to_cr) & 0x7F


def _field(digits: bytes, places: int) -> Decimal | None:
    digits = digits.lstrip(b" ") or b"0"  # some indicators blank leading zeros, or all
    if not digits.isdigit():
        return None
    if places < 0:  # dummy zeros: the field counts tens or hundreds
        return Decimal(int(digits) * 10**-places)
    return Decimal(int(digits)).scaleb(-places)


def _frame(raw: bytes, clean: bytes, short: bool) -> ScaleFrame | None:
    swa, swb, swc = clean[1], clean[2], clean[3]
    if not (swa & 0x20 and swc & 0x20):  # the always-1 bits: not a status byte, so not a frame
        return None
    places = _DECIMALS[swa & 0x07]
    weight = _field(clean[4:10], places)
    tare = None if short else _field(clean[10:16], places)
    if weight is None or (not short and tare is None):
        return None
    net, negative, out_of_range, motion = (bool(swb & bit) for bit in (1, 2, 4, 8))
    if out_of_range:
        status = Status.UNDERLOAD if negative else Status.OVERLOAD
        return ScaleFrame(status, raw, net=net, stable=not motion)
    code = swc & 0x07
    if code == 0:
        unit: Unit | None = Unit.KG if swb & 0x10 else Unit.LB
    else:
        unit = _UNITS_C.get(code)
    if unit is None:
        return ScaleFrame(Status.ERROR, raw, stable=not motion, detail=f"unit code {code}")
    value = -weight if negative else weight
    status = Status.NEGATIVE if negative else Status.MOTION if motion else Status.OK
    return ScaleFrame(status, raw, value, unit, not motion, net, tare)


def decoder(checksum_follows: bool | None = None) -> Decode:
    """A decode function; ``checksum_follows`` True/False if known, None to detect."""

    def decode(buffer: bytes) -> tuple[int, Decoded | None]:
        start = buffer.find(bytes([STX]))
        if start < 0:
            return len(buffer), Garbage(buffer)
        if start > 0:
            return start, Garbage(buffer[:start])
        clean = strip_parity(buffer[:18])
        if len(clean) < 11:
            return 0, None
        short = clean[10] == CR
        end = 11 if short else 17  # index just past CR
        if len(clean) < end:
            return 0, None
        if clean[end - 1] != CR:
            return 1, Garbage(buffer[:1])
        has_sum = checksum_follows
        if has_sum is not False:
            if len(clean) <= end:
                return 0, None  # the checksum byte, or the next STX, tells us
            matches = clean[end] == checksum(clean[:end])
            if has_sum is None:
                has_sum = matches
            elif not matches:
                return 1, Garbage(buffer[:1])
        used = end + 1 if has_sum else end
        frame = _frame(buffer[:used], clean, short)
        if frame is None:
            return 1, Garbage(buffer[:1])
        return used, frame

    return decode


decode = decoder(None)
