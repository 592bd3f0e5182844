"""Scale codecs on recorded frames: whole, split at every byte, concatenated and corrupted.

Frames are written from the manuals' examples and byte layouts (each codec's docstring names
them); none is produced by our simulator, so codec and simulator cannot share a mistake.
"""

from decimal import Decimal

import pytest

from devices.scales import aandd, mtsics, nci, ohaus, toledo
from devices.scales.frames import Decode, FrameBuffer, Garbage, ScaleFrame, Status
from schemas.weights import Unit

OK, MOTION, NEG = Status.OK, Status.MOTION, Status.NEGATIVE
OVER, UNDER, BUSY, DONE, ERR = (
    Status.OVERLOAD,
    Status.UNDERLOAD,
    Status.BUSY,
    Status.DONE,
    Status.ERROR,
)


def _toledo(swa: int, swb: int, swc: int, weight: str, tare: str | None, check: bool) -> bytes:
    """A Toledo frame by the book: checksum = two's complement of the 7-bit sum, 7 bits."""
    body = bytes([0x02, swa, swb, swc]) + weight.encode() + (tare or "").encode() + b"\r"
    return body + (bytes([(128 - sum(body) % 128) % 128]) if check else b"")


# (frame, status, value, unit, stable)
Expect = tuple[bytes, Status, str | None, Unit | None, bool]

MTSICS: list[Expect] = [
    (b"S S      100.00 g\r\n", OK, "100.00", Unit.G, True),  # the manual's example
    (b"S S        0.00 g\r\n", OK, "0.00", Unit.G, True),  # zero is a weight
    (b"S D     12.3456 kg\r\n", MOTION, "12.3456", Unit.KG, False),
    (b"S S     -1.25 lb\r\n", NEG, "-1.25", Unit.LB, True),
    (b"S I\r\n", BUSY, None, None, False),
    (b"S +\r\n", OVER, None, None, False),
    (b"S -\r\n", UNDER, None, None, False),
    (b"ES\r\n", ERR, None, None, False),
    (b"ET\r\n", ERR, None, None, False),
    (b"EL\r\n", ERR, None, None, False),
    (b"Z A\r\n", DONE, None, None, False),
    (b"Z I\r\n", BUSY, None, None, False),
    (b"Z +\r\n", OVER, None, None, False),
    (b"Z -\r\n", UNDER, None, None, False),
    (b"T S      50.00 g\r\n", DONE, "50.00", Unit.G, True),
    (b"T I\r\n", BUSY, None, None, False),
    (b"T +\r\n", OVER, None, None, False),
    (b"T -\r\n", UNDER, None, None, False),
    (b"S S      10.00 ct\r\n", ERR, None, None, True),  # carats: not a mass we record
]

AANDD: list[Expect] = [
    (b"ST,+001234.5  g\r\n", OK, "1234.5", Unit.G, True),  # EK series example
    (b"ST,+00000.00  g\r\n", OK, "0.00", Unit.G, True),
    (b"US,-00183.96  g\r\n", NEG, "-183.96", Unit.G, False),  # GH series example
    (b"US,+00071.82  g\r\n", MOTION, "71.82", Unit.G, False),
    (b"ST,+0001.234 kg\r\n", OK, "1.234", Unit.KG, True),  # GC series example
    (b"ST,OK,+0001.234 kg\r\n", OK, "1.234", Unit.KG, True),  # with comparison result
    (b"ST,NT,+0012.34kg\r\n", OK, "12.34", Unit.KG, True),  # AD-4404 indicator, net
    (b"OL,+9999999E+19\r\n", OVER, None, None, False),  # the balance manuals' form, no unit
    (b"OL,-9999999E+19\r\n", UNDER, None, None, False),
    (b"OL,+9999999E+19  g\r\n", OVER, None, None, False),
    (b"OL,GS,+9999999E+19\r\n", OVER, None, None, False),  # indicator, gross
    (b"OL,+999999.9  g\r\n", OVER, None, None, False),
    (b"OL,-999999.9  g\r\n", UNDER, None, None, False),
    (b"OL,-99999999 PC\r\n", UNDER, None, None, False),
    (b"QT,+00012345 PC\r\n", ERR, None, None, True),  # a count is not a mass
    (b"ST,+   123.45  g\r\n", OK, "123.45", Unit.G, True),  # indicator, padded with spaces
    (b"US,NT,+0012.34 kg\r\n", MOTION, "12.34", Unit.KG, False),
    (b"ST,+00123.4  %\r\n", ERR, None, None, True),
    (b"EC,E01\r\n", ERR, None, None, False),
    (b"\x06", DONE, None, None, False),  # <AK>
]

