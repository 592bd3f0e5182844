"""Exactly-once and per-station order for one ingest batch, read once and written once.

:class:`Ledger` answers, for the events of one batch, the questions the pipeline asks of every
event (is its ``event_id`` in the log, or held? which sequence does its station expect? what
is held after it?) from three queries made when the batch starts, under the licensees' locks:

- the log rows of the batch's ``event_id`` s (and the notices their acks carried);
- the held events of the batch's ``event_id`` s and of the batch's stations: usually none, so
  a station with nothing held costs nothing more;
- the ``stations`` rows of the batch's stations;
- the head of each licensee's hash chain (:mod:`server.store.chain`), read under the lock, so
  the rows this batch appends continue the chain the previous holder committed.

Then it keeps the batch's own changes in memory (log rows to append, events held and released,
stations' next sequence) and writes them with one multi-row statement per table:
:meth:`Ledger.log_steps` (log rows and their items' index rows: :mod:`server.store.items`)
whenever the pipeline needs the database current, :meth:`Ledger.finish_steps` (held rows,
stations) once at the end. Reads and writes are :class:`~server.db.pipelined.Step` s, so
the pipeline sends them together with its others.
"""

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from schemas.acks import Outcome, Violation
from schemas.events import EventEnvelope
from server.db.bulk import BulkInsert, BulkUpdate
from server.db.core_tables import EVENT_LOG as L
from server.db.core_tables import EVENT_NOTICES as NOTICES
from server.db.core_tables import HELD_EVENTS as HELD
from server.db.core_tables import LICENSEES as LIC
from server.db.core_tables import STATIONS as ST
from server.db.pipelined import MATCH, Match, Step
from server.ingest.parse import Parsed
from server.store import chain, items


@dataclass(frozen=True, slots=True)
class _Reads:
    logged: sa.Select[Any]
    notices: sa.Select[Any]
    held: sa.Select[Any]
    stations: sa.Select[Any]
    heads: sa.Select[Any]


def _heads(match: Match) -> sa.Select[Any]:
    """Each licensee's last chained row. The max is correlated per licensee so both databases
    answer it from the (licence, chain_index) index with one probe, however long the log."""
    own = L.alias("own")
    last = (
        sa.select(sa.func.max(own.c.chain_index))
        .where(own.c.licence == LIC.c.licence)
        .correlate(LIC)
        .scalar_subquery()
    )
    return (
        sa.select(LIC.c.licence, L.c.chain_index, L.c.row_hash)
        .select_from(LIC.join(L, sa.and_(L.c.licence == LIC.c.licence, L.c.chain_index == last)))
        .where(match(LIC.c.licence, "licences"))
    )


def _reads(match: Match) -> _Reads:
    return _Reads(
        sa.select(
            L.c.event_id, L.c.body_sha256, L.c.outcome, L.c.violations, L.c.received_at
        ).where(match(L.c.event_id, "ids")),
        sa.select(NOTICES.c.event_id, NOTICES.c.notices).where(match(NOTICES.c.event_id, "ids")),
        sa.select(
            HELD.c.licence,
            HELD.c.station_id,
            HELD.c.sequence,
            HELD.c.event_id,
            HELD.c.body,
            HELD.c.body_sha256,
            HELD.c.received_at,
        ).where(
            sa.or_(
                match(HELD.c.event_id, "ids"),
                sa.and_(match(HELD.c.licence, "licences"), match(HELD.c.station_id, "stations")),
            )
        ),
        sa.select(ST.c.licence, ST.c.station_id, ST.c.next_sequence).where(
            match(ST.c.licence, "licences"), match(ST.c.station_id, "stations")
        ),
        _heads(match),
    )


READS = {dialect: _reads(match) for dialect, match in MATCH.items()}
USED_BY = sa.select(L.c.event_id).where(
    L.c.licence == sa.bindparam("licence"),
    L.c.station_id == sa.bindparam("station_id"),
    L.c.sequence == sa.bindparam("sequence"),
)
LOG_INSERT = BulkInsert(L)
LOG_INSERT_RETURNING = L.insert().returning(L.c.event_id, L.c.position)
HELD_INSERT = BulkInsert(HELD)
HELD_DELETE = HELD.delete().where(
    HELD.c.licence == sa.bindparam("k_licence"),
    HELD.c.station_id == sa.bindparam("k_station_id"),
    HELD.c.sequence == sa.bindparam("k_sequence"),
)
STATION_INSERT = BulkInsert(ST)
STATION_UPDATE = BulkUpdate(ST, "licence", "station_id")

StationKey = tuple[str, str]  # (licence, station_id)


