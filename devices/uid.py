"""Normalise tag and card identifiers to one spelling, whatever read them.

The same plant tag reaches us from a UHF module (EPC bytes), a PC/SC reader (card UID bytes),
a barcode scanner or a person typing it. Each must become the same string, or a plant is
counted twice. Accepted, after removing whitespace and the separators ``: - . _``:

========================  =======================================  ======================
what                      looks like                               becomes
========================  =======================================  ======================
Metrc-style tag UID       24 characters ``[0-9A-Za-z]``            uppercase
96-bit EPC                24 hex digits (a subset of the above)    uppercase
card serial number        8, 14 or 20 hex digits (4/7/10 bytes)    uppercase hex
========================  =======================================  ======================

Anything else raises :class:`ValueError` naming what is wrong: an empty value, a character
outside ``[0-9A-Za-z]``, a length that fits no format, or a card serial that is not hex.
Pure functions, no I/O.
"""

import re

TAG_LENGTH = 24  # Metrc-style UID and 96-bit EPC alike (schemas.ids.TAG_UID_PATTERN)
CARD_LENGTHS = (8, 14, 20)  # 4-, 7- and 10-byte ISO 14443 UIDs, in hex digits

_SEPARATORS = re.compile(r"[\s:.\-_]+")
_HEX = re.compile(r"^[0-9A-F]+$")


def normalise_uid(value: str) -> str:
    """The canonical spelling of a tag UID, EPC or card serial number; ValueError if none."""
    compact = _SEPARATORS.sub("", value)
    if not compact:
        raise ValueError(f"tag UID {value!r} is empty")
    for position, char in enumerate(compact):
        if not (char.isascii() and char.isalnum()):
            raise ValueError(
                f"tag UID {value!r} contains {char!r} at position {position}; "
                "only letters A-Z and digits 0-9 are allowed"
            )
    upper = compact.upper()
    if len(upper) == TAG_LENGTH:
        return upper
    if len(upper) in CARD_LENGTHS:
        if not _HEX.match(upper):
            raise ValueError(
                f"card serial {value!r} has {len(upper)} characters but is not hexadecimal"
            )
        return upper
    raise ValueError(
        f"tag UID {value!r} has {len(upper)} characters; expected {TAG_LENGTH} "
        "(Metrc tag or 96-bit EPC) or 8, 14 or 20 hex digits (card serial number)"
    )


def uid_from_bytes(raw: bytes) -> str:
    """The canonical spelling of a UID a device sent as bytes (an EPC or a card UID)."""
    if not raw:
        raise ValueError("tag UID is empty (the device sent no bytes)")
    return normalise_uid(raw.hex())


def is_tag_uid(value: str) -> bool:
    """True if ``value`` normalises to a 24-character plant tag UID (not a card serial)."""
    try:
        return len(normalise_uid(value)) == TAG_LENGTH
    except ValueError:
        return False
