"""The deadline engine: runs the section B definitions for each accepted event and applies what
they return to the notification store.

:meth:`DeadlineEngine.after_event` is called by the ingest pipeline right after an event is
applied, on the same connection and in the same transaction (the licensee's row is locked):

1. :func:`~server.compliance.deadlines.facts.record` keeps what the deadlines need from the event;
2. every definition of the licensee's jurisdiction pack that handles the event's kind runs;
3. :func:`apply_effects` opens and resolves notifications; an event that resolves a deadline
   after its due time, or that is its own deadline and came late (DISPOSITION-3BD), gets a
   *notice* (rule ID, citation, message) for its ack; one that opens a deadline already past
   gets one too;
4. the licensee's open notifications whose due time has come are marked overdue;
5. the notices are stored under the event's id, so a duplicate's ack repeats them.

The clock is the caller's ``now``: tests move time by passing it.
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from schemas.acks import Violation
from schemas.events import EventEnvelope
from server.compliance.deadlines import store
from server.compliance.deadlines.definitions import DEADLINES, OUTAGE, DeadlineRule
from server.compliance.deadlines.facts import BATCH_READS, DbFacts, calendar, load_calendar, record
from server.compliance.deadlines.model import (
    UNRESOLVED,
    Context,
    DeadlineSettings,
    Effect,
    Facts,
    LicenseeCalendar,
    Open,
    Outage,
    State,
    Subject,
)
from server.compliance.rules.calendar import business_days_between
from server.db.core_tables import NOTIFICATIONS
from server.db.pipelined import MATCH, Match, Step


@dataclass(slots=True)
class _Licensee:
    """What the engine reads once per licensee per ingest transaction: the licensee's row is
    locked for the whole transaction, so only the transaction's own events can change it."""

    calendar: LicenseeCalendar | None
    facts: DbFacts
    overdue_marked: bool = False


def _due(match: Match) -> sa.Select[Any]:
    """The licensees with an open notification whose due time has come."""
    n = NOTIFICATIONS
    return (
        sa.select(n.c.licence)
        .distinct()
        .where(
            match(n.c.licence, "licences"),
            n.c.state == State.OPEN.value,
            n.c.due_at.is_not(None),
            n.c.due_at <= sa.bindparam("now"),
        )
    )


DUE = {dialect: _due(match) for dialect, match in MATCH.items()}


# The kinds whose record changes what :class:`_Licensee` keeps for the batch.
_KEPT_FROM = frozenset({"licence.updated", "access.lost", "access.restored"})


