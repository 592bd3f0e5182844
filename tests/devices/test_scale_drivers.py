"""Every scale driver against its simulator, through a real pseudo-terminal.

Nothing below the driver is mocked: the driver opens the pty by path with pyserial, the
simulator answers with the protocol's bytes. What is asserted is what a station would see.
"""

from collections.abc import Iterator
from decimal import Decimal

import pytest

from devices.base import DeviceState, Scale
from devices.errors import DeviceUnavailable, ReadingRefused
from devices.registry import device_kind, open_device
from devices.scales.driver import SerialScale
from devices.sim.scales import NEVER_SETTLES, PROTOCOLS, ScaleSimulator
from schemas.weights import Unit

pytestmark = pytest.mark.hardware

# Toledo streams; a short interval keeps the tests fast. reopen_interval: see test_replug.
URL_OPTIONS = "?reopen_interval=0.05&poll_interval=0.005"


@pytest.fixture(params=PROTOCOLS)
def sim(request: pytest.FixtureRequest) -> Iterator[ScaleSimulator]:
    with ScaleSimulator(request.param, weight="123.45", interval=0.01) as simulator:
        yield simulator


@pytest.fixture
def scale(sim: ScaleSimulator) -> Iterator[SerialScale]:
    driver = open_device(sim.url + URL_OPTIONS, device_id="bench-1")
    assert isinstance(driver, SerialScale)
    with driver:
        yield driver


def test_every_protocol_is_a_registered_scale(sim: ScaleSimulator) -> None:
    assert device_kind(sim.url) == "scale"
    driver = open_device(sim.url)
    assert isinstance(driver, Scale)
    assert driver.state is DeviceState.CLOSED


def test_read_gives_the_weight_on_the_pan(sim: ScaleSimulator, scale: SerialScale) -> None:
    reading = scale.read()
    assert reading.value == Decimal("123.45")
    assert str(reading.value) == "123.45"
    assert reading.unit is Unit.G
    assert reading.grams == Decimal("123.45")
    assert reading.stable
    assert reading.device_id == "bench-1"
    assert b"12345" in reading.raw.replace(b".", b"")
    assert reading.at.tzinfo is not None
    assert scale.state is DeviceState.READY


def test_zero_on_the_pan_is_a_weight(sim: ScaleSimulator, scale: SerialScale) -> None:
    sim.set_weight("0.00")
    reading = scale.read_stable(timeout=2)
    assert reading.value == 0
    assert reading.stable


def test_pounds_convert_to_grams_exactly(sim: ScaleSimulator) -> None:
    sim.unit = "lb"
    with open_device(sim.url + URL_OPTIONS) as scale:
        reading = scale.read_stable(timeout=2)
    assert (reading.value, reading.unit) == (Decimal("123.45"), Unit.LB)
    assert reading.grams == Decimal("123.45") * Decimal("453.59237")


def test_unstable_then_stable_gives_one_stable_reading(
    sim: ScaleSimulator, scale: SerialScale
) -> None:
    sim.set_weight("250.00", motion=4)
    first = scale.read()
    assert not first.stable
    assert first.value != Decimal("250.00")
    stable = scale.read_stable(timeout=3)
    assert stable.stable
    assert stable.value == Decimal("250.00")
    again = scale.read()  # settled: the scale keeps saying the same stable weight
    assert (again.value, again.stable) == (Decimal("250.00"), True)


def test_read_stable_times_out_while_the_scale_keeps_moving(
    sim: ScaleSimulator, scale: SerialScale
) -> None:
    sim.set_weight("5.00", motion=NEVER_SETTLES)
    with pytest.raises(TimeoutError):
        scale.read_stable(timeout=0.3)
    assert not scale.read().stable  # and read() still says what the display shows


@pytest.mark.parametrize("condition", ["overload", "underload"])
def test_overload_and_underload_are_refused_never_a_weight(
    sim: ScaleSimulator, scale: SerialScale, condition: str
) -> None:
    sim.set_condition(condition)
    for call in (scale.read, scale.read_stable):
        with pytest.raises(ReadingRefused) as refused:
            call(2)
        assert refused.value.reason == condition
        assert refused.value.raw
    sim.set_condition("normal")
    assert scale.read().value == Decimal("123.45")


def test_a_negative_weight_is_refused(sim: ScaleSimulator, scale: SerialScale) -> None:
    sim.set_weight("-2.50")
    with pytest.raises(ReadingRefused) as refused:
        scale.read()
    assert refused.value.reason == "negative"


def test_zero_and_tare(sim: ScaleSimulator, scale: SerialScale) -> None:
    if sim.protocol == "toledo":
        for command in (scale.zero, scale.tare):
            with pytest.raises(ReadingRefused) as refused:
                command()
            assert refused.value.reason == "unsupported"
        return
    sim.set_weight("12.00")  # an empty tray left on the pan
    scale.zero()
    assert scale.read_stable(timeout=2).value == 0
    sim.set_weight("112.00")  # a 100 g container on the tray
    tare = scale.tare()
    assert (tare.value, tare.unit, tare.stable) == (Decimal("100.00"), Unit.G, True)
    sim.set_weight("162.50")  # 50.5 g of product in the container
    assert scale.read_stable(timeout=2).value == Decimal("50.50")


def test_garbage_between_frames_is_skipped(sim: ScaleSimulator, scale: SerialScale) -> None:
    sim.garbage = True
    for _ in range(3):
        assert scale.read_stable(timeout=2).value == Decimal("123.45")
    assert scale.garbage_bytes > 0


def test_a_frame_split_in_two_writes_is_read_whole(sim: ScaleSimulator, scale: SerialScale) -> None:
    sim.split = True
    for _ in range(3):
        assert scale.read(timeout=2).value == Decimal("123.45")


def test_a_pulled_cable_then_replug_is_survived_by_reopening(
    sim: ScaleSimulator, scale: SerialScale
) -> None:
    assert scale.read().value == Decimal("123.45")
    sim.unplug()
    with pytest.raises(DeviceUnavailable):
        scale.read(timeout=0.5)
    assert scale.state is DeviceState.UNAVAILABLE
    with pytest.raises(DeviceUnavailable):  # still gone: no stale weight, no hang
        scale.read(timeout=0.5)
    sim.replug()
    sim.set_weight("7.25")
    assert scale.read(timeout=2).value == Decimal("7.25")
    assert scale.state is DeviceState.READY


def test_a_scale_that_is_not_there_is_unavailable() -> None:
    scale = open_device("mt-sics:///nonexistent/ttyUSB9")
    with pytest.raises(DeviceUnavailable):
        scale.open()
    assert scale.state is DeviceState.UNAVAILABLE


@pytest.mark.parametrize("form", ["manual", "nines"])
@pytest.mark.parametrize("condition", ["overload", "underload"])
def test_an_aandd_scale_out_of_range_in_every_documented_form(form: str, condition: str) -> None:
    """``OL,+9999999E+19`` (the balance manuals' form, no unit) used to time out as "no
    answer"; with the unit or the nines it was already read."""
    with ScaleSimulator("and", weight="123.45", overload_form=form) as sim:
        sim.set_condition(condition)
        with open_device(sim.url + URL_OPTIONS) as scale:
            for call in (scale.read, scale.read_stable):
                with pytest.raises(ReadingRefused) as refused:
                    call(2)
                assert refused.value.reason == condition
                sign = b"+" if condition == "overload" else b"-"
                expected = b"OL," + sign + (b"9999999E+19" if form == "manual" else b"999999.9")
                assert refused.value.raw.startswith(expected)
            assert scale.garbage_bytes == 0