@dataclass(frozen=True, slots=True)
class Logged:
    """An event in the log (or appended by this batch): what a duplicate is answered with."""

    sha256: str
    outcome: Outcome
    violations: list[Violation]
    notices: list[Violation]
    received_at: datetime


@dataclass(slots=True)
class Held:
    """An event waiting for an earlier sequence of its station. ``stored``: it has a row in
    ``held_events`` (held by an earlier batch)."""

    event_id: str
    sha256: str
    stored: bool
    parsed: Parsed | None = None  # parsed when released (a stored one arrives as text)
    body: str = ""
    received_at: datetime | None = None

    def release(self) -> Parsed:
        if self.parsed is None:
            assert self.received_at is not None
            envelope = EventEnvelope.model_validate_json(self.body)
            self.parsed = Parsed(envelope, self.body, self.sha256, self.received_at)
        return self.parsed


@dataclass(slots=True)
class StationState:
    next_sequence: int
    stored: bool  # a ``stations`` row exists
    changed: bool = False
    last_event_at: datetime | None = None
    held: dict[int, Held] = field(default_factory=dict)


def _violations(text: str) -> list[Violation]:
    return [Violation.model_validate(v) for v in json.loads(text)]


def _json(violations: list[Violation]) -> str:
    return json.dumps([v.model_dump(mode="json") for v in violations])


