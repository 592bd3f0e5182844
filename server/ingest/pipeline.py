"""Decide, store and answer station events, exactly once and in each station's order.

One call to :meth:`Pipeline.process` handles a batch of messages in **one transaction**, and
is built around round trips, which are what an ingest costs on PostgreSQL
(``docs/performance.md``): a batch reads what it needs once, decides every event in memory,
and writes with one multi-row statement per table.

1. **Licensee lock.** The transaction first locks the row of every licensee in the batch
   (``SELECT ... FOR UPDATE``, in licence order, so two transactions cannot deadlock; SQLite's
   ``BEGIN IMMEDIATE`` already serialises writers); everything else is read after it, so
   it sees what the previous holder committed. Rules read a licensee's whole state (one
   plant, one tag) across stations, so two transactions must not decide events of one
   licensee at once: with the lock, two stations harvesting the same plant leave one
   winner. On PostgreSQL each licensee has one owning ingest process
   (:mod:`server.ingest.ownership`), so the lock is uncontended between ingest processes; it
   serialises the owner with the console's submissions and with a hand-over's overlap.
2. **One read per table.** The batch's log entries, held events and stations
   (:class:`~server.ingest.ledger.Ledger`), then the plants, tags, harvest batches,
   cultivation batches, users and locations its events name
   (:class:`server.store.prefetch.Reads`), each in one query for the whole batch.
3. **Exactly-once.** An ``event_id`` already in the log (or decided earlier in the batch) gets
   its stored decision again (outcome ``duplicate``) and changes nothing; the same
   ``event_id`` with a different body is refused (EVENT-ID-CONFLICT) and stored nowhere.
4. **Per-station order: hold.** Each station's events are applied in sequence order, from 1,
   without gaps. An event ahead of a gap is **held** (``held_events``, committed, so it
   survives a restart and any ingest process can release it) and gets no ack yet; when the
   missing sequence arrives, it and every held successor are applied in order and answered.
   A sequence number below the next expected one with an unknown ``event_id`` is refused
   (SEQUENCE-CONFLICT): the station reused a number. Gaps that stay open are reported by
   :func:`open_gaps`.
5. **Rules, in memory.** Every rule of the licensee's pack (its jurisdiction's,
   :func:`server.compliance.rules.catalogue.pack`) for the event's kind runs against the batch's
   :class:`~server.store.overlay.Overlay` of the licensee, which holds the effect of every
   event decided before it in the batch. An event with any violation is stored as rejected,
   with all its violations, and changes nothing else. Rejected events consume their sequence
   number: the station moves on. A correction that passes its own rules is then decided by
   replaying the licensee's log with the replacement in place
   (:mod:`server.store.corrections`).
6. **Store.** Accepted floor events change the overlay and queue their projection rows; other
   kinds are applied by :mod:`server.store.projections` once the queue is written. The log
   rows, projection rows, held rows and stations' sequences are written with multi-row
   statements and commit together, or not at all.
7. **Deadlines.** After an accepted event, the deadline engine (:mod:`server.compliance.deadlines`)
   opens and resolves notifications in the same transaction; an event that came after its
   deadline is accepted with ``notices`` on its ack (kept, so a duplicate's ack repeats them).

A batch of one (a single scan) takes the same path, with no waiting for company. The caller
publishes the replies only after the commit, and acknowledges the broker after that.
"""

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import repeat
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.acks import Ack, ContractRule, Outcome, Violation
from schemas.clock import Clock
from schemas.events import EventEnvelope, Payload, RecordCorrected
from schemas.ids import new_event_id
from schemas.topics import Channel, topic
from server.compliance.deadlines import DeadlineEngine
from server.compliance.rules import REGISTRY, Rule, evaluate
from server.compliance.rules.calendar import Jurisdiction
from server.compliance.rules.catalogue import pack
from server.compliance.rules.people import CONSOLE_STATION
from server.compliance.rules.state import LicenceState
from server.db import pipelined
from server.db.core import table_of
from server.db.pipelined import MATCH, Match, Step
from server.db.tables import HeldEvent, Licensee, Station
from server.ingest.ledger import Held, Ledger, StationKey
from server.ingest.parse import Parsed, canonical, contract_violation
from server.store import corrections, projections
from server.store.overlay import Overlay, Writes
from server.store.prefetch import Reads, needs
from server.store.state import LICENCE_RECORD

