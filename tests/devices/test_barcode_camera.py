"""The camera driver playing rendered video files through OpenCV, as it would a camera."""

import time
from collections.abc import Iterator

import pytest

from devices.barcode.camera import CameraReader, camera_source
from devices.base import BarcodeReader, DeviceState
from devices.errors import DeviceConfigError, DeviceUnavailable
from devices.registry import open_device
from devices.sim.camera import CameraSimulator
from devices.urls import parse_device_url

pytestmark = pytest.mark.hardware

UID = "1A4FF0100000022000000123"
CODES = [UID, "1A4FF0100000022000000124", "LOT-2024-0042"]


def camera(url: str, **options: str) -> CameraReader:
    if options:
        url += "&" + "&".join(f"{k}={v}" for k, v in options.items())
    return CameraReader(parse_device_url(url), device_id="bench-cam")


@pytest.fixture(scope="module")
def sim() -> Iterator[CameraSimulator]:
    with CameraSimulator(codes=",".join(CODES), frames_per_code="4", gap_frames="3") as s:
        yield s


def test_each_label_in_view_counts_once(sim: CameraSimulator) -> None:
    with camera(sim.url, loop="0", fps="0") as cam:
        assert isinstance(cam, BarcodeReader)
        assert cam.state is DeviceState.READY
        reads = list(cam.reads(timeout=1))
    assert [r.text for r in reads] == CODES
    assert {(r.symbology, r.decoder, r.device_id) for r in reads} == {
        ("CODE128", "zxing", "bench-cam")
    }
    assert all(r.at.tzinfo is not None for r in reads)


def test_window_zero_counts_every_frame(sim: CameraSimulator) -> None:
    with camera(sim.url, loop="0", fps="0", window="0") as cam:
        texts = [r.text for r in cam.reads(timeout=1)]
    # 4 frames per label; MJPG artefacts may cost a frame, never add one.
    assert 3 <= texts.count(UID) <= 4


def test_a_label_that_stays_in_view_across_loops_counts_once(sim: CameraSimulator) -> None:
    with camera(sim.url, loop="1", fps="0", window="30") as cam:
        started = time.monotonic()
        texts = [r.text for r in cam.reads(timeout=0.5)]
    # the file played many times over in those 0.5 s of silence at the end
    assert time.monotonic() - started >= 0.5
    assert texts == CODES


def test_the_end_of_a_file_waits_out_the_timeout(sim: CameraSimulator) -> None:
    with camera(sim.url, loop="0", fps="0") as cam:
        assert len(list(cam.reads(timeout=1))) == 3
        started = time.monotonic()
        assert list(cam.reads(timeout=0.3)) == []
        assert 0.25 <= time.monotonic() - started < 2


def test_fps_paces_a_file_like_a_live_camera(sim: CameraSimulator) -> None:
    with camera(sim.url, loop="0", fps="40") as cam:
        reads = cam.reads(timeout=3)
        started = time.monotonic()
        assert [next(reads).text for _ in CODES] == CODES
        # the third label first shows in frame 15: 14 frame intervals of 25 ms
        assert time.monotonic() - started >= 0.3


def test_camera_lost_then_back() -> None:
    with (
        CameraSimulator(codes=UID, frames_per_code="3", gap_frames="2") as sim,
        camera(sim.url, fps="0", window="0.1") as cam,
    ):
        reads = cam.reads(timeout=5)
        assert next(reads).text == UID
        sim.unplug()
        with pytest.raises(DeviceUnavailable, match="was lost"):
            for _ in reads:  # plays to the end of the file, then cannot start over
                pass
        assert cam.state is DeviceState.UNAVAILABLE
        assert cam.failures == 1
        with pytest.raises(DeviceUnavailable, match="no such file"):
            next(cam.reads(timeout=1))  # still gone: the reopen fails too
        sim.replug()
        read = next(cam.reads(timeout=1))  # reopens by itself
        assert read.text == UID
        assert cam.state.value == "ready"  # (mypy keeps the narrowing from above)


def test_datamatrix_needs_zxing() -> None:
    with CameraSimulator(codes=UID, symbology="datamatrix", gap_frames="0") as sim:
        with camera(sim.url, loop="0", fps="0") as cam:
            assert [(r.text, r.symbology) for r in cam.reads(timeout=1)] == [(UID, "DATAMATRIX")]
        with pytest.raises(DeviceConfigError, match="zbar cannot read DataMatrix"):
            camera(sim.url, decoder="zbar", symbologies="datamatrix")
        with camera(sim.url, loop="0", fps="0", decoder="zbar") as cam:
            assert list(cam.reads(timeout=0.1)) == []  # zbar does not see it at all


def test_zbar_through_the_registry(sim: CameraSimulator) -> None:
    with open_device(sim.url + "&decoder=zbar&loop=0&fps=0") as cam:
        assert [(r.text, r.decoder) for r in cam.reads(timeout=1)] == [
            (code, "zbar") for code in CODES
        ]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("camera://57", "cannot open camera 57"),
        ("camera:///nonexistent/bench.avi", "no such file"),
        ("camera://rtsp://127.0.0.1:1/stream", "cannot open rtsp://127.0.0.1:1/stream"),
        ("rtsp://127.0.0.1:1/stream", "cannot open rtsp://127.0.0.1:1/stream"),
    ],
)
def test_a_source_that_is_not_there_is_unavailable(url: str, message: str) -> None:
    cam = CameraReader(parse_device_url(url))
    with pytest.raises(DeviceUnavailable, match=message):
        cam.open()
    assert cam.state is DeviceState.UNAVAILABLE


def test_camera_urls() -> None:
    assert camera_source(parse_device_url("camera://0?decoder=zbar")) == 0
    assert camera_source(parse_device_url("camera:///srv/a.avi?loop=1")) == "/srv/a.avi"
    assert camera_source(parse_device_url("camera://rtsp://h:554/s1")) == "rtsp://h:554/s1"
    assert camera_source(parse_device_url("rtsp://h/s1?window=1")) == "rtsp://h/s1"
    with pytest.raises(DeviceConfigError, match="not a number"):
        camera("camera://0?loop=0", window="soon")
    with pytest.raises(DeviceConfigError, match="unknown decoder"):
        camera("camera://0?loop=0", decoder="quagga")
