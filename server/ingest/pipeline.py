"""Decide, store and answer station events, exactly once and in each station's order.

One call to :meth:`Pipeline.process` handles a batch of messages in **one transaction**
(round trips, not fsync, are what cost on PostgreSQL: ``docs/platform-facts.md``). For each event:

1. **Licensee lock.** The transaction first locks the row of every licensee in the batch
   (``SELECT ... FOR UPDATE``, in licence order, so two processes cannot deadlock; SQLite's
   ``BEGIN IMMEDIATE`` already serialises writers). Rules read a licensee's whole state (one
   plant, one tag) across stations, so two ingest processes must not decide two events of one
   licensee at once: with the lock, two stations harvesting the same plant leave one winner.
2. **Exactly-once.** An ``event_id`` already in the log gets its stored decision again
   (outcome ``duplicate``) and changes nothing; the same ``event_id`` with a different body is
   refused (EVENT-ID-CONFLICT) and stored nowhere.
3. **Per-station order: hold.** Each station's events are applied in sequence order, from 1,
   without gaps. An event ahead of a gap is **held** (``held_events``, committed, so it
   survives a restart and any ingest process can release it) and gets no ack yet; when the
   missing sequence arrives, it and every held successor are applied in order and answered.
   A sequence number below the next expected one with an unknown ``event_id`` is refused
   (SEQUENCE-CONFLICT): the station reused a number. Gaps that stay open are reported by
   :func:`open_gaps`.
4. **Rules.** Every rule of the licensee's pack (its jurisdiction's, :func:`server.rules.
   catalogue.pack`) for the event's kind runs (:mod:`server.rules`); an event with any
   violation is stored as rejected, with all its violations, and changes nothing else.
   Rejected events consume their sequence number: the station moves on. A correction that
   passes its own rules is then decided by replaying the licensee's log with the replacement
   in place (:mod:`server.store.corrections`).
5. **Store.** The log append and the projection changes commit together, or not at all.
6. **Deadlines.** After an accepted event, the deadline engine (:mod:`server.deadlines`)
   opens and resolves notifications in the same transaction; an event that came after its
   deadline is accepted with ``notices`` on its ack (kept, so a duplicate's ack repeats them).

The caller publishes the replies only after the commit, and acknowledges the broker after that.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.acks import Ack, ContractRule, Outcome, Violation
from schemas.clock import Clock
from schemas.events import EventEnvelope, Payload, RecordCorrected
from schemas.ids import new_event_id
from schemas.topics import Channel, topic
from server.db.tables import EventLog, HeldEvent, Licensee, Station
from server.deadlines import DeadlineEngine, stored_notices
from server.ingest.parse import Parsed, canonical, contract_violation
from server.rules import REGISTRY, Rule, evaluate
from server.rules.calendar import Jurisdiction
from server.rules.catalogue import pack
from server.rules.people import CONSOLE_STATION
from server.store import corrections, projections
from server.store.state import DbState

L = EventLog.__table__  # type: ignore[attr-defined]
HELD = HeldEvent.__table__  # type: ignore[attr-defined]
ST = Station.__table__  # type: ignore[attr-defined]
LIC = Licensee.__table__  # type: ignore[attr-defined]


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


@dataclass(slots=True)
class _Txn:
    """One ingest transaction: its connection, the jurisdiction of every licensee it locked,
    and one state view per licensee (kept across the transaction's events: see DbState)."""

    conn: sa.Connection
    jurisdictions: dict[str, str]
    states: dict[str, DbState] = field(default_factory=dict)

    def state(self, licence: str) -> DbState:
        if licence not in self.states:
            self.states[licence] = DbState(self.conn, licence)
        return self.states[licence]


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

    def process(self, events: list[Parsed]) -> BatchResult:
        """Decide ``events`` (in arrival order) in one transaction; returns the replies."""
        result = BatchResult()
        if not events:
            return result
        with self.engine.begin() as conn:
            txn = _Txn(conn, _lock_licensees(conn, sorted({e.envelope.licence for e in events})))
            for parsed in events:
                self._decide(txn, parsed, result)
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
            txn = _Txn(conn, _lock_licensees(conn, [licence]))
            known = txn.jurisdictions
            sequence = _next_sequence(conn, licence, station_id) if licence in known else 1
            envelope = EventEnvelope(
                event_id=new_event_id(),
                licence=licence,
                station_id=station_id,
                operator_id=operator_id,
                sequence=sequence,
                occurred_at=now if occurred_at is None else occurred_at,
                payload=payload,
            )
            body, digest = canonical(envelope)
            self._decide(txn, Parsed(envelope, body, digest, now), result)
        return result.replies[0].ack

    def _decide(self, txn: _Txn, parsed: Parsed, result: BatchResult) -> None:
        conn, ev = txn.conn, parsed.envelope
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
        stored = conn.execute(
            sa.select(L.c.body_sha256, L.c.outcome, L.c.violations, L.c.received_at).where(
                L.c.event_id == ev.event_id
            )
        ).first()
        if stored is not None:
            if stored.body_sha256 != parsed.sha256:
                result.replies.append(_id_conflict(parsed))
                return
            result.replies.append(
                Reply(
                    _ack_topic(ev),
                    Ack(
                        event_id=ev.event_id,
                        sequence=ev.sequence,
                        outcome=Outcome.DUPLICATE,
                        original_outcome=Outcome(stored.outcome),
                        violations=_violations_from_json(stored.violations),
                        notices=stored_notices(conn, ev.event_id),
                        received_at=stored.received_at,
                    ),
                )
            )
            return
        held = conn.execute(
            sa.select(HELD.c.body_sha256).where(HELD.c.event_id == ev.event_id)
        ).first()
        if held is not None:
            if held.body_sha256 != parsed.sha256:
                result.replies.append(_id_conflict(parsed))
            return  # already waiting for its gap to fill; it is answered then
        expected = _next_sequence(conn, ev.licence, ev.station_id)
        if ev.sequence < expected:
            used_by = conn.execute(
                sa.select(L.c.event_id).where(
                    L.c.licence == ev.licence,
                    L.c.station_id == ev.station_id,
                    L.c.sequence == ev.sequence,
                )
            ).scalar_one_or_none()
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
            self._hold(conn, parsed, result)
            return
        self._apply(txn, parsed, result)
        expected += 1
        while (released := _take_held(conn, ev.licence, ev.station_id, expected)) is not None:
            self._apply(txn, released, result)
            expected += 1
        conn.execute(
            ST.update()
            .where(ST.c.licence == ev.licence, ST.c.station_id == ev.station_id)
            .values(next_sequence=expected, last_event_at=parsed.received_at)
        )

    def _hold(self, conn: sa.Connection, parsed: Parsed, result: BatchResult) -> None:
        ev = parsed.envelope
        taken = conn.execute(
            sa.select(HELD.c.event_id).where(_held_at(ev.licence, ev.station_id, ev.sequence))
        ).scalar_one_or_none()
        if taken is not None:
            result.replies.append(
                _rejection(
                    parsed,
                    ContractRule.SEQUENCE_CONFLICT,
                    f"sequence {ev.sequence} of station {ev.station_id} is already taken by "
                    f"event {taken}, which is waiting for an earlier sequence",
                    field="sequence",
                )
            )
            return
        conn.execute(
            HELD.insert().values(
                licence=ev.licence,
                station_id=ev.station_id,
                sequence=ev.sequence,
                event_id=ev.event_id,
                body=parsed.body,
                body_sha256=parsed.sha256,
                received_at=parsed.received_at,
            )
        )
        result.held += 1

    def _apply(self, txn: _Txn, parsed: Parsed, result: BatchResult) -> None:
        conn, ev = txn.conn, parsed.envelope
        state, rules = txn.state(ev.licence), self.rules_for(txn.jurisdictions[ev.licence])
        violations = evaluate(state, ev, rules)
        if not violations and isinstance(ev.payload, RecordCorrected):
            violations = corrections.replay_with(conn, ev, rules)
        outcome = Outcome.REJECTED if violations else Outcome.ACCEPTED
        position = conn.execute(
            L.insert()
            .values(
                event_id=ev.event_id,
                licence=ev.licence,
                station_id=ev.station_id,
                sequence=ev.sequence,
                kind=ev.kind,
                operator_id=ev.operator_id,
                device_id=ev.device_id,
                occurred_at=ev.occurred_at,
                received_at=parsed.received_at,
                outcome=outcome.value,
                violations=json.dumps([v.model_dump(mode="json") for v in violations]),
                body=parsed.body,
                body_sha256=parsed.sha256,
            )
            .returning(L.c.position)
        ).scalar_one()
        notices: list[Violation] = []
        if outcome is Outcome.ACCEPTED:
            projections.apply(conn, ev, position)
            state.changed(ev.kind)
            notices = self.deadlines.after_event(conn, ev, parsed.received_at, self.clock.now())
        result.applied += 1
        result.replies.append(
            Reply(
                _ack_topic(ev),
                Ack(
                    event_id=ev.event_id,
                    sequence=ev.sequence,
                    outcome=outcome,
                    violations=violations,
                    notices=notices,
                    received_at=parsed.received_at,
                ),
            )
        )


def _lock_licensees(conn: sa.Connection, licences: list[str]) -> dict[str, str]:
    """Lock the registered ones of ``licences``; returns their jurisdictions."""
    rows = conn.execute(
        sa.select(LIC.c.licence, LIC.c.jurisdiction)
        .where(LIC.c.licence.in_(licences))
        .order_by(LIC.c.licence)
        .with_for_update()
    ).all()
    return {licence: jurisdiction for licence, jurisdiction in rows}


def _stored_next_sequence(conn: sa.Connection, licence: str, station_id: str) -> int | None:
    value = conn.execute(
        sa.select(ST.c.next_sequence).where(ST.c.licence == licence, ST.c.station_id == station_id)
    ).scalar_one_or_none()
    return None if value is None else int(value)


def _next_sequence(conn: sa.Connection, licence: str, station_id: str) -> int:
    """The sequence the station must send next; registers a station seen for the first time."""
    value = _stored_next_sequence(conn, licence, station_id)
    if value is None:
        # Safe without ON CONFLICT: this licensee's row is locked by this transaction.
        conn.execute(ST.insert().values(licence=licence, station_id=station_id, next_sequence=1))
        return 1
    return value


def _held_at(licence: str, station_id: str, sequence: int) -> sa.ColumnElement[bool]:
    return sa.and_(
        HELD.c.licence == licence, HELD.c.station_id == station_id, HELD.c.sequence == sequence
    )


def _take_held(conn: sa.Connection, licence: str, station_id: str, sequence: int) -> Parsed | None:
    key = _held_at(licence, station_id, sequence)
    row = conn.execute(
        sa.select(HELD.c.body, HELD.c.body_sha256, HELD.c.received_at).where(key)
    ).first()
    if row is None:
        return None
    conn.execute(HELD.delete().where(key))
    envelope = EventEnvelope.model_validate_json(row.body)
    return Parsed(envelope, row.body, row.body_sha256, row.received_at)


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
            expected = _stored_next_sequence(conn, licence, station_id) or 1
            gaps.append(Gap(licence, station_id, expected, count, first_held, oldest))
        return gaps


def _ack_topic(ev: EventEnvelope) -> str:
    return topic(ev.licence, ev.station_id, Channel.ACKS)


def _rejection(parsed: Parsed, rule: ContractRule, message: str, field: str | None = None) -> Reply:
    ev = parsed.envelope
    return Reply(
        _ack_topic(ev),
        Ack(
            event_id=ev.event_id,
            sequence=ev.sequence,
            outcome=Outcome.REJECTED,
            violations=[contract_violation(rule, message, field)],
            received_at=parsed.received_at,
        ),
    )


def _id_conflict(parsed: Parsed) -> Reply:
    return _rejection(
        parsed,
        ContractRule.EVENT_ID_CONFLICT,
        f"event {parsed.envelope.event_id} was already received with different content; "
        "an event id is never reused",
        field="event_id",
    )


def _violations_from_json(text: str) -> list[Violation]:
    return [Violation.model_validate(v) for v in json.loads(text)]
