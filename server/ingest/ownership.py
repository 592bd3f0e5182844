"""Licensee ownership on PostgreSQL: each licensee decided by one ingest process at a time.

Design (``docs/architecture.md``, "Licensee ownership"):

- **Lease = a session advisory lock** ``pg_try_advisory_lock(LEASE_CLASS, key(licence))``,
  held by the very connection the process runs its ingest transactions on. The lease lives
  exactly as long as that PostgreSQL session: a process that is killed closes its socket and
  the server ends the session (and frees its leases) at once; a process that freezes stops
  sending its once-a-second lease check, and ``idle_session_timeout`` ends its session after
  ``lease_timeout_s``; a backend waiting on a lock for a dead client notices within a second
  (``client_connection_check_interval``); a host cut off mid-transaction (no FIN, no RST) is
  given up by the kernel after ``lease_timeout_s`` (``tcp_user_timeout`` and keepalives,
  :func:`server.db.engine.dead_peer_settings`; PostgreSQL's idle timeouts alone were seen not
  to end such a session). A process whose session ended finds out on its next
  statement (an OperationalError), drops everything it owned and starts over.
- **Membership**: every ingest process also holds ``(MEMBER_CLASS, its backend pid)``; the
  number of those locks is the number of live ingest processes.
- **Balance**: every ``lease_check_s`` a process reads the licensees and the granted advisory
  locks (one query each, one round trip together), takes free licensees up to its fair share
  (``ceil(licensees / processes)``) and gives back what is over it. Joining processes take
  what others give back, a dead process's licensees are free at once: takeover within
  ``lease_check_s`` of the death being noticed.
- **Keys**: 31 bits of BLAKE2b of the licence. Two licences that share a key share one lease
  (one process decides both), which costs balance, never correctness.

The lease decides *who* processes a licensee; correctness does not rest on it. The ingest
transaction still locks the licensee rows it writes (``FOR UPDATE``), now uncontended between
ingest processes, which also serialises the console's and the API's submissions and the short
overlap while a released licensee's events still reach its previous owner.
"""

import hashlib
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from server.db.engine import dead_peer_settings

log = logging.getLogger("seedtrace.ingest.ownership")

LEASE_CLASS = 0x5EED  # advisory lock key 1: a licensee's lease
MEMBER_CLASS = 0x5EEE  # advisory lock key 1: an ingest process (key 2: its backend pid)