class DeadlineEngine:
    def __init__(self, settings: DeadlineSettings | None = None) -> None:
        self.settings = DeadlineSettings() if settings is None else settings
        self._transaction: object = None
        self._licensees: dict[str, _Licensee] = {}

    def after_event(
        self,
        conn: sa.Connection,
        event: EventEnvelope,
        received_at: datetime,
        now: datetime,
        *,
        sync: Callable[[], None] | None = None,
    ) -> list[Violation]:
        """Run the deadlines for the accepted ``event``; returns the notices for its ack.

        ``sync``, when given, is called before the engine reads the ``tags`` projection or the
        event log: the ingest pipeline queues those writes and writes them then."""
        # Read again only what the event changed of what is kept per batch: the calendar
        # (licence.updated) and the losses of access (access.lost, access.restored).
        changed = record(conn, event) and event.kind in _KEPT_FROM
        known = self._licensee(conn, event.licence, changed)
        cal, facts = known.calendar, known.facts
        facts.sync = sync
        if cal is None:  # the pipeline accepts only registered licences
            return []
        effects = effects_for(Context(event, received_at, now, cal, facts, self.settings))
        applied = apply_effects(
            conn, cal, effects, now=now, facts=facts, event=event, received_at=received_at
        )
        if not known.overdue_marked:  # once per batch: its events share one moment
            store.mark_overdue(conn, cal.licence, now)
            known.overdue_marked = True
        if applied.notices:
            store.save_notices(conn, cal.licence, event.event_id, applied.notices)
        return applied.notices

    def batch_reads(self, dialect: str, licences: Collection[str], now: datetime) -> list[Step]:
        """What the engine reads once per batch for ``licences`` (their calendars, losses of
        access, and which have open notifications already due at ``now``), as steps the
        ingest sends with its own reads; pass the results to :meth:`batch_read` before the
        batch's first :meth:`after_event`."""
        reads, params = BATCH_READS[dialect], {"licences": sorted(licences) or [""]}
        return [
            Step(reads.calendars, params, rows=True),
            Step(reads.outages, params, rows=True),
            Step(DUE[dialect], {**params, "now": now}, rows=True),
        ]

    def batch_read(
        self,
        conn: sa.Connection,
        licences: Collection[str],
        results: list[list[tuple[Any, ...]]],
    ) -> None:
        """Keep what :meth:`batch_reads` read, for the transaction ``conn`` is in."""
        calendars, outage_rows, due = results
        overdue = {licence for (licence,) in due}
        outages: dict[str, list[Outage]] = {licence: [] for licence in licences}
        for licence, *columns in outage_rows:
            outages.setdefault(licence, []).append(Outage(*columns))
        self._transaction, self._licensees = conn.get_transaction(), {}
        for licence, *columns in calendars:
            self._licensees[licence] = _Licensee(
                calendar(licence, *columns),
                DbFacts(conn, licence, outages=outages.get(licence, [])),
                # Nothing was due when the batch began: no overdue marking to do (the next
                # batch or the sweep marks what falls due meanwhile).
                overdue_marked=licence not in overdue,
            )

    def _licensee(self, conn: sa.Connection, licence: str, changed: bool) -> _Licensee:
        transaction = conn.get_transaction()
        if transaction is not self._transaction:  # a new batch: nothing read yet
            self._transaction, self._licensees = transaction, {}
        known = self._licensees.get(licence)
        if known is None or changed:
            known = _Licensee(load_calendar(conn, licence), DbFacts(conn, licence))
            self._licensees[licence] = known
        return known


_HANDLING: dict[tuple[frozenset[str], str], tuple[DeadlineRule, ...]] = {}


def handling(rules: frozenset[str], kind: str) -> tuple[DeadlineRule, ...]:
    """The definitions of the pack ``rules`` that handle events of ``kind``, in registration
    order. Cached: asked for every accepted event, and scanning every definition's kinds each
    time was most of the engine's CPU per event (``docs/performance.md``). A few packs (one per
    jurisdiction) times the event kinds: a small table; cleared if it ever is not."""
    key = (rules, kind)
    found = _HANDLING.get(key)
    if found is None:
        if len(_HANDLING) >= 4096:
            _HANDLING.clear()
        found = tuple(d for d in DEADLINES.values() if d.id in rules and d.handles(kind))
        _HANDLING[key] = found
    return found


def effects_for(ctx: Context) -> list[Effect]:
    """What every definition of the licensee's pack that handles the event's kind returns."""
    return [
        effect
        for definition in handling(ctx.calendar.rules, ctx.event.kind)
        for effect in definition.on_event(ctx)
    ]


@dataclass(slots=True)
class Applied:
    notices: list[Violation] = field(default_factory=list)
    opened: int = 0
    resolved: int = 0


