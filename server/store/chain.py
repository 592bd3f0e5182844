"""The hash chain of the event log: each licensee's rows linked by SHA-256 (NO-FALSIFICATION,
RETAIN-7Y). Pure functions, no database: the ingest calls :func:`link` on the rows it is about
to write, ``seedtrace db verify`` (:mod:`server.store.verify`) calls :func:`row_hash` on the
rows it reads back.

A licensee's rows form one chain in the order they were decided (``chain_index`` 1, 2, 3, ...).
Each row stores the hash of the row before it (``prev_hash``; the first row's is
:data:`GENESIS`) and its own hash (``row_hash``)::

    row_hash = hex(SHA-256(encode(row, prev_hash)))

**Byte encoding** (``docs/integrity.md`` documents it for anyone re-implementing a verifier):

- the ASCII tag ``seedtrace/event_log/v1`` followed by one zero byte;
- ``prev_hash`` as its 64 lower-case hex ASCII characters;
- then each column of :data:`COLUMNS`, in that order, as one field: a NULL is the single byte
  ``0x00``; a value is the byte ``0x01``, its UTF-8 text's length in bytes as a 4-byte
  big-endian unsigned integer, then that text.

A value's text: a string as stored; an integer in decimal ASCII (``-`` for a negative); a
time in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (always six fraction digits: both databases
keep microseconds). ``position`` (the database's row key) is not hashed: it is assigned by
the database after the hash is computed; the order is fixed by ``chain_index`` and
``prev_hash`` instead.

Failure modes: :func:`encode` raises ValueError for a time without a zone or a value of a
type the encoding does not define, rather than hash something a verifier could not
reproduce.
"""

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

TAG = b"seedtrace/event_log/v1\x00"
GENESIS = "0" * 64  # the prev_hash of a licensee's first row
COLUMNS = (
    "licence",
    "chain_index",
    "event_id",
    "station_id",
    "sequence",
    "kind",
    "operator_id",
    "device_id",
    "occurred_at",
    "received_at",
    "outcome",
    "violations",
    "body",
    "body_sha256",
)


@dataclass(frozen=True, slots=True)
class Head:
    """The last row of a licensee's chain: its index (0 when the chain is empty) and hash."""

    index: int
    hash: str


EMPTY = Head(0, GENESIS)


@dataclass(frozen=True, slots=True)
class Link:
    """What :func:`link` adds to a row: the columns ``chain_index``, ``prev_hash``, ``row_hash``."""

    chain_index: int
    prev_hash: str
    row_hash: str


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if type(value) is int:  # not a bool
        return str(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        utc = value.astimezone(UTC)
        if utc.year >= 1000:
            # isoformat's first 26 characters are strftime's "%Y-%m-%dT%H:%M:%S.%f" from
            # year 1000 on (one C call instead of strftime's format parsing: this runs for
            # each time of each row the ingest appends). %Y does not pad earlier years.
            return utc.isoformat(timespec="microseconds")[:26] + "Z"
    if isinstance(value, bool):  # a bool is an int to Python; no column holds one
        raise ValueError(f"{value!r}: the chain's encoding has no booleans")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{value!r} has no time zone; the chain hashes UTC times only")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    raise ValueError(f"{value!r}: the chain's encoding does not define {type(value).__name__}")


def encode(row: Mapping[str, Any], prev_hash: str) -> bytes:
    """The bytes hashed for ``row`` (a mapping with every name of :data:`COLUMNS`)."""
    return _encode(row, row["chain_index"], prev_hash)


def _encode(row: Mapping[str, Any], chain_index: int, prev_hash: str) -> bytes:
    """:func:`encode` with ``chain_index`` given apart from ``row`` (:func:`link` does not
    copy each row to add it)."""
    if len(prev_hash) != 64:
        raise ValueError(f"prev_hash {prev_hash!r} is not 64 hex characters")
    parts = [TAG, prev_hash.encode("ascii")]
    add = parts.append
    for name in COLUMNS:
        value = chain_index if name == "chain_index" else row[name]
        if value is None:
            add(b"\x00")
            continue
        data = (value if type(value) is str else _text(value)).encode("utf-8")
        size = len(data)
        add(_PRESENT[size] if size < _SHORT else _present(size))
        add(data)
    return b"".join(parts)


def _present(length: int) -> bytes:
    """The marker of a present value and its length: ``0x01`` and 4 bytes big-endian."""
    return b"\x01" + length.to_bytes(4, "big")


_SHORT = 4096
_PRESENT = [_present(n) for n in range(_SHORT)]  # built once: most values are short


def row_hash(row: Mapping[str, Any], prev_hash: str) -> str:
    """The hex SHA-256 of :func:`encode`."""
    return hashlib.sha256(encode(row, prev_hash)).hexdigest()


def link(head: Head, rows: Sequence[Mapping[str, Any]]) -> tuple[list[Link], Head]:
    """Chain ``rows`` (one licensee's, in decision order, without ``chain_index``) after
    ``head``: the links to store with each row, and the new head."""
    links: list[Link] = []
    for row in rows:
        index = head.index + 1
        digest = hashlib.sha256(_encode(row, index, head.hash)).hexdigest()
        links.append(Link(index, head.hash, digest))
        head = Head(index, digest)
    return links, head