class Ledger:
    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.logged: dict[str, Logged] = {}
        self.held_ids: dict[str, Held] = {}
        self.stations: dict[StationKey, StationState] = {}
        self.sequences: dict[tuple[str, str, int], str] = {}  # this batch's (station, seq) -> id
        self.positions: dict[str, int] = {}
        self.heads: dict[str, chain.Head] = {}  # licence -> its chain's head, this batch's own
        self._log_rows: list[dict[str, Any]] = []
        self._released: list[tuple[str, str, int]] = []
        self._wanted: set[StationKey] = set()

    def read_steps(
        self, event_ids: Collection[str], stations: Collection[StationKey]
    ) -> list[Step]:
        """The reads of this batch's log rows, held events and stations (run them, then pass
        the results to :meth:`took`)."""
        reads = READS[self.conn.dialect.name]
        wanted = set(stations)
        self._wanted = wanted
        params = {
            "ids": sorted(set(event_ids)) or [""],
            "licences": sorted({s[0] for s in wanted}) or [""],
            "stations": sorted({s[1] for s in wanted}) or [""],
        }
        return [
            Step(reads.logged, {"ids": params["ids"]}, rows=True),
            Step(reads.stations, {k: params[k] for k in ("licences", "stations")}, rows=True),
            Step(reads.held, params, rows=True),
            Step(reads.heads, {"licences": params["licences"]}, rows=True),
        ]

    def took(self, results: list[list[tuple[Any, ...]]]) -> None:
        """Keep what :meth:`read_steps` read; reads the notices of logged events (another
        query, only when some of the batch's events are already in the log)."""
        logged, stations, held_rows, heads = results
        for licence, index, digest in heads:
            self.heads[licence] = chain.Head(int(index), digest)
        notices: dict[str, list[Violation]] = {}
        if logged:
            reads = READS[self.conn.dialect.name]
            found = self.conn.execute(reads.notices, {"ids": [r[0] for r in logged]})
            notices = {event_id: _violations(text) for event_id, text in found}
        for event_id, sha256, outcome, violations, received_at in logged:
            self.logged[event_id] = Logged(
                sha256,
                Outcome(outcome),
                _violations(violations),
                notices.get(event_id, []),
                received_at,
            )
        for licence, station_id, next_sequence in stations:
            if (licence, station_id) in self._wanted:
                self.stations[(licence, station_id)] = StationState(int(next_sequence), True)
        for licence, station_id, sequence, event_id, body, sha256, received_at in held_rows:
            held = Held(event_id, sha256, True, None, body, received_at)
            self.held_ids[event_id] = held
            # Found by its id only (the same id on another station's event): it is known,
            # but its station is not one this batch reads or writes.
            if (licence, station_id) in self._wanted:
                self.station(licence, station_id).held[int(sequence)] = held

    def station(self, licence: str, station_id: str) -> StationState:
        """The station's state; a station seen for the first time expects sequence 1."""
        key = (licence, station_id)
        if key not in self.stations:
            self.stations[key] = StationState(1, False)
        return self.stations[key]

    def used_by(self, licence: str, station_id: str, sequence: int) -> str | None:
        """The event that used ``sequence`` of the station."""
        local = self.sequences.get((licence, station_id, sequence))
        if local is not None:
            return local
        params = {"licence": licence, "station_id": station_id, "sequence": sequence}
        found = self.conn.execute(USED_BY, params).scalar_one_or_none()
        return None if found is None else str(found)

    def hold(self, parsed: Parsed, station: StationState) -> None:
        held = Held(parsed.envelope.event_id, parsed.sha256, False, parsed)
        station.held[parsed.envelope.sequence] = held
        self.held_ids[held.event_id] = held

    def take(self, licence: str, station_id: str, sequence: int) -> Parsed | None:
        """The event held at ``sequence`` of the station, no longer held; None if none is."""
        held = self.station(licence, station_id).held.pop(sequence, None)
        if held is None:
            return None
        del self.held_ids[held.event_id]
        if held.stored:
            self._released.append((licence, station_id, sequence))
        return held.release()

    def append(
        self,
        parsed: Parsed,
        outcome: Outcome,
        violations: list[Violation],
        notices: list[Violation],
    ) -> None:
        """Queue the log row of a decided event (written by :meth:`flush_log`)."""
        ev = parsed.envelope
        self.logged[ev.event_id] = Logged(
            parsed.sha256, outcome, violations, notices, parsed.received_at
        )
        self.sequences[(ev.licence, ev.station_id, ev.sequence)] = ev.event_id
        self._log_rows.append(
            {
                "event_id": ev.event_id,
                "licence": ev.licence,
                "station_id": ev.station_id,
                "sequence": ev.sequence,
                "kind": ev.kind,
                "operator_id": ev.operator_id,
                "device_id": ev.device_id,
                "occurred_at": ev.occurred_at,
                "received_at": parsed.received_at,
                "outcome": outcome.value,
                "violations": _json(violations),
                "body": parsed.body,
                "body_sha256": parsed.sha256,
            }
        )

    def set_notices(self, event_id: str, notices: list[Violation]) -> None:
        old = self.logged[event_id]
        self.logged[event_id] = Logged(
            old.sha256, old.outcome, old.violations, notices, old.received_at
        )

    def log_steps(self, positions: bool) -> list[Step]:
        """The append of the queued log rows, in decision order; with ``positions``, the step
        returns (event_id, position) rows for :meth:`took_positions`."""
        if not self._log_rows:
            return []
        rows, self._log_rows = self._log_rows, []
        self._chain(rows)
        # The item index (server.store.items), by each row's chain_index: one statement more.
        return [
            Step(LOG_INSERT_RETURNING if positions else LOG_INSERT, rows, rows=positions),
            *items.write_steps(rows),
        ]

    def _chain(self, rows: list[dict[str, Any]]) -> None:
        """Add each row's place in its licensee's hash chain, continuing from the head read
        under the licensee's lock (or left by this batch's previous append)."""
        by_licence: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_licence.setdefault(row["licence"], []).append(row)
        for licence, own in by_licence.items():
            links, self.heads[licence] = chain.link(self.heads.get(licence, chain.EMPTY), own)
            for row, link in zip(own, links, strict=True):
                row.update(
                    chain_index=link.chain_index, prev_hash=link.prev_hash, row_hash=link.row_hash
                )

    def took_positions(self, rows: list[tuple[Any, ...]]) -> None:
        for event_id, position in rows:
            self.positions[event_id] = int(position)

    def finish_steps(self) -> list[Step]:
        """The writes of the held events and the stations' sequences (after the log's)."""
        steps: list[Step] = []
        new_held: list[dict[str, Any]] = []
        for (licence, station_id), station in self.stations.items():
            for sequence, held in station.held.items():
                if not held.stored:
                    assert held.parsed is not None
                    new_held.append(
                        {
                            "licence": licence,
                            "station_id": station_id,
                            "sequence": sequence,
                            "event_id": held.event_id,
                            "body": held.parsed.body,
                            "body_sha256": held.sha256,
                            "received_at": held.parsed.received_at,
                        }
                    )
        if self._released:
            released = [
                {"k_licence": lic, "k_station_id": st, "k_sequence": seq}
                for lic, st, seq in self._released
            ]
            steps.append(Step(HELD_DELETE, released))
        if new_held:
            steps.append(Step(HELD_INSERT, new_held))
        inserts: list[dict[str, object]] = []
        updates: list[dict[str, object]] = []
        for (lic, st), s in self.stations.items():
            values = {"next_sequence": s.next_sequence, "last_event_at": s.last_event_at}
            if not s.stored and (s.changed or s.held):
                inserts.append({"licence": lic, "station_id": st, **values})
            elif s.stored and s.changed:
                updates.append({"k_licence": lic, "k_station_id": st, **values})
        if inserts:
            steps.append(Step(STATION_INSERT, inserts))
        if updates:
            steps.append(Step(STATION_UPDATE, updates))
        return steps