OHAUS: list[Expect] = [
    (b"     192.21 g\r\n", OK, "192.21", Unit.G, True),  # Navigator USB manual
    (b"       0.01 g ?\r\n", MOTION, "0.01", Unit.G, False),
    (b"        0.00 g     \r\n", OK, "0.00", Unit.G, True),
    (b"      0.5950 oz   ?\r\n", MOTION, "0.5950", Unit.OZ, False),
    (b"        0.85 oz     WET WT\r\n", OK, "0.85", Unit.OZ, True),
    (b"       0.01 g   00:00:00\r\n", OK, "0.01", Unit.G, True),  # interval print
    (b"     207.80 g TOTAL\r\n", OK, "207.80", Unit.G, True),
    (b"-     12.5 kg   ?NET\r\n", NEG, "-12.5", Unit.KG, False),  # Defender 3000 layout
    (b"           3 PCS  ?\r\n", ERR, None, None, False),
    (b"ES\r\n", BUSY, None, None, False),
    (b"Err 4\r\n", ERR, None, None, False),
    (b"  -OL-\r\n", OVER, None, None, False),
    (b"  -UL-\r\n", UNDER, None, None, False),
    (b"        OL   g\r\n", OVER, None, None, False),  # the field right-justified, unit kept
    (b"      -UL-    kg\r\n", UNDER, None, None, False),
]

TOLEDO: list[Expect] = [
    (_toledo(0x2C, 0x20, 0x20, "012345", "000000", True), OK, "123.45", Unit.LB, True),
    (_toledo(0x2C, 0x30, 0x20, "000000", "000000", True), OK, "0.00", Unit.KG, True),
    (_toledo(0x2C, 0x28, 0x21, "012345", "000000", True), MOTION, "123.45", Unit.G, False),
    (_toledo(0x2C, 0x22, 0x20, "000150", "000000", True), NEG, "-1.50", Unit.LB, True),
    (_toledo(0x2C, 0x24, 0x20, "000000", "000000", True), OVER, None, None, True),
    (_toledo(0x2C, 0x26, 0x20, "000000", "000000", True), UNDER, None, None, True),
    (_toledo(0x29, 0x31, 0x20, "000123", "000045", True), OK, "1230", Unit.KG, True),  # x10
    (_toledo(0x2F, 0x20, 0x23, "012345", None, True), OK, "0.12345", Unit.OZ, True),  # short
    (_toledo(0x2A, 0x20, 0x22, "000007", "000000", True), ERR, None, None, True),  # tonnes
    (_toledo(0x2C | 0x80, 0x20 | 0x80, 0x20, "000250", "000000", True), OK, "2.50", Unit.LB, True),
]

NCI: list[Expect] = [
    (b"\n  1.25lb\r\n00\r\x03", OK, "1.25", Unit.LB, True),
    (b"\n  0.00lb\r\n20\r\x03", OK, "0.00", Unit.LB, True),  # at zero
    (b"\n  1.25lb\r\n10\r\x03", MOTION, "1.25", Unit.LB, False),
    (b"\n -0.40kg\r\n00\r\x03", NEG, "-0.40", Unit.KG, True),
    (b"\n 1234g \r\n0p4\r\x03", OK, "1234", Unit.G, True),  # third status byte: net
    (b"\n^^^^^^\r\n02\r\x03", OVER, None, None, True),
    (b"\n______\r\n01\r\x03", UNDER, None, None, True),
    (b"\n------\r\n00\r\x03", ERR, None, None, True),  # zero error
    (b"\n  1.25lb\r\n08\r\x03", ERR, None, None, True),  # faulty calibration
    (b"\n00\r\x03", DONE, None, None, True),
    (b"\n10\r\x03", BUSY, None, None, False),
    (b"\n?\r\x03", ERR, None, None, False),
]

CODECS: dict[str, tuple[Decode, list[Expect]]] = {
    "mt-sics": (mtsics.decode, MTSICS),
    "and": (aandd.decode, AANDD),
    "ohaus": (ohaus.decode, OHAUS),
    "toledo": (toledo.decode, TOLEDO),
    "nci": (nci.decode, NCI),
}
CASES = [
    pytest.param(decode, *case, id=f"{name}-{i}")
    for name, (decode, cases) in CODECS.items()
    for i, case in enumerate(cases)
]


def _frames(decode: Decode, *chunks: bytes) -> tuple[list[ScaleFrame], FrameBuffer]:
    buffer = FrameBuffer(decode)
    items = [item for chunk in chunks for item in buffer.feed(chunk)]
    assert not [i for i in items if isinstance(i, Garbage)], items
    return [i for i in items if isinstance(i, ScaleFrame)], buffer


