"""A simulator's own database: SQLite, one file per simulator, nothing shared with ours.

The state system's view of each licence is kept as **objects**: a row per plant, plant batch,
harvest, package, tag, location, transfer, receipt or waste record, with the licence it belongs
to, its ``kind``, a ``key`` the state looks it up by (a tag label, a batch or harvest name),
whether it is active, when it was last modified (on the simulator's injected clock) and, for
BioTrack, the transaction that last changed it. Its fields are a JSON document in the state
API's own field names, so what a GET returns is what was stored.

``records`` hold everything else by scope and key: users and their keys, sessions, used
nonces with their stored answers. ``counters`` hand out ids.

Times are stored as fixed-width UTC text (``2026-12-05T12:00:00.000000Z``) so that text order
is time order. All access goes through :meth:`SimStore.transaction`, which holds one lock and
one SQLite transaction: the simulated state system behaves like one serialised database.
"""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from server.statesync.wire import dumps, loads

__all__ = ["SimObject", "SimStore", "parse_stamp", "stamp"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    id INTEGER PRIMARY KEY,
    licence TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    active INTEGER NOT NULL,
    modified TEXT NOT NULL,
    tx INTEGER,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_key ON objects (licence, kind, key);
CREATE INDEX IF NOT EXISTS objects_modified ON objects (licence, kind, modified);
CREATE INDEX IF NOT EXISTS objects_tx ON objects (licence, tx);
CREATE TABLE IF NOT EXISTS records (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


def stamp(at: datetime) -> str:
    """Fixed-width UTC text for ``at`` (which must be aware)."""
    if at.tzinfo is None:
        raise ValueError(f"a stored time must be timezone-aware; got {at.isoformat()}")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_stamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@dataclass
class SimObject:
    id: int
    licence: str
    kind: str
    key: str
    active: bool
    modified: datetime
    tx: int | None
    data: dict[str, Any]


class SimStore:
    """The objects, records and counters of one simulator, in the SQLite file ``path``."""

    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.RLock()
        self._depth = 0

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self, *, commit: bool = True) -> Iterator["SimStore"]:
        """One serialised transaction; rolled back on an exception, or when ``commit`` is
        False (BioTrack's training mode: checked and answered, never kept). Nested uses join
        the outer transaction."""
        with self._lock:
            if self._depth > 0:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT" if commit else "ROLLBACK")
            finally:
                self._depth = 0

    # -- objects ---------------------------------------------------------------------------

    def insert(
        self,
        licence: str,
        kind: str,
        key: str,
        data: dict[str, Any],
        now: datetime,
        *,
        obj_id: int | None = None,
        tx: int | None = None,
    ) -> int:
        cur = self._db.execute(
            "INSERT INTO objects (id, licence, kind, key, active, modified, tx, data)"
            " VALUES (?, ?, ?, ?, 1, ?, ?, ?)",
            (obj_id, licence, kind, key, stamp(now), tx, dumps(data).decode()),
        )
        if cur.lastrowid is None:
            raise RuntimeError("SQLite returned no row id for an insert")
        return cur.lastrowid

    def update(
        self,
        obj: SimObject,
        now: datetime,
        *,
        active: bool | None = None,
        key: str | None = None,
        tx: int | None = None,
    ) -> None:
        """Store ``obj.data`` (changed by the caller) and mark the object modified now."""
        obj.active = obj.active if active is None else active
        obj.key = obj.key if key is None else key
        obj.modified = now
        obj.tx = obj.tx if tx is None else tx
        self._db.execute(
            "UPDATE objects SET key = ?, active = ?, modified = ?, tx = ?, data = ? WHERE id = ?",
            (obj.key, int(obj.active), stamp(now), obj.tx, dumps(obj.data).decode(), obj.id),
        )

    def find(
        self, licence: str, kind: str, key: str, *, active_only: bool = True
    ) -> SimObject | None:
        """The (newest) object of ``kind`` with ``key``; only active ones unless told."""
        sql = "SELECT * FROM objects WHERE licence = ? AND kind = ? AND key = ?"
        if active_only:
            sql += " AND active = 1"
        row = self._db.execute(sql + " ORDER BY id DESC LIMIT 1", (licence, kind, key)).fetchone()
        return None if row is None else _obj(row)

    def get(self, licence: str, kind: str, obj_id: int) -> SimObject | None:
        row = self._db.execute(
            "SELECT * FROM objects WHERE licence = ? AND kind = ? AND id = ?",
            (licence, kind, obj_id),
        ).fetchone()
        return None if row is None else _obj(row)

    def query(
        self,
        licence: str,
        kinds: tuple[str, ...],
        *,
        active: bool | None = None,
        where: dict[str, Any] | None = None,
        modified_from: datetime | None = None,
        modified_to: datetime | None = None,
        tx_from: int | None = None,
        tx_to: int | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> tuple[list[SimObject], int]:
        """Objects of ``kinds`` matching the filters, oldest first, and how many match.

        ``where`` compares top-level JSON fields for equality (``{"GrowthPhase": "Flowering"}``).
        """
        clauses = ["licence = ?", f"kind IN ({','.join('?' * len(kinds))})"]
        args: list[Any] = [licence, *kinds]
        if active is not None:
            clauses.append("active = ?")
            args.append(int(active))
        for name, value in (where or {}).items():
            clauses.append("json_extract(data, ?) = ?")
            args += [f"$.{name}", value]
        if modified_from is not None:
            clauses.append("modified >= ?")
            args.append(stamp(modified_from))
        if modified_to is not None:
            clauses.append("modified <= ?")
            args.append(stamp(modified_to))
        if tx_from is not None:
            clauses.append("tx >= ?")
            args.append(tx_from)
        if tx_to is not None:
            clauses.append("tx <= ?")
            args.append(tx_to)
        sql_where = " WHERE " + " AND ".join(clauses)
        total = self._db.execute("SELECT count(*) FROM objects" + sql_where, args).fetchone()[0]
        sql = "SELECT * FROM objects" + sql_where + " ORDER BY id"
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        rows = self._db.execute(sql, args).fetchall()
        return [_obj(r) for r in rows], int(total)

    # -- records and counters --------------------------------------------------------------

    def put_record(self, scope: str, key: str, data: Any) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO records (scope, key, data) VALUES (?, ?, ?)",
            (scope, key, dumps(data).decode()),
        )

    def get_record(self, scope: str, key: str) -> Any | None:
        row = self._db.execute(
            "SELECT data FROM records WHERE scope = ? AND key = ?", (scope, key)
        ).fetchone()
        return None if row is None else loads(row[0].encode())

    def next_value(self, name: str, first: int) -> int:
        """The next value of counter ``name``: ``first``, then ``first + 1``, ..."""
        row = self._db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        value = first if row is None else int(row[0]) + 1
        self._db.execute(
            "INSERT OR REPLACE INTO counters (name, value) VALUES (?, ?)", (name, value)
        )
        return value

    def current_value(self, name: str) -> int | None:
        row = self._db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        return None if row is None else int(row[0])


def _obj(row: tuple[Any, ...]) -> SimObject:
    obj_id, licence, kind, key, active, modified, tx, data = row
    return SimObject(
        id=int(obj_id),
        licence=licence,
        kind=kind,
        key=key,
        active=bool(active),
        modified=parse_stamp(modified),
        tx=None if tx is None else int(tx),
        data=loads(data.encode()),
    )