HELD = table_of(HeldEvent)
ST = table_of(Station)
LIC = table_of(Licensee)


def _lock(match: Match) -> sa.Select[Any]:
    """The licensees of a batch, locked."""
    return (
        sa.select(LIC.c.licence, LIC.c.jurisdiction)
        .where(match(LIC.c.licence, "licences"))
        .order_by(LIC.c.licence)
        .with_for_update()
    )


def _licence_records(match: Match) -> sa.Select[Any]:
    """The licences' own records (CLOSED-OUT reads them). A statement of its own, after the
    lock: the lock's statement may have waited for another process's commit, and on
    PostgreSQL it would still return the rows of its other tables as they were before."""
    return LICENCE_RECORD.where(match(LIC.c.licence, "licences"))


LOCK_LICENSEES = {dialect: _lock(match) for dialect, match in MATCH.items()}
LICENCE_RECORDS = {dialect: _licence_records(match) for dialect, match in MATCH.items()}
NEXT_SEQUENCE = sa.select(ST.c.next_sequence).where(
    ST.c.licence == sa.bindparam("licence"), ST.c.station_id == sa.bindparam("station_id")
)


@dataclass(frozen=True, slots=True)
class Reply:
    """An ack to publish on ``topic`` once the transaction has committed."""

    topic: str
    ack: Ack


@dataclass(slots=True)
class BatchResult:
    replies: list[Reply] = field(default_factory=list)
    held: int = 0
    applied: int = 0


@dataclass(frozen=True, slots=True)
class Gap:
    licence: str
    station_id: str
    missing_from: int  # the next sequence the server expects
    held_count: int
    first_held: int
    oldest_received_at: datetime


__all__ = ["CONSOLE_STATION", "BatchResult", "Gap", "Pipeline", "Reply", "open_gaps"]


