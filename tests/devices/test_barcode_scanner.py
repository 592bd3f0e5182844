"""Serial barcode scanners: the line codec on recorded bytes, the driver against its pty
simulator through pyserial and the OS."""

import logging
import time
from collections.abc import Iterator

import pytest

from devices.barcode.lines import Line, LineSplitter, Rejected, split_aim
from devices.barcode.scanner import SerialScanner
from devices.base import BarcodeReader, DeviceState
from devices.errors import DeviceConfigError, DeviceUnavailable
from devices.registry import make_simulator, open_device
from devices.sim.scanner import ScannerSimulator
from devices.urls import parse_device_url

UID = "1A4FF0100000022000000123"
OTHER = "1A4FF0100000022000000124"
RECORDED = f"{UID}\r{OTHER}\r\nLOT-7\r".encode()  # a CR scanner, then a CR LF one


def texts(items: list[Line | Rejected]) -> list[str]:
    return [i.text if isinstance(i, Line) else f"<{i.reason}>" for i in items]


# ---- the codec -------------------------------------------------------------------------


@pytest.mark.parametrize("cut", range(1, len(RECORDED)))
def test_a_stream_cut_anywhere_gives_the_same_lines(cut: int) -> None:
    splitter = LineSplitter("cr")
    items = splitter.feed(RECORDED[:cut]) + splitter.feed(RECORDED[cut:])
    assert texts(items) == [UID, OTHER, "LOT-7"]


def test_byte_by_byte_with_crlf() -> None:
    splitter = LineSplitter("crlf")
    items = [
        item for byte in f"{UID}\r\n{OTHER}\r\n".encode() for item in splitter.feed(bytes([byte]))
    ]
    assert texts(items) == [UID, OTHER]


def test_garbage_lines_are_dropped_with_a_reason() -> None:
    splitter = LineSplitter("cr")
    items = splitter.feed(b"\xc6\xdf\xab\x8c\r" + b"AB\x07C\r" + UID.encode() + b"\r")
    assert texts(items) == ["<garbage>", "<garbage>", UID]
    assert isinstance(items[0], Rejected)
    assert "not UTF-8" in items[0].detail
    assert isinstance(items[1], Rejected)
    assert "control character 0x07" in items[1].detail


def test_gs1_separators_and_utf8_pass() -> None:
    items = LineSplitter("lf").feed("(01)0950\x1d(10)AB\nLot für Nord\n".encode())
    assert texts(items) == ["(01)0950\x1d(10)AB", "Lot für Nord"]


def test_an_overlong_line_is_reported_once_and_its_tail_dropped() -> None:
    splitter = LineSplitter("cr", max_length=32)
    items = splitter.feed(b"X" * 50)
    items += splitter.feed(b"Y" * 50 + b"\r" + UID.encode() + b"\r")
    assert texts(items) == ["<overlong>", UID]
    assert isinstance(items[0], Rejected)
    assert "without CR; check the suffix setting" in items[0].detail


def test_a_crlf_setting_against_a_cr_scanner_says_so() -> None:
    items = LineSplitter("crlf", max_length=64).feed(f"{UID}\r".encode() * 4)
    assert texts(items) == ["<overlong>"]


def test_aim_identifiers() -> None:
    assert split_aim("]C0" + UID) == ("CODE128", UID)
    assert split_aim("]d2ABC") == ("DATAMATRIX", "ABC")
    assert split_aim(UID) == ("UNKNOWN", UID)
    with pytest.raises(ValueError, match="suffix 'cr lf'"):
        LineSplitter("cr lf")


# ---- the driver against the simulator --------------------------------------------------


@pytest.fixture
def sim() -> Iterator[ScannerSimulator]:
    with ScannerSimulator(interval="0") as s:
        yield s


def scanner(url: str) -> SerialScanner:
    return SerialScanner(parse_device_url(url), device_id="bench-scanner")


def take(reader: BarcodeReader, n: int, timeout: float = 2.0) -> list[str]:
    got: list[str] = []
    for read in reader.reads(timeout=timeout):
        got.append(read.text)
        if len(got) == n:
            break
    return got


