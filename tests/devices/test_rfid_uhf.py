"""The UHF driver against the simulated module, through a real pty."""

import time
from collections.abc import Iterator

import pytest

from devices.base import DeviceState, TagRead, TagReader, TagSource
from devices.errors import DeviceConfigError, DeviceUnavailable
from devices.registry import make_simulator, open_device
from devices.rfid.uhf import UhfReader
from devices.sim.uhf import TRICKY_EPC, UhfModuleSim

pytestmark = pytest.mark.hardware

TAG_A = "1A4FF0100000022000000123"
TAG_B = "30751FEB705C5904E3D50D70"


@pytest.fixture
def module() -> Iterator[UhfModuleSim]:
    with UhfModuleSim([TAG_A]) as sim:
        yield sim


def reader_for(sim: UhfModuleSim, options: str = "") -> UhfReader:
    reader = open_device(sim.url + options, device_id="uhf-1")
    assert isinstance(reader, UhfReader)
    return reader


def collect(reader: UhfReader, seconds: float, stop_after: int = 0) -> list[TagRead]:
    """Reads seen within ``seconds`` (or until ``stop_after`` of them)."""
    got: list[TagRead] = []
    deadline = time.monotonic() + seconds
    for read in reader.reads(timeout=seconds):
        got.append(read)
        if (stop_after and len(got) >= stop_after) or time.monotonic() > deadline:
            break
    return got


@pytest.mark.parametrize("mode", ["single", "multi"])
def test_reads_each_tag_in_the_field_with_rssi(module: UhfModuleSim, mode: str) -> None:
    module.put(TAG_B, rssi=-71)
    with reader_for(module, f"&mode={mode}") as reader:
        assert isinstance(reader, TagReader)
        assert reader.state is DeviceState.READY
        reads = collect(reader, 3.0, stop_after=2)
    assert {(r.uid, r.rssi) for r in reads} == {(TAG_A, -55), (TAG_B, -71)}
    first = next(r for r in reads if r.uid == TAG_B)
    assert first.source is TagSource.UHF
    assert first.raw == bytes.fromhex(TAG_B)
    assert first.device_id == "uhf-1"
    assert first.at.tzinfo is not None
    assert reader.state is DeviceState.CLOSED


@pytest.mark.parametrize("mode", ["single", "multi"])
def test_a_tag_that_stays_in_view_counts_once(module: UhfModuleSim, mode: str) -> None:
    with reader_for(module, f"&mode={mode}&window=0.4&interval=0.02") as reader:
        assert [r.uid for r in collect(reader, 1.0)] == [TAG_A]  # ~50 sightings, one read
        module.take(TAG_A)
        time.sleep(0.6)  # out of view for longer than the window
        module.put(TAG_A)
        assert [r.uid for r in collect(reader, 1.0)] == [TAG_A]


def test_empty_field_reads_nothing_and_stays_ready(module: UhfModuleSim) -> None:
    module.clear()
    with reader_for(module) as reader:
        assert collect(reader, 0.4) == []
        assert reader.state is DeviceState.READY
    assert module.commands_seen >= 2  # it did ask


@pytest.mark.parametrize("mode", ["single", "multi"])
def test_garbage_split_frames_and_delimiters_in_epcs(mode: str) -> None:
    with (
        UhfModuleSim([TAG_A, TRICKY_EPC], garbage=True, split=True) as sim,
        reader_for(sim, f"&mode={mode}") as reader,
    ):
        reads = collect(reader, 3.0, stop_after=2)
    assert {r.uid for r in reads} == {TAG_A, TRICKY_EPC}


def test_unplug_and_replug_are_survived(module: UhfModuleSim) -> None:
    with reader_for(module, "&window=0.2") as reader:
        assert [r.uid for r in collect(reader, 2.0, stop_after=1)] == [TAG_A]
        module.unplug()
        with pytest.raises(DeviceUnavailable, match="uhf-module"):
            collect(reader, 0.5)
        assert reader.state is DeviceState.UNAVAILABLE
        module.replug()
        module.put(TAG_B)
        reads = collect(reader, 3.0, stop_after=2)
        assert {r.uid for r in reads} == {TAG_A, TAG_B}  # a power cycle shows the field anew
        assert reader.state is DeviceState.READY
        assert reader.failures == 1


def test_a_missing_port_is_reported_not_hidden() -> None:
    reader = open_device("uhf:///nonexistent/ttyUSB9")
    with reader:
        assert reader.state is DeviceState.UNAVAILABLE
        with pytest.raises(DeviceUnavailable, match="ttyUSB9"):
            list(reader.reads(timeout=0.3))


def test_bad_options_are_refused() -> None:
    with pytest.raises(DeviceConfigError, match="mode='fast'"):
        open_device("uhf:///dev/ttyUSB1?mode=fast")
    with pytest.raises(DeviceConfigError, match="window"):
        open_device("uhf:///dev/ttyUSB1?window=-1")


def test_simulator_from_the_registry() -> None:
    with make_simulator("uhf", tags=f"{TAG_A},{TAG_B}", rssi="-60") as sim:
        assert sim.url.startswith("uhf:///")
        with open_device(sim.url) as reader:
            reads = collect(reader, 3.0, stop_after=2)
    assert {(r.uid, r.rssi) for r in reads} == {(TAG_A, -60), (TAG_B, -60)}