class _Txn:
    """One ingest transaction: its connection, the licensees it locked, the batch's ledger,
    one overlay per licensee and the projection writes they queued."""

    def __init__(self, conn: sa.Connection, deadlines: DeadlineEngine, now: datetime) -> None:
        self.conn = conn
        self.deadlines = deadlines
        self.now = now  # when the batch began
        self.jurisdictions: dict[str, str] = {}
        self.ledger = Ledger(conn)
        self.writes = Writes()
        self.overlays: dict[str, Overlay] = {}

    def load(self, events: list[Parsed], stations: Iterable[StationKey] = ()) -> None:
        """Lock the events' licensees and read everything the batch needs, in one round trip
        on PostgreSQL: their licence records, the ledger (log rows, held events, stations),
        every row the events name (one query per table) and what the deadline engine reads
        once per batch. Rows named by the held events the batch releases come in a second
        read, when there are any."""
        envelopes = [p.envelope for p in events]
        wanted = {(ev.licence, ev.station_id) for ev in envelopes} | set(stations)
        licences = sorted({ev.licence for ev in envelopes} | {s[0] for s in wanted})
        dialect, by_licence = self.conn.dialect.name, {"licences": licences}
        lock = Step(LOCK_LICENSEES[dialect], by_licence, rows=True)
        records = Step(LICENCE_RECORDS[dialect], by_licence, rows=True)
        ledger = self.ledger.read_steps([ev.event_id for ev in envelopes], wanted)
        deadlines = self.deadlines.batch_reads(dialect, licences, self.now)
        prefetch = self._prefetch_reads(envelopes)
        steps = [lock, records, *ledger, *deadlines, *prefetch.steps]
        results = pipelined.run(self.conn, steps)
        self.jurisdictions = {licence: jurisdiction for licence, jurisdiction in results[0]}
        for row in results[1]:
            if row[0] in self.jurisdictions:
                self.overlays[row[0]] = Overlay(
                    self.conn, row[0], self.writes, self.flush, LicenceState(*row)
                )
        after_ledger = 2 + len(ledger)
        self.ledger.took(results[2:after_ledger])
        self.deadlines.batch_read(
            self.conn, licences, results[after_ledger : after_ledger + len(deadlines)]
        )
        self._remember(prefetch, results[after_ledger + len(deadlines) :])
        released = self._releasable(envelopes)
        if released:
            self.prefetch([h.release().envelope for h in released])

    def _releasable(self, envelopes: list[EventEnvelope]) -> list[Held]:
        """The held events this batch's events will release: from each station's next
        sequence on, as long as the batch or the held events have the next one. (A station
        with a gap still open keeps its other held events unparsed.)"""
        coming: dict[StationKey, set[int]] = {}
        for ev in envelopes:
            coming.setdefault((ev.licence, ev.station_id), set()).add(ev.sequence)
        out: list[Held] = []
        for key, station in self.ledger.stations.items():
            if not station.held:
                continue
            arriving, sequence = coming.get(key, set()), station.next_sequence
            while sequence in arriving or sequence in station.held:
                if sequence in station.held:
                    out.append(station.held[sequence])
                sequence += 1
        return out

    def _prefetch_reads(self, envelopes: Iterable[EventEnvelope]) -> Reads:
        keys: dict[str, set[tuple[str, str]]] = {}
        for ev in envelopes:
            for table, names in needs(ev).items():
                if names:  # most tables are not named by an event: skip their empty sets
                    keys.setdefault(table, set()).update(zip(repeat(ev.licence), names))
        return Reads.of(self.conn.dialect.name, keys)

    def _remember(self, reads: Reads, results: list[list[tuple[Any, ...]]]) -> None:
        for table, pairs, loaded in reads.loaded(results):
            keys: dict[str, list[str]] = {}
            for licence, key in pairs:
                keys.setdefault(licence, []).append(key)
            for licence, overlay in self.overlays.items():
                overlay.remember(table, loaded, keys.get(licence, []))

    def prefetch(self, envelopes: Iterable[EventEnvelope]) -> None:
        """Read the rows ``envelopes`` name that the overlays do not hold yet."""
        wanted = [ev for ev in envelopes if ev.licence in self.overlays]
        reads = self._prefetch_reads(wanted)
        self._remember(reads, pipelined.run(self.conn, reads.steps))

    def _write_steps(self, positions: bool) -> list[Step]:
        for overlay in self.overlays.values():
            overlay.queue_harvests()
        return [*self.ledger.log_steps(positions), *self.writes.steps()]

    def flush(self, positions: bool = False) -> None:
        """Write everything queued so far (log rows, then projections): the database is then
        the state after the last event decided. With ``positions``, keep the log positions
        of the rows written (a projection applied on the database needs its event's): that
        makes the log's write an ``INSERT ... RETURNING`` per row, so only then."""
        steps = self._write_steps(positions)
        results = pipelined.run(self.conn, steps)
        if steps and steps[0].rows:
            self.ledger.took_positions(results[0])

    def finish(self, commit: bool = False) -> None:
        """Write everything the batch queued, held rows and stations included, in one round
        trip on PostgreSQL; with ``commit``, the COMMIT rides in the same round trip."""
        steps = [*self._write_steps(positions=False), *self.ledger.finish_steps()]
        pipelined.run(self.conn, steps, commit=commit)