def lease_key(licence: str) -> int:
    """The advisory lock key 2 of ``licence``'s lease: 31 bits, never negative (``pg_locks``
    shows keys as unsigned ``oid`` s)."""
    digest = hashlib.blake2b(licence.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") & 0x7FFFFFFF


LICENSEES = sa.text("SELECT licence FROM licensees")
LOCKS = sa.text(
    "SELECT classid::int, objid::bigint, pid FROM pg_locks"
    " WHERE locktype = 'advisory' AND granted AND objsubid = 2"
    " AND classid::int IN (:lease, :member)"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)
TRY_LOCKS = sa.text(
    "SELECT k, pg_try_advisory_lock(:lease, k::int) FROM unnest(CAST(:keys AS bigint[])) AS k"
)
UNLOCKS = sa.text(
    "SELECT k, pg_advisory_unlock(:lease, k::int) FROM unnest(CAST(:keys AS bigint[])) AS k"
)
JOIN = sa.text("SELECT pg_advisory_lock(:member, pg_backend_pid()), pg_backend_pid()")


def fair_share(licensees: int, members: int) -> int:
    """Leases one process may hold: ``ceil(licensees / members)``, so the members together
    can always hold every licensee."""
    return math.ceil(licensees / max(members, 1))


@dataclass(slots=True)
class Change:
    """What one :meth:`Ownership.tend` changed: licences gained and given back."""

    gained: set[str] = field(default_factory=set)
    released: set[str] = field(default_factory=set)


class Ownership:
    """The leases of one ingest process, on its own connection (:attr:`connection`, which the
    worker also runs the pipeline on), used from the worker's thread. :attr:`owned_keys` and
    :attr:`licences` are replaced, never changed in place, so a reader holding the old set sees
    one consistent set."""

    def __init__(self, engine: Engine, *, lease_timeout_s: float) -> None:
        self.engine = engine
        self.lease_timeout_s = lease_timeout_s
        self._conn: sa.Connection | None = None
        self.pid: int | None = None
        self.owned_keys: set[int] = set()
        self.licences: dict[int, set[str]] = {}  # key -> the licences sharing it
        self.held_elsewhere: set[str] = set()  # licences whose lease another process holds

    @property
    def owned(self) -> set[str]:
        """The licences this process holds the lease of."""
        return {lic for k in self.owned_keys for lic in self.licences.get(k, ())}

    def connection(self) -> sa.Connection:
        """The session that holds the leases; opened (and the process registered as a
        member) on first use or after :meth:`lost`."""
        if self._conn is None:
            conn = self.engine.connect()
            try:
                timeout_ms = int(self.lease_timeout_s * 1000)
                with conn.begin():
                    # Session settings, kept past this transaction: the lease ends with the
                    # session, and these bound how long a stuck or dead process keeps it.
                    conn.exec_driver_sql(f"SET idle_session_timeout = {timeout_ms}")
                    conn.exec_driver_sql(f"SET idle_in_transaction_session_timeout = {timeout_ms}")
                    # A host cut off (no FIN, no RST) mid-transaction: what ends the session.
                    for name, value in dead_peer_settings(self.lease_timeout_s).items():
                        conn.exec_driver_sql(f"SET {name} = {value}")
                    self.pid = int(conn.execute(JOIN, {"member": MEMBER_CLASS}).one()[1])
            except Exception:
                conn.invalidate()
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def lost(self, *, quiet: bool = False) -> set[str]:
        """The session failed (or ended): every lease is gone with it. Returns the licences
        owned until now; the next :meth:`connection` opens a new session."""
        owned = self.owned
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except Exception:  # closing a broken connection: nothing more to do with it
                log.debug("closing the lost lease connection failed", exc_info=True)
            self._conn = None
        self.owned_keys = set()
        if owned and not quiet:
            log.warning("lost the lease connection: gave up %d licensee(s)", len(owned))
        return owned

    def close(self) -> None:
        """Give every lease back (by ending the session)."""
        self.lost(quiet=True)

    def tend(self) -> Change:
        """One balancing step: read the licensees and who holds what, take free licensees up
        to the fair share, give back what is over it. Raises the database's error when the
        session failed (call :meth:`lost` then)."""
        conn = self.connection()
        with conn.begin():
            licences = [str(r[0]) for r in conn.execute(LICENSEES)]
            locks = conn.execute(LOCKS, {"lease": LEASE_CLASS, "member": MEMBER_CLASS}).all()
        by_key: dict[int, set[str]] = {}
        for licence in licences:
            by_key.setdefault(lease_key(licence), set()).add(licence)
        before = self.owned
        self.licences = by_key
        holders = {int(k): int(pid) for cls, k, pid in locks if cls == LEASE_CLASS}
        members = sum(1 for cls, _, _ in locks if cls == MEMBER_CLASS)
        mine = {k for k, pid in holders.items() if pid == self.pid and k in by_key}
        self.held_elsewhere = {
            lic for k, pid in holders.items() if pid != self.pid for lic in by_key.get(k, ())
        }
        share = fair_share(len(by_key), members)
        free = [k for k in by_key if k not in holders]
        if len(mine) < share and free:
            # Processes joining at once try different licensees first: the order is
            # shuffled by this process's id.
            free.sort(key=lambda k: hashlib.blake2b(f"{self.pid}:{k}".encode()).digest())
            mine |= self._try(conn, free[: share - len(mine)])
        elif len(mine) > share:
            extra = sorted(mine)[: len(mine) - share]
            self._give_back(conn, extra)
            mine -= set(extra)
        self.owned_keys = mine
        after = self.owned
        change = Change(after - before, before - after)
        if change.gained or change.released:
            log.info(
                "owns %d licensee(s) (+%d, -%d; %d process(es), %d licensees)",
                len(after),
                len(change.gained),
                len(change.released),
                members,
                len(licences),
            )
        return change

    def _try(self, conn: sa.Connection, keys: Iterable[int]) -> set[int]:
        with conn.begin():
            rows = conn.execute(TRY_LOCKS, {"lease": LEASE_CLASS, "keys": list(keys)}).all()
        return {int(k) for k, got in rows if got}

    def _give_back(self, conn: sa.Connection, keys: Iterable[int]) -> None:
        with conn.begin():
            conn.execute(UNLOCKS, {"lease": LEASE_CLASS, "keys": list(keys)})


@dataclass(frozen=True, slots=True)
class Holders:
    """Who holds which lease right now (:func:`holders`)."""

    owner: dict[str, int]  # licence -> the backend pid of the process that owns it
    licensees: int
    members: int

    @property
    def settled(self) -> bool:
        """Every licensee owned, none by a process over its fair share."""
        counts: dict[int, int] = {}
        for pid in self.owner.values():
            counts[pid] = counts.get(pid, 0) + 1
        share = fair_share(self.licensees, self.members)
        return len(self.owner) == self.licensees and all(n <= share for n in counts.values())


def holders(engine: Engine) -> Holders:
    """The leases as PostgreSQL sees them (for operators, tests and the benchmark)."""
    with engine.connect() as conn:
        licences = [str(r[0]) for r in conn.execute(LICENSEES)]
        locks = conn.execute(LOCKS, {"lease": LEASE_CLASS, "member": MEMBER_CLASS}).all()
    by_key = {int(k): int(pid) for cls, k, pid in locks if cls == LEASE_CLASS}
    owner = {lic: by_key[lease_key(lic)] for lic in licences if lease_key(lic) in by_key}
    members = sum(1 for cls, _, _ in locks if cls == MEMBER_CLASS)
    return Holders(owner, len(licences), members)
