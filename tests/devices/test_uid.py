"""UID normalisation: every reader's spelling of a tag becomes one string."""

import pytest

from devices.uid import is_tag_uid, normalise_uid, uid_from_bytes


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("1A4FF0100000022000000123", "1A4FF0100000022000000123"),  # Metrc-style, as printed
        ("1a4ff0100000022000000123", "1A4FF0100000022000000123"),  # typed in lowercase
        (" 1A4FF01000000220000001 23\n", "1A4FF0100000022000000123"),  # scanner whitespace
        ("30751feb705c5904e3d50d70", "30751FEB705C5904E3D50D70"),  # 96-bit EPC
        ("30:75:1F:EB:70:5C:59:04:E3:D5:0D:70", "30751FEB705C5904E3D50D70"),
        ("04-a2-24-1a-b7-5c-80", "04A2241AB75C80"),  # 7-byte NFC UID
        ("de ad be ef", "DEADBEEF"),  # 4-byte MIFARE Classic UID
        ("0102030405060708090A", "0102030405060708090A"),  # 10-byte UID
    ],
)
def test_accepted_spellings(given: str, expected: str) -> None:
    assert normalise_uid(given) == expected


@pytest.mark.parametrize(
    ("given", "complaint"),
    [
        ("", "empty"),
        (" :- ", "empty"),
        ("1A4FF010000002200000012", "has 23 characters"),
        ("1A4FF01000000220000001234", "has 25 characters"),
        ("1A4FF0100000022000/00123", "contains '/' at position 18"),
        ("1A4FF010000002200000012É", "contains 'É'"),
        ("DEADBEEG", "not hexadecimal"),
        ("ABC", "has 3 characters"),
    ],
)
def test_refused_values_say_why(given: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        normalise_uid(given)


def test_bytes_from_devices() -> None:
    assert uid_from_bytes(bytes.fromhex("30751FEB705C5904E3D50D70")) == "30751FEB705C5904E3D50D70"
    assert uid_from_bytes(b"\xde\xad\xbe\xef") == "DEADBEEF"
    with pytest.raises(ValueError, match="no bytes"):
        uid_from_bytes(b"")
    with pytest.raises(ValueError, match="has 4 characters"):
        uid_from_bytes(b"\x01\x02")


def test_is_tag_uid_tells_plant_tags_from_badges() -> None:
    assert is_tag_uid("1a4ff0100000022000000123")
    assert not is_tag_uid("DEADBEEF")
    assert not is_tag_uid("nonsense!")