class Pipeline:
    def __init__(
        self,
        engine: Engine,
        *,
        rules: Iterable[Rule] | None = None,
        clock: Clock,
        deadlines: DeadlineEngine | None = None,
    ) -> None:
        self.engine = engine
        self.rules = list(REGISTRY.values()) if rules is None else list(rules)
        self.clock = clock
        self.deadlines = DeadlineEngine() if deadlines is None else deadlines
        self._packs: dict[str, list[Rule]] = {}

    def rules_for(self, jurisdiction: str) -> list[Rule]:
        """The rules applied to a licensee of ``jurisdiction``: its pack."""
        if jurisdiction not in self._packs:
            # add_licensee admits only OR, CA and CT; pack() refuses anything else.
            ids = pack(cast(Jurisdiction, jurisdiction))
            self._packs[jurisdiction] = [r for r in self.rules if r.id in ids]
        return self._packs[jurisdiction]

    def process(self, events: list[Parsed], conn: sa.Connection | None = None) -> BatchResult:
        """Decide ``events`` (in arrival order) in one transaction; returns the replies.
        ``conn``: the connection to run it on (the ingest worker's lease session on
        PostgreSQL, :mod:`server.ingest.ownership`); by default one from the pool."""
        result = BatchResult()
        if not events:
            return result
        with contextlib.ExitStack() as stack:
            if conn is None:
                conn = stack.enter_context(self.engine.begin())
            else:
                stack.enter_context(conn.begin())
            txn = _Txn(conn, self.deadlines, self.clock.now())
            txn.load(events)
            for parsed in events:
                self._decide(txn, parsed, result)
            txn.finish(commit=True)
        return result

    def submit(
        self,
        licence: str,
        operator_id: str,
        payload: Payload,
        *,
        station_id: str = CONSOLE_STATION,
        occurred_at: datetime | None = None,
    ) -> Ack:
        """Record one event made on the server (the ops console, the API, the CLI) and decide
        it like any station's, in one transaction.

        The event gets a new ``event_id`` and the next sequence number of ``station_id`` (the
        pseudo-station ``console`` unless told otherwise), read under the licensee's lock, so
        concurrent submissions never collide. ``occurred_at`` defaults to now. Raises
        ValidationError when the envelope cannot be built (a bad ``operator_id``, say).
        """
        now = self.clock.now()
        result = BatchResult()
        with self.engine.begin() as conn:
            txn = _Txn(conn, self.deadlines, now)
            txn.load([], [(licence, station_id)])
            envelope = EventEnvelope(
                event_id=new_event_id(),
                licence=licence,
                station_id=station_id,
                operator_id=operator_id,
                sequence=txn.ledger.station(licence, station_id).next_sequence,
                occurred_at=now if occurred_at is None else occurred_at,
                payload=payload,
            )
            body, digest = canonical(envelope)
            txn.prefetch([envelope])
            self._decide(txn, Parsed(envelope, body, digest, now), result)
            txn.finish()
        return result.replies[0].ack

    def _decide(self, txn: _Txn, parsed: Parsed, result: BatchResult) -> None:
        ev, ledger = parsed.envelope, txn.ledger
        if ev.licence not in txn.jurisdictions:
            result.replies.append(
                _rejection(
                    parsed,
                    ContractRule.LICENCE_UNKNOWN,
                    f"licence {ev.licence} is not registered on this server; "
                    "ask your administrator to add it",
                )
            )
            return
        stored = ledger.logged.get(ev.event_id)
        if stored is not None:
            if stored.sha256 != parsed.sha256:
                result.replies.append(_id_conflict(parsed))
                return
            duplicate = _answer(
                ev,
                Outcome.DUPLICATE,
                stored.violations,
                stored.received_at,
                notices=stored.notices,
                original_outcome=stored.outcome,
            )
            result.replies.append(duplicate)
            return
        held = ledger.held_ids.get(ev.event_id)
        if held is not None:
            if held.sha256 != parsed.sha256:
                result.replies.append(_id_conflict(parsed))
            return  # already waiting for its gap to fill; it is answered then
        station = ledger.station(ev.licence, ev.station_id)
        expected = station.next_sequence
        if ev.sequence < expected:
            used_by = ledger.used_by(ev.licence, ev.station_id, ev.sequence)
            result.replies.append(
                _rejection(
                    parsed,
                    ContractRule.SEQUENCE_CONFLICT,
                    f"sequence {ev.sequence} of station {ev.station_id} was already used by "
                    f"event {used_by}; the next expected is {expected}",
                    field="sequence",
                )
            )
            return
        if ev.sequence > expected:
            taken = station.held.get(ev.sequence)
            if taken is not None:
                result.replies.append(
                    _rejection(
                        parsed,
                        ContractRule.SEQUENCE_CONFLICT,
                        f"sequence {ev.sequence} of station {ev.station_id} is already taken "
                        f"by event {taken.event_id}, which is waiting for an earlier sequence",
                        field="sequence",
                    )
                )
                return
            ledger.hold(parsed, station)
            result.held += 1
            return
        self._apply(txn, parsed, result)
        expected += 1
        while (released := ledger.take(ev.licence, ev.station_id, expected)) is not None:
            self._apply(txn, released, result)
            expected += 1
        station.next_sequence, station.last_event_at = expected, parsed.received_at
        station.changed = True

    def _apply(self, txn: _Txn, parsed: Parsed, result: BatchResult) -> None:
        conn, ev = txn.conn, parsed.envelope
        state, rules = txn.overlays[ev.licence], self.rules_for(txn.jurisdictions[ev.licence])
        state.receiving = parsed.received_at
        violations = evaluate(state, ev, rules)
        if not violations and isinstance(ev.payload, RecordCorrected):
            txn.flush()  # the replay reads the log and rebuilds the projections
            violations = corrections.replay_with(conn, ev, rules)
            state.forget()
        outcome = Outcome.REJECTED if violations else Outcome.ACCEPTED
        txn.ledger.append(parsed, outcome, violations, [])
        notices: list[Violation] = []
        if outcome is Outcome.ACCEPTED:
            if not state.apply(ev):
                # Not a floor kind: its projection runs on the database, as it stands now.
                txn.flush(positions=True)
                projections.apply(conn, ev, txn.ledger.positions[ev.event_id])
                state.forget()
            notices = self.deadlines.after_event(
                conn, ev, parsed.received_at, self.clock.now(), sync=txn.flush
            )
            if notices:
                txn.ledger.set_notices(ev.event_id, notices)
        result.applied += 1
        result.replies.append(_answer(ev, outcome, violations, parsed.received_at, notices=notices))


