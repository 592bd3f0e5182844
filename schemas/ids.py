"""Identifier formats and the event id generator.

Every identifier that travels in an MQTT topic (licence, station) is restricted to characters
that are safe in a topic level: no ``/``, ``+``, ``#`` or whitespace. Plant UIDs follow the
Metrc-style tag: 24 characters ``[0-9A-Z]`` (a 96-bit EPC printed as 24 hex digits fits too).
"""

from datetime import datetime
from typing import Annotated

import uuid_utils
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


def new_event_id(at: datetime | None = None) -> str:
    """Return a new UUIDv7 (RFC 9562) as a canonical lowercase string (``uuid-utils``).

    Time-ordered ids keep database index inserts local (see ``docs/platform-facts.md``): the
    first 48 bits are the Unix time in milliseconds, then the version and variant bits, then
    random bits (the library keeps ids made in the same millisecond in order).

    The time bits say nothing a person reads (the event's ``occurred_at`` is the record of
    when, from the injected clock), so by default they come from the machine's clock, which
    keeps ids in creation order even where a test pins the injected clock. Give ``at`` (an
    aware datetime) to stamp them from a clock of your own. Raises ValueError for a naive
    ``at`` or one before 1970.
    """
    if at is None:
        return str(uuid_utils.uuid7())
    if at.tzinfo is None:
        raise ValueError(f"new_event_id: {at!r} has no time zone")
    seconds = int(at.timestamp())
    if seconds < 0:
        raise ValueError(f"new_event_id: {at.isoformat()} is before 1970")
    nanoseconds = seconds * 1_000_000_000 + at.microsecond * 1000
    return str(uuid_utils.uuid7(nanoseconds=nanoseconds))