@pytest.mark.hardware
def test_scans_arrive_as_reads(sim: ScannerSimulator) -> None:
    with scanner(sim.url) as scan:
        assert isinstance(scan, BarcodeReader)
        sim.scan(UID)
        sim.scan(OTHER)
        reads = list(scan.reads(timeout=0.3))
    assert [(r.text, r.symbology, r.decoder, r.device_id) for r in reads] == [
        (UID, "UNKNOWN", "scanner", "bench-scanner"),
        (OTHER, "UNKNOWN", "scanner", "bench-scanner"),
    ]


@pytest.mark.hardware
def test_split_and_concatenated_writes(sim: ScannerSimulator) -> None:
    with scanner(sim.url) as scan:
        sim.scan(UID, split=3)
        sim.send_raw(sim.line(OTHER) + sim.line("LOT-7"))
        assert take(scan, 3) == [UID, OTHER, "LOT-7"]


@pytest.mark.hardware
def test_garbage_is_reported_not_read(
    sim: ScannerSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    with scanner(sim.url) as scan, caplog.at_level(logging.WARNING, "devices.barcode.scanner"):
        sim.send_raw(sim.noise())
        sim.send_raw(b"Z" * 600 + b"\r")
        sim.scan(UID)
        assert take(scan, 1) == [UID]
        assert [r.reason for r in scan.rejected] == ["garbage", "overlong"]
    assert "dropped a line (garbage): not UTF-8 text" in caplog.text
    assert "dropped a line (overlong): more than 512 bytes without CR" in caplog.text


@pytest.mark.hardware
def test_crlf_and_aim_identifiers() -> None:
    with ScannerSimulator(interval="0", suffix="crlf", aim="1", symbology="datamatrix") as sim:
        assert "suffix=crlf" in sim.url
        with scanner(sim.url) as scan:
            sim.scan(UID)
            read = next(scan.reads(timeout=2))
    assert (read.text, read.symbology) == (UID, "DATAMATRIX")


@pytest.mark.hardware
def test_scans_before_open_are_not_reads(sim: ScannerSimulator) -> None:
    sim.scan(OTHER)  # the worker scanned while the station was starting
    with scanner(sim.url) as scan:
        sim.scan(UID)
        assert take(scan, 1) == [UID]


@pytest.mark.hardware
def test_unplug_and_replug_are_survived(sim: ScannerSimulator) -> None:
    with scanner(sim.url) as scan:
        sim.scan(UID)
        assert take(scan, 1) == [UID]
        sim.send_raw(UID[:10].encode())  # half a code when the cable goes
        sim.unplug()
        with pytest.raises(DeviceUnavailable, match="was lost"):
            take(scan, 1)
        assert scan.state is DeviceState.UNAVAILABLE
        with pytest.raises(DeviceUnavailable, match="cannot open"):
            take(scan, 1)  # still unplugged
        sim.replug()
        started = time.monotonic()
        assert take(scan, 1, timeout=0.8) == []  # reopens by itself, within 0.5 s
        assert scan.state.value == "ready"
        assert time.monotonic() - started < 2
        sim.scan(OTHER)
        assert take(scan, 1) == [OTHER]  # the half code from before the unplug is gone
        assert scan.transport.failures == 1


@pytest.mark.hardware
def test_window_counts_a_double_scan_once(sim: ScannerSimulator) -> None:
    with scanner(sim.url + "&window=5") as scan:
        sim.scan(UID)
        sim.scan(UID)
        sim.scan(OTHER)
        assert [r.text for r in scan.reads(timeout=0.3)] == [UID, OTHER]


@pytest.mark.hardware
def test_the_registered_simulator_scans_by_itself() -> None:
    with (
        make_simulator("scanner", codes=f"{UID},{OTHER}", interval="0.05", garbage="0.5") as s,
        open_device(s.url) as scan,
    ):
        assert set(take(scan, 4)) == {UID, OTHER}


def test_bad_options_are_config_errors() -> None:
    with pytest.raises(DeviceConfigError, match="suffix 'tab'"):
        scanner("scanner:///dev/ttyACM0?suffix=tab")
    with pytest.raises(DeviceConfigError, match="not a whole number"):
        scanner("scanner:///dev/ttyACM0?baudrate=fast")


def test_a_missing_port_is_unavailable() -> None:
    scan = scanner("scanner:///dev/serial/by-id/no-such-scanner")
    with pytest.raises(DeviceUnavailable, match="cannot open"):
        scan.open()
    assert scan.state is DeviceState.UNAVAILABLE