def open_gaps(engine: Engine, older_than: datetime) -> list[Gap]:
    """Stations whose held events have waited since before ``older_than`` for a missing
    sequence number."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                HELD.c.licence,
                HELD.c.station_id,
                sa.func.count(),
                sa.func.min(HELD.c.sequence),
                sa.func.min(HELD.c.received_at),
            )
            .group_by(HELD.c.licence, HELD.c.station_id)
            .order_by(HELD.c.licence, HELD.c.station_id)
        ).all()
        gaps = []
        for licence, station_id, count, first_held, oldest in rows:
            if oldest >= older_than:  # min() keeps the column's type: an aware datetime
                continue
            stored = conn.execute(
                NEXT_SEQUENCE, {"licence": licence, "station_id": station_id}
            ).scalar_one_or_none()
            expected = 1 if stored is None else int(stored)
            gaps.append(Gap(licence, station_id, expected, count, first_held, oldest))
        return gaps


def _ack_topic(ev: EventEnvelope) -> str:
    return topic(ev.licence, ev.station_id, Channel.ACKS)


def _answer(
    ev: EventEnvelope,
    outcome: Outcome,
    violations: list[Violation],
    received_at: datetime,
    *,
    notices: list[Violation] | None = None,
    original_outcome: Outcome | None = None,
) -> Reply:
    """The ack of ``ev`` (received at ``received_at``), on its station's ack topic."""
    ack = Ack(
        event_id=ev.event_id,
        sequence=ev.sequence,
        outcome=outcome,
        original_outcome=original_outcome,
        violations=violations,
        notices=[] if notices is None else notices,
        received_at=received_at,
    )
    return Reply(_ack_topic(ev), ack)


def _rejection(parsed: Parsed, rule: ContractRule, message: str, field: str | None = None) -> Reply:
    violation = contract_violation(rule, message, field)
    return _answer(parsed.envelope, Outcome.REJECTED, [violation], parsed.received_at)


def _id_conflict(parsed: Parsed) -> Reply:
    return _rejection(
        parsed,
        ContractRule.EVENT_ID_CONFLICT,
        f"event {parsed.envelope.event_id} was already received with different content; "
        "an event id is never reused",
        field="event_id",
    )