def apply_effects(
    conn: sa.Connection,
    cal: LicenseeCalendar,
    effects: list[Effect],
    *,
    now: datetime,
    facts: Facts,
    event: EventEnvelope | None = None,
    received_at: datetime | None = None,
) -> Applied:
    """Open and resolve notifications as ``effects`` say. ``event`` is the event that caused
    them (None for the sweep); it was recorded at ``received_at``, else at ``now``."""
    out = Applied()
    at = now if received_at is None else received_at
    event_id = None if event is None else event.event_id

    def notice(rule_id: str, message: str) -> None:
        # One notice per rule per event: a correction both resolving a flag and late by its
        # own discovery time says it once.
        if event is not None and all(n.rule_id != rule_id for n in out.notices):
            citation = DEADLINES[rule_id].cite(cal.jurisdiction)
            out.notices.append(
                Violation(rule_id=rule_id, citation=citation, message=f"{message} ({citation})")
            )

    def insert(
        definition: DeadlineRule, record: Open, state: State, **resolution: datetime | None
    ) -> None:
        store.insert(
            conn,
            cal,
            record,
            category=definition.category,
            citation=definition.cite(cal.jurisdiction),
            state=state,
            now=now,
            event_id=event_id,
            **resolution,
        )

    for effect in effects:
        definition = DEADLINES[effect.rule_id]
        subject = effect.subject
        row = (
            None  # nothing can be about an event before it arrives: spare the lookup
            if event is not None and subject == Subject("event", event.event_id)
            else store.latest(conn, cal.licence, effect.rule_id, subject.kind, subject.id)
        )
        if isinstance(effect, Open):
            if _blocks(row, effect):
                continue
            overdue = effect.due_at is not None and effect.due_at <= now
            state = State.OVERDUE if overdue else State.OPEN
            insert(definition, effect, state)
            out.opened += 1
            if overdue and effect.due_at is not None:
                notice(
                    effect.rule_id,
                    f"Already overdue: {effect.message} It was due by "
                    f"{cal.show_due(effect.due_at)}; resolve it with {effect.resolves_by}.",
                )
            continue
        if row is not None and row.state in UNRESOLVED:
            due = _with_grace(cal, facts, event, row.due_at)
            late = due is not None and at >= due
            history = None if due is None or not late else _resolved_late(cal, due, at)
            if store.resolve(
                conn, row, items=effect.items, at=at, event_id=event_id, late=history, due=due
            ):
                out.resolved += 1
                if due is not None and late:
                    notice(effect.rule_id, _late(cal, row.message, due, at))
            continue
        if effect.otherwise is None or event is None or (row is not None and effect.keep):
            continue  # a kept record already stands for this subject: a repeat is not judged
        due = _with_grace(cal, facts, event, effect.otherwise.due_at)
        late = due is not None and at >= due
        if row is None and (late or effect.keep):
            record = replace(effect.otherwise, due_at=due)
            if late and due is not None:  # born resolved, and late: the history says so
                message = f"{record.message} {_resolved_late(cal, due, at)}"
                record = replace(record, message=message)
            insert(
                definition, record, State.RESOLVED, resolved_at=at, overdue_at=due if late else None
            )
        if late and due is not None:
            notice(effect.rule_id, _late(cal, effect.otherwise.message, due, at))
    return out


def _blocks(row: store.NotificationPublic | None, opening: Open) -> bool:
    """Whether an existing notification means ``opening`` must not be opened again."""
    if row is None:
        return False
    return blocks(row.state, row.started_at, opening.once_since)


def blocks(state: State, started_at: datetime, once_since: datetime | None) -> bool:
    """Whether the newest notification about a subject, in ``state`` and started at
    ``started_at``, keeps a new one from opening: while it is unresolved, or, closed, when the
    opening may come once only (``once_since`` None) or once since a moment it started after."""
    if state in UNRESOLVED or once_since is None:
        return True
    return started_at >= once_since


def _with_grace(
    cal: LicenseeCalendar, facts: Facts, event: EventEnvelope | None, due: datetime | None
) -> datetime | None:
    """``due`` for judging whether ``event`` came late: what happened during a loss of access
    may be entered until OUTAGE-BACKFILL falls due after restoration (CA 8402(d)(1): 3
    business days); while access is still lost, or where the state sets no limit on the
    backfill (Oregon), nothing of it is late (None)."""
    if due is None or event is None or OUTAGE not in cal.rules:
        return due
    for outage in facts.outages_covering(event.occurred_at, event.station_id):
        if outage.restored_at is None:
            return None
        backfill = cal.due(OUTAGE, outage.restored_at)
        if backfill is None:
            return None
        due = max(due, backfill)
    return due


def _resolved_late(cal: LicenseeCalendar, due: datetime, at: datetime) -> str:
    """What the notification's history keeps when it is resolved after its due time."""
    # Business days after the day the deadline closed, up to the day it was resolved.
    days = business_days_between(due - timedelta(microseconds=1), at, cal.jurisdiction, cal.tz)
    after = (
        "on the day of the deadline, after it"
        if days == 0
        else f"{days} business day{'s' if days != 1 else ''} after the deadline"
    )
    return f"Resolved late, {after} ({cal.show_due(due)}), {cal.show(at)}."


def _late(cal: LicenseeCalendar, message: str, due: datetime, at: datetime) -> str:
    return (
        f"Recorded late: {message} It was due by {cal.show_due(due)} and reached seedtrace "
        f"{cal.show(at)}; accepted and flagged."
    )
