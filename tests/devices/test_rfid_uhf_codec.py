"""The UHF frame codec on recorded frames: split, joined, corrupted, with BB/7E in payloads."""

import pytest

from devices.rfid.uhf_codec import (
    NO_TAG,
    Deframer,
    Frame,
    FrameType,
    UhfFrameError,
    decode,
    error_frame,
    error_text,
    multi_inventory,
    parse_notice,
    rssi_dbm,
    single_inventory,
    stop_multi_inventory,
    tag_notice,
)

# Recorded from a module's manual and a live trace.
NOTICE = bytes.fromhex("BB 02 22 00 11 C9 34 00 30 75 1F EB 70 5C 59 04 E3 D5 0D 70 3A 76 EF 7E")
NO_TAG_FRAME = bytes.fromhex("BB 01 FF 00 01 15 16 7E")
STOP_OK = bytes.fromhex("BB 01 28 00 01 00 2A 7E")
# An EPC that holds both delimiters, including a complete fake "frame" BB ... 7E.
TRICKY_EPC = bytes.fromhex("BB7E00BB7EBB00000000007E")


def frames_of(chunks: list[bytes]) -> tuple[list[Frame], int]:
    deframer = Deframer()
    frames: list[Frame] = []
    for chunk in chunks:
        frames += deframer.feed(chunk)
    return frames, deframer.skipped


def test_commands_match_the_manual() -> None:
    assert single_inventory() == bytes.fromhex("BB 00 22 00 00 22 7E")
    assert multi_inventory(10000) == bytes.fromhex("BB 00 27 00 03 22 27 10 83 7E")
    assert stop_multi_inventory() == bytes.fromhex("BB 00 28 00 00 28 7E")
    assert error_frame(NO_TAG).encode() == NO_TAG_FRAME
    with pytest.raises(ValueError, match=r"1\.\.65535"):
        multi_inventory(0)


def test_recorded_notice() -> None:
    used, frame = decode(NOTICE)
    assert used == len(NOTICE)
    assert frame is not None
    notice = parse_notice(frame)
    assert notice.epc.hex().upper() == "30751FEB705C5904E3D50D70"
    assert (notice.rssi, notice.pc, notice.crc) == (0xC9, 0x3400, 0x3A76)
    assert rssi_dbm(notice.rssi) == -55
    assert tag_notice(notice.epc, rssi=0xC9).encode() == NOTICE  # the CRC is the tag's Gen2 CRC


def test_no_tag_and_stop_responses() -> None:
    _, error = decode(NO_TAG_FRAME)
    assert error is not None
    assert error.is_error
    assert error.error_code == NO_TAG
    assert error_text(NO_TAG) == "no tag (inventory failed)"
    assert error_text(0x99) == "error 0x99"
    _, stop = decode(STOP_OK)
    assert stop == Frame(FrameType.RESPONSE, 0x28, b"\x00")
    assert not stop.is_error
    assert stop.error_code is None


def test_need_more_bytes() -> None:
    for cut in range(len(NOTICE)):
        assert decode(NOTICE[:cut]) == (0, None)


@pytest.mark.parametrize("cut", range(1, len(NOTICE)))
def test_split_at_every_byte_boundary(cut: int) -> None:
    frames, skipped = frames_of([NOTICE[:cut], NOTICE[cut:] + NO_TAG_FRAME])
    assert [f.encode() for f in frames] == [NOTICE, NO_TAG_FRAME]
    assert skipped == 0


def test_byte_by_byte_stream_of_many_frames() -> None:
    stream = NOTICE + NO_TAG_FRAME + STOP_OK + tag_notice(TRICKY_EPC).encode() + NOTICE
    frames, skipped = frames_of([bytes([b]) for b in stream])
    assert len(frames) == 5
    assert skipped == 0
    assert parse_notice(frames[3]).epc == TRICKY_EPC


@pytest.mark.parametrize("cut", range(1, 24))
def test_delimiters_inside_payload_split_anywhere(cut: int) -> None:
    wire = tag_notice(TRICKY_EPC, rssi=0xBB).encode() + NO_TAG_FRAME
    frames, skipped = frames_of([wire[:cut], wire[cut:]])
    assert len(frames) == 2
    assert skipped == 0
    notice = parse_notice(frames[0])
    assert notice.epc == TRICKY_EPC
    assert rssi_dbm(notice.rssi) == -69


def test_garbage_before_between_and_after_is_skipped() -> None:
    noise = b"\x00\xff\x7e\xbb\x13\x37"
    frames, skipped = frames_of([noise + NOTICE + noise + NO_TAG_FRAME + b"\x7e\x7e"])
    assert [f.encode() for f in frames] == [NOTICE, NO_TAG_FRAME]
    assert skipped == 2 * len(noise) + 2


@pytest.mark.parametrize("position", range(1, len(NOTICE)))
def test_a_corrupted_byte_loses_that_frame_only(position: int) -> None:
    bad = bytearray(NOTICE)
    bad[position] ^= 0x5A
    deframer = Deframer()
    frames = deframer.feed(bytes(bad) + NO_TAG_FRAME + NOTICE)
    frames += deframer.expire()  # a corrupted length may promise more bytes than ever come
    # The corrupted notice never comes out; the frames after it always do.
    assert [f.encode() for f in frames][-2:] == [NO_TAG_FRAME, NOTICE]
    assert NOTICE not in [f.encode() for f in frames[:-1]]


def test_stray_header_with_a_huge_length_is_dropped_when_the_line_goes_quiet() -> None:
    deframer = Deframer()
    assert deframer.feed(b"\xbb\x02\x22\x00\xf0" + NOTICE) == []  # could still be a frame
    assert deframer.pending == 5 + len(NOTICE)
    assert [f.encode() for f in deframer.expire()] == [NOTICE]
    assert deframer.skipped == 5
    assert deframer.pending == 0
    assert deframer.feed(NO_TAG_FRAME[:3]) == []
    assert deframer.expire() == []  # a truncated frame is lost, and only it
    assert deframer.feed(NOTICE) == [decode(NOTICE)[1]]


def test_notice_whose_pc_disagrees_with_its_length_is_refused() -> None:
    frame = Frame(FrameType.NOTICE, 0x22, bytes.fromhex("C9 3000") + bytes(12) + bytes(2))
    with pytest.raises(UhfFrameError, match="announces an EPC of 12 bytes"):
        parse_notice(Frame(frame.type, frame.command, frame.params[:-1]))
    with pytest.raises(UhfFrameError, match="not a tag notice"):
        parse_notice(error_frame(NO_TAG))
