"""The durable outbox: every event is on disk before it is published, until the server acks it.

SQLite in WAL mode with ``synchronous=FULL`` (a commit survives a power cut, not only a
crash), one connection used under a lock: one writer. Tables::

    events(sequence INTEGER PRIMARY KEY, event_id TEXT UNIQUE, kind TEXT, body BLOB,
           created_at TEXT, refused TEXT NULL)
    meta(key TEXT PRIMARY KEY, value TEXT)      -- JSON values; 'next_sequence', access state

Guarantees:

* :meth:`Outbox.append` gives the event its ``event_id`` and the next station ``sequence``
  and commits it, and the counter, in one transaction. The stored ``body`` is the exact JSON
  that is published, every time (a resend is byte-identical, so the server never sees
  EVENT-ID-CONFLICT from us). A crash before the commit leaves no trace and no gap; after it,
  the event is sent after restart.
* An event leaves only through :meth:`remove`, called when the server's ack for its
  ``event_id`` arrives, never on the broker's PUBACK.
* The outbox never drops: when :attr:`depth` reaches ``capacity``, :meth:`append` raises
  :class:`OutboxFull` (the station refuses new work and says why) instead of discarding;
  :meth:`filling` says when the warning level is passed.
* An event the server refuses on contract grounds (it will refuse it again, unchanged) is
  marked ``refused`` with the reason and kept; it is not resent. It needs a person.
"""

import json
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from edge.crash import crash_point
from schemas.clock import Clock
from schemas.events import EventEnvelope
from schemas.ids import new_event_id

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    sequence INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    body BLOB NOT NULL,
    created_at TEXT NOT NULL,
    refused TEXT
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class OutboxError(Exception):
    """The outbox could not do what was asked."""


class OutboxFull(OutboxError):
    """The outbox holds ``capacity`` events; nothing new is accepted until acks arrive."""


@dataclass(frozen=True, slots=True)
class Entry:
    sequence: int
    event_id: str
    kind: str
    body: bytes
    created_at: datetime
    refused: str | None = None

    def envelope(self) -> EventEnvelope:
        return EventEnvelope.model_validate_json(self.body)


