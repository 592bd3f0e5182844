"""Both decoders on rendered frames: what a camera at the bench would show them."""

import numpy as np
import pytest

from devices.barcode.decoders import (
    DEFAULT_DECODER,
    Symbology,
    ZbarDecoder,
    make_decoder,
    parse_symbologies,
)
from devices.errors import DeviceConfigError
from devices.sim.frames import empty_frame, parse_size, render_frame, render_label

UID = "1A4FF0100000022000000123"  # a Metrc-style tag UID, 24 characters

# (symbology, angle): a label laid a little crooked on the bench. Linear codes only within
# the ~15 degrees both libraries manage; matrix codes at any angle.
# zbar has no DataMatrix case: it cannot read one (test_zbar_refuses_datamatrix).
CASES = [
    (decoder, symbology, angle)
    for decoder in ("zxing", "zbar")
    for symbology, angle in [
        (Symbology.CODE128, 4.0),
        (Symbology.CODE128, -3.0),
        (Symbology.QRCODE, 25.0),
        (Symbology.DATAMATRIX, 30.0),
    ]
    if not (decoder == "zbar" and symbology is Symbology.DATAMATRIX)
]


@pytest.mark.parametrize("size", [(640, 360), (1280, 720)])
@pytest.mark.parametrize(("decoder_name", "symbology", "angle"), CASES)
def test_reads_a_noisy_slightly_turned_label(
    decoder_name: str, symbology: Symbology, angle: float, size: tuple[int, int]
) -> None:
    frame = render_frame(UID, symbology, size, angle=angle, blur=0.7, noise=4, seed=7)
    decoded = make_decoder(decoder_name).decode(frame)
    assert [(d.text, d.symbology) for d in decoded] == [(UID, symbology.value)]


@pytest.mark.parametrize("decoder_name", ["zxing", "zbar"])
def test_grayscale_and_bgr_give_the_same_answer(decoder_name: str) -> None:
    frame = render_frame("LOT-2024-0042", "qr", noise=3, seed=1)
    decoder = make_decoder(decoder_name)
    assert decoder.decode(frame) == decoder.decode(np.ascontiguousarray(frame[:, :, 0]))


def test_zbar_refuses_datamatrix() -> None:
    with pytest.raises(DeviceConfigError, match="zbar cannot read DataMatrix; use decoder=zxing"):
        make_decoder("zbar", parse_symbologies("code128,datamatrix"))


def test_zbar_by_default_looks_only_for_what_it_can_read() -> None:
    decoder = make_decoder("zbar")
    assert decoder.symbologies == ZbarDecoder.CAN_READ
    assert Symbology.DATAMATRIX not in decoder.symbologies
    # A DataMatrix in view is simply not seen: no error, no wrong text.
    assert decoder.decode(render_frame(UID, "datamatrix", noise=3, seed=2)) == []


def test_zxing_reads_datamatrix_and_is_the_default() -> None:
    assert DEFAULT_DECODER == "zxing"
    decoder = make_decoder()
    assert decoder.name == "zxing"
    assert Symbology.DATAMATRIX in decoder.symbologies


def test_only_the_asked_symbologies_are_reported() -> None:
    frame = render_frame(UID, "qr", noise=3, seed=3)
    assert make_decoder("zxing", parse_symbologies("code128")).decode(frame) == []
    assert make_decoder("zbar", parse_symbologies("code128")).decode(frame) == []


@pytest.mark.parametrize("decoder_name", ["zxing", "zbar"])
def test_an_empty_bench_decodes_to_nothing(decoder_name: str) -> None:
    assert make_decoder(decoder_name).decode(empty_frame((1280, 720), noise=8, seed=4)) == []


@pytest.mark.parametrize("decoder_name", ["zxing", "zbar"])
def test_linear_codes_turned_past_the_limit_are_missed(decoder_name: str) -> None:
    # Documented limit (FACTS, docs/devices-barcode.md): mount the camera square to the label.
    frame = render_frame(UID, "code128", angle=30, blur=0.7, noise=4, seed=5)
    assert make_decoder(decoder_name).decode(frame) == []


def test_configuration_errors_name_the_problem() -> None:
    with pytest.raises(DeviceConfigError, match="unknown decoder 'zebra'"):
        make_decoder("zebra")
    with pytest.raises(DeviceConfigError, match="unknown symbology 'ean13'"):
        parse_symbologies("qr,ean13")
    assert parse_symbologies("qr, dm") == frozenset({Symbology.QRCODE, Symbology.DATAMATRIX})
    with pytest.raises(ValueError, match="uint8"):
        make_decoder().decode(np.zeros((10, 10), dtype=np.float32))


def test_labels_keep_ten_modules_of_quiet_zone() -> None:
    label = render_label(UID, "code128", module_px=2)
    paper = label[0, 0]
    assert (label[:, :20] == paper).all()  # 10 modules of 2 px on the left
    assert (label[:, -20:] == paper).all()
    with pytest.raises(ValueError, match="10 modules"):
        render_label(UID, "code128", quiet_modules=4)
    with pytest.raises(ValueError, match="does not fit"):
        render_frame(UID, "code128", (320, 240), module_px=3)
    assert parse_size("1280x720") == (1280, 720)
