"""Identifier formats and the event id generator.

Every identifier that travels in an MQTT topic (licence, station) is restricted to characters
that are safe in a topic level: no ``/``, ``+``, ``#`` or whitespace. Plant UIDs follow the
Metrc-style tag: 24 characters ``[0-9A-Z]`` (a 96-bit EPC printed as 24 hex digits fits too).
"""

import os
import time
import uuid
from typing import Annotated

from pydantic import StringConstraints

LICENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{2,39}$"
STATION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
USER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"
# Station ids the server keeps for itself: "console" is the pseudo-station under which events
# made on the server (ops console, API, CLI) get their sequence numbers. A real station by that
# name would share (and break) that sequence, so none may be issued or configured. Compared
# without regard to case, as people read them.
RESERVED_STATION_IDS = frozenset({"console"})
DEVICE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
# A UUID in canonical lowercase form, or a ULID (Crockford base32, 26 characters).
EVENT_ID_PATTERN = (
    r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|[0-7][0-9A-HJKMNP-TV-Z]{25})$"
)
TAG_UID_PATTERN = r"^[0-9A-Z]{24}$"
# Batch ids, harvest batch names, locations and strains: printable, no control characters.
NAME_PATTERN = r"^[^\x00-\x1f\x7f\s](?:[^\x00-\x1f\x7f]*[^\x00-\x1f\x7f\s])?$"

LicenceNumber = Annotated[str, StringConstraints(pattern=LICENCE_PATTERN)]
StationId = Annotated[str, StringConstraints(pattern=STATION_PATTERN)]
UserId = Annotated[str, StringConstraints(pattern=USER_PATTERN)]
DeviceId = Annotated[str, StringConstraints(pattern=DEVICE_PATTERN)]
EventId = Annotated[str, StringConstraints(pattern=EVENT_ID_PATTERN)]
TagUid = Annotated[str, StringConstraints(pattern=TAG_UID_PATTERN)]
# Names are taken as written: leading or trailing blanks are refused by the pattern below
# rather than silently stripped, so "B-17" and "B-17 " can never be two batches.
BatchId = Annotated[str, StringConstraints(pattern=NAME_PATTERN, min_length=1, max_length=64)]
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(pattern=NAME_PATTERN, min_length=1, max_length=500)]


def new_event_id() -> str:
    """Return a new UUIDv7 (RFC 9562) as a canonical lowercase string.

    Time-ordered ids keep database index inserts local (see ``docs/platform-facts.md``): the first
    48 bits are the Unix time in milliseconds, then the version and variant bits, then 74
    random bits.
    """
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= ((rand >> 68) & 0xFFF) << 64  # rand_a, 12 bits
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & ((1 << 62) - 1)  # rand_b, 62 bits
    return str(uuid.UUID(int=value))
