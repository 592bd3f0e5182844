"""The PC/SC driver against the real pcscd + vpcd, with our virtual card on the reader."""

import time
from collections.abc import Iterator

import pytest

from devices.base import DeviceState, TagRead, TagReader, TagSource
from devices.errors import DeviceUnavailable, ReadingRefused
from devices.registry import make_simulator, open_device
from devices.rfid.pcsc import PcscReader
from devices.sim.vcard import VirtualCard, answer
from tests.devices.conftest import PcscDaemon

pytestmark = pytest.mark.hardware

SLOT_0, SLOT_1 = 35963, 35964
BADGE = "04A2241AB75C80"  # 7-byte NFC UID
PLANT_TAG_CARD = "DEADBEEF"  # 4-byte MIFARE Classic UID
WAIT = 3.0  # pcscd polls vpcd every ~0.4 s; a card shows up well within this


def reader_on(port: int, options: str = "") -> Iterator[PcscReader]:
    url = VirtualCard("00000000", port).url + options
    with open_device(url, device_id="desk-1") as reader:
        assert isinstance(reader, PcscReader)
        yield reader


@pytest.fixture
def slot0(pcscd: PcscDaemon) -> Iterator[PcscReader]:
    yield from reader_on(SLOT_0)


def first_read(reader: PcscReader, timeout: float = WAIT) -> TagRead | None:
    for read in reader.reads(timeout=timeout):
        return read
    return None


def wait_until_empty(reader: PcscReader) -> None:
    """Drain the reader's view of a removal, so the next insertion is a new event."""
    assert first_read(reader, timeout=0.6) is None


def test_the_card_answers_like_a_pcsc_part3_reader() -> None:
    uid = bytes.fromhex(BADGE)
    assert answer(bytes.fromhex("FFCA000000"), uid) == uid + b"\x90\x00"
    assert answer(bytes.fromhex("FFCA000004"), uid) == b"\x6c\x07"
    assert answer(bytes.fromhex("FFCA010000"), uid) == b"\x6a\x81"
    assert answer(bytes.fromhex("00A4040000"), uid) == b"\x6d\x00"


def test_insert_read_remove_insert_another(slot0: PcscReader) -> None:
    assert isinstance(slot0, TagReader)
    assert slot0.state is DeviceState.READY
    assert first_read(slot0, timeout=0.3) is None  # empty reader: nothing
    with VirtualCard(BADGE, SLOT_0) as card:
        read = first_read(slot0)
        assert card.apdus == 1  # exactly one GET DATA per presented card
    assert read is not None
    assert (read.uid, read.raw, read.source) == (BADGE, bytes.fromhex(BADGE), TagSource.PCSC)
    assert read.device_id == "desk-1"
    assert read.rssi is None
    wait_until_empty(slot0)
    with VirtualCard(PLANT_TAG_CARD.lower(), SLOT_0):
        read = first_read(slot0)
    assert read is not None
    assert read.uid == PLANT_TAG_CARD
    assert slot0.state is DeviceState.READY


def test_the_same_card_tapped_again_within_the_window_counts_once(pcscd: PcscDaemon) -> None:
    for reader in reader_on(SLOT_0, "?window=30"):
        card = VirtualCard(BADGE, SLOT_0)
        card.insert()
        assert first_read(reader) is not None
        card.remove()
        wait_until_empty(reader)
        card.insert()
        assert first_read(reader, timeout=1.5) is None  # tapped again: not a new scan
        assert card.apdus == 2  # it was read, and recognised
        card.remove()


def test_a_refused_uid_is_reported_then_the_next_card_reads(pcscd: PcscDaemon) -> None:
    for reader in reader_on(SLOT_1):
        with VirtualCard(BADGE, SLOT_1, refuse_uid=b"\x6a\x81"):
            with pytest.raises(ReadingRefused, match="6A81: function not supported") as info:
                first_read(reader)
            assert info.value.reason == "device_error"
            assert first_read(reader, timeout=0.6) is None  # reported once, not per poll
        wait_until_empty(reader)
        with VirtualCard(BADGE, SLOT_1):
            read = first_read(reader)
        assert read is not None
        assert read.uid == BADGE


def test_a_reader_that_is_not_there_is_named(pcscd: PcscDaemon) -> None:
    with open_device("pcsc://Virtual PCD 00 09") as reader:
        assert reader.state is DeviceState.UNAVAILABLE
        with pytest.raises(DeviceUnavailable, match=r"not found \(pcscd has: Virtual PCD 00 00"):
            list(reader.reads(timeout=0.3))


def test_card_simulator_from_the_registry(pcscd: PcscDaemon) -> None:
    with make_simulator("card", uid="01:02:03:04", port=str(SLOT_1)) as card:
        assert card.url == "pcsc://Virtual PCD 00 01"
        with open_device(card.url) as reader:
            read = first_read(reader)
    assert read is not None
    assert read.uid == "01020304"


def test_pcscd_restart_is_survived_by_the_same_driver(pcscd: PcscDaemon) -> None:
    for reader in reader_on(SLOT_0, "?window=0"):
        with VirtualCard(BADGE, SLOT_0):
            assert first_read(reader) is not None
        pcscd.kill()
        with pytest.raises(DeviceUnavailable, match="pcscd"):
            first_read(reader, timeout=0.5)
        assert reader.state is DeviceState.UNAVAILABLE
        pcscd.start()
        with VirtualCard(PLANT_TAG_CARD, SLOT_0):
            started = time.monotonic()
            read = first_read(reader, timeout=5.0)
        assert read is not None
        assert read.uid == PLANT_TAG_CARD
        assert time.monotonic() - started < 5.0
        assert reader.state is DeviceState.READY
        assert reader.contexts >= 2  # a fresh context, not the dead one