class Outbox:
    def __init__(
        self, path: Path, *, clock: Clock, capacity: int = 100_000, warn_ratio: float = 0.8
    ) -> None:
        self.path = path
        self.clock = clock  # stamps created_at: when the station recorded the event
        self.capacity = capacity
        self.warn_at = max(1, int(capacity * warn_ratio))
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
        except sqlite3.Error as err:
            raise OutboxError(f"cannot open the outbox {path}: {err}") from err
        self._lock = threading.Lock()
        self._depth = self._count()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writing ---------------------------------------------------------------------------

    def append(
        self,
        build: Callable[[str, int], EventEnvelope],
        *,
        meta: Callable[[EventEnvelope], dict[str, Any]] | None = None,
        over_capacity: bool = False,
    ) -> EventEnvelope:
        """Make and store one event: ``build(event_id, sequence)`` returns the envelope.

        ``meta(event)`` returns entries written in the same transaction (state that must
        change with this event, such as the loss-of-access record). ``over_capacity``: the
        station's own compliance records (loss of access) are stored even when full.
        Raises OutboxFull at capacity, and whatever ``build`` raises (nothing is stored then,
        and no number is used up)."""
        with self._lock:
            if self._depth >= self.capacity and not over_capacity:
                raise OutboxFull(
                    f"the outbox holds {self._depth} unsent events (capacity {self.capacity})"
                )
            sequence = int(self._meta("next_sequence", 1))
            event = build(new_event_id(), sequence)
            if event.sequence != sequence:
                raise OutboxError(f"built event has sequence {event.sequence}, not {sequence}")
            body = event.model_dump_json().encode()
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(
                    "INSERT INTO events (sequence, event_id, kind, body, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (sequence, event.event_id, event.kind, body, self.clock.now().isoformat()),
                )
                self._set_meta("next_sequence", sequence + 1)
                for key, value in (meta(event) if meta is not None else {}).items():
                    self._set_meta(key, value)
                self._db.execute("COMMIT")
            except sqlite3.Error as err:
                self._rollback()
                raise OutboxError(f"cannot write to the outbox {self.path}: {err}") from err
            self._depth += 1
        crash_point("after_write", sequence)
        return event

    def remove(self, event_id: str) -> Entry | None:
        """The server decided ``event_id``: forget it. Returns the entry, or None if unknown
        (an ack for an event removed already: a duplicate ack)."""
        with self._lock:
            entry = self._get(event_id)
            if entry is None:
                return None
            self._db.execute("DELETE FROM events WHERE event_id = ?", (event_id,))
            self._depth -= 1
            return entry

    def refuse(self, event_id: str, reason: str) -> None:
        """Mark an event the server refuses as it is; it stays, and is no longer sent."""
        with self._lock:
            self._db.execute("UPDATE events SET refused = ? WHERE event_id = ?", (reason, event_id))

    def set_meta(self, key: str, value: Any) -> None:
        with self._lock:
            self._set_meta(key, value)

    # -- reading ---------------------------------------------------------------------------

    def pending(self, limit: int, after_sequence: int = 0) -> list[Entry]:
        """Up to ``limit`` unrefused events with sequence > ``after_sequence``, in order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT sequence, event_id, kind, body, created_at, refused FROM events "
                "WHERE sequence > ? AND refused IS NULL ORDER BY sequence LIMIT ?",
                (after_sequence, limit),
            ).fetchall()
        return [_entry(row) for row in rows]

    def refused(self) -> list[Entry]:
        with self._lock:
            rows = self._db.execute(
                "SELECT sequence, event_id, kind, body, created_at, refused FROM events "
                "WHERE refused IS NOT NULL ORDER BY sequence"
            ).fetchall()
        return [_entry(row) for row in rows]

    def refused_count(self) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT count(*) FROM events WHERE refused IS NOT NULL"
            ).fetchone()
        return int(row[0])

    def get(self, event_id: str) -> Entry | None:
        with self._lock:
            return self._get(event_id)

    def count_waiting(self, exclude: str | None = None) -> int:
        """Events waiting to be entered (not refused), not counting ``exclude``."""
        with self._lock:
            row = self._db.execute(
                "SELECT count(*) FROM events WHERE refused IS NULL AND event_id IS NOT ?",
                (exclude,),
            ).fetchone()
        return int(row[0])

    def meta(self, key: str, default: Any = None) -> Any:
        with self._lock:
            return self._meta(key, default)

    @property
    def depth(self) -> int:
        """Events not yet acknowledged by the server (refused ones included)."""
        return self._depth

    @property
    def filling(self) -> bool:
        """From the warning level up (full included)."""
        return self._depth >= self.warn_at

    @property
    def full(self) -> bool:
        """At capacity: new work is refused until acks make room."""
        return self._depth >= self.capacity

    @property
    def next_sequence(self) -> int:
        return int(self.meta("next_sequence", 1))

    # -- internals -------------------------------------------------------------------------

    def _count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM events").fetchone()[0])

    def _get(self, event_id: str) -> Entry | None:
        row = self._db.execute(
            "SELECT sequence, event_id, kind, body, created_at, refused FROM events "
            "WHERE event_id = ?",
            (event_id,),
        ).fetchone()
        return None if row is None else _entry(row)

    def _meta(self, key: str, default: Any) -> Any:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def _set_meta(self, key: str, value: Any) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    def _rollback(self) -> None:
        try:
            self._db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # no transaction was open: BEGIN itself failed


def _entry(row: tuple[Any, ...]) -> Entry:
    return Entry(
        sequence=int(row[0]),
        event_id=str(row[1]),
        kind=str(row[2]),
        body=bytes(row[3]),
        created_at=datetime.fromisoformat(row[4]),
        refused=row[5],
    )