def _check(
    frame: ScaleFrame,
    raw: bytes,
    status: Status,
    value: str | None,
    unit: Unit | None,
    stable: bool,
) -> None:
    assert frame.raw == raw
    assert frame.status is status, frame
    assert frame.value == (None if value is None else Decimal(value))
    if value is not None:
        assert str(frame.value) == value  # exact digits, never a float
    if status in (OK, MOTION, NEG):
        assert frame.unit is unit
    assert frame.stable is stable
    assert frame.is_weight is (status in (OK, MOTION))


@pytest.mark.parametrize(("decode", "raw", "status", "value", "unit", "stable"), CASES)
def test_a_recorded_frame_decodes(
    decode: Decode, raw: bytes, status: Status, value: str | None, unit: Unit | None, stable: bool
) -> None:
    frames, buffer = _frames(decode, raw)
    assert len(frames) == 1
    _check(frames[0], raw, status, value, unit, stable)
    assert buffer.pending == b""


@pytest.mark.parametrize(("decode", "raw", "status", "value", "unit", "stable"), CASES)
def test_a_frame_split_at_any_byte_decodes_once(
    decode: Decode, raw: bytes, status: Status, value: str | None, unit: Unit | None, stable: bool
) -> None:
    for cut in range(1, len(raw)):
        frames, _ = _frames(decode, raw[:cut], raw[cut:])
        assert len(frames) == 1, cut
        _check(frames[0], raw, status, value, unit, stable)
    frames, _ = _frames(decode, *(raw[i : i + 1] for i in range(len(raw))))
    assert len(frames) == 1


@pytest.mark.parametrize("name", list(CODECS))
def test_concatenated_frames_come_out_in_order(name: str) -> None:
    decode, cases = CODECS[name]
    stream = b"".join(case[0] for case in cases)
    frames, _ = _frames(decode, stream)
    assert [f.raw for f in frames] == [case[0] for case in cases]


NOISE = [b"\x00\xff#!", b"\x15\x15\x15", b"zz\r\n", b"\x7f"]


@pytest.mark.parametrize("name", list(CODECS))
def test_garbage_between_frames_is_skipped_and_counted(name: str) -> None:
    decode, cases = CODECS[name]
    stream = b""
    for i, case in enumerate(cases):
        stream += NOISE[i % len(NOISE)] + case[0]
    buffer = FrameBuffer(decode)
    items = buffer.feed(stream)
    frames = [i for i in items if isinstance(i, ScaleFrame)]
    assert [f.raw for f in frames] == [case[0] for case in cases]
    assert [f.status for f in frames] == [case[1] for case in cases]
    assert buffer.garbage_bytes == sum(len(NOISE[i % len(NOISE)]) for i in range(len(cases)))


@pytest.mark.parametrize("name", list(CODECS))
def test_a_truncated_frame_is_garbage_and_the_next_one_still_decodes(name: str) -> None:
    decode, cases = CODECS[name]
    first, second = cases[0][0], cases[1][0]
    cut = (
        first[: len(first) // 2] if name not in ("mt-sics", "and", "ohaus") else first[:6] + b"\r\n"
    )
    items = FrameBuffer(decode).feed(cut + second)
    assert [i.raw for i in items if isinstance(i, ScaleFrame)] == [second]
    assert any(isinstance(i, Garbage) for i in items)


def test_toledo_wrong_checksum_is_garbage_when_checksums_are_on() -> None:
    good = TOLEDO[0][0]
    bad = good[:-1] + bytes([(good[-1] + 1) & 0x7F])
    buffer = FrameBuffer(toledo.decoder(checksum_follows=True))
    items = buffer.feed(bad + good)
    assert [i.raw for i in items if isinstance(i, ScaleFrame)] == [good]
    assert buffer.garbage_bytes == len(bad)


def test_toledo_without_checksum() -> None:
    frame = _toledo(0x2C, 0x20, 0x20, "012345", "000000", False)
    frames, _ = _frames(toledo.decoder(checksum_follows=False), frame + frame)
    assert [f.value for f in frames] == [Decimal("123.45")] * 2


def test_a_codec_needs_more_bytes_without_consuming_them() -> None:
    for decode, cases in CODECS.values():
        raw = cases[0][0]
        assert decode(raw[:-1]) == (0, None)


def test_an_endless_line_is_dropped_as_garbage() -> None:
    buffer = FrameBuffer(mtsics.decode)
    items = buffer.feed(b"S" * 200 + b"\r\nS S      1.00 g\r\n")
    assert [i.value for i in items if isinstance(i, ScaleFrame)] == [Decimal("1.00")]
    assert buffer.garbage_bytes > 0
