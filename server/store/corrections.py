"""Deciding a ``record.corrected``: replay the licensee's log with the replacement in place.

A correction (NO-FALSIFICATION, CORRECTION-3BD) keeps the original in the log and names what
should have been recorded instead. The current state must become what it would be had the
replacement been recorded in the original's place, and the correction is refused when that
state would break a rule. :func:`replay_with` does exactly that, inside the ingest
transaction:

1. a savepoint;
2. this licensee's projection rows are emptied, and its effective log
   (:func:`server.store.rebuild.effective_log`: earlier corrections applied, this one added)
   is applied again event by event;
3. from the corrected event's position on, every replayed event is first checked against the
   licensee's rules, on the state the replay has built so far (the replacement itself, then
   every later event, which must all still hold);
4. at the first event that would break a rule, the savepoint is rolled back (the projections
   are as before) and that event's violations are returned, saying which event it is; when
   none does, the rebuilt projections stay and the caller logs the correction as accepted.

The earlier events' state is the same with or without the correction, so they are replayed
without checking. The cost is a replay of one licensee's log: corrections are rare, and the
licensee's lock is held meanwhile (its other events wait, other licensees do not).

Correcting twice: an event is corrected once; to change it again, correct the correction
(NO-FALSIFICATION enforces it). The replacement then takes the first event's place.
"""

from collections.abc import Iterable

import sqlalchemy as sa

from schemas.acks import Violation
from schemas.events import EventEnvelope, RecordCorrected
from server.compliance.rules import REGISTRY, Rule, evaluate
from server.db.core import table_of
from server.db.tables import Correction, EventLog
from server.store import projections
from server.store.rebuild import clear, effective_log
from server.store.state import DbState

L = table_of(EventLog)
CORR = table_of(Correction)


def root_of(conn: sa.Connection, event_id: str) -> str:
    """The first event of a chain of corrections ending at ``event_id``."""
    root = conn.execute(
        sa.select(CORR.c.root_event_id).where(CORR.c.event_id == event_id)
    ).scalar_one_or_none()
    return event_id if root is None else str(root)


def replay_with(
    conn: sa.Connection, correction: EventEnvelope, rules: Iterable[Rule]
) -> list[Violation]:
    """Rebuild ``correction.licence``'s projections as if the correction's replacement had
    been recorded in place of the event it corrects. Returns the violations of the first
    event that would break a rule (and leaves the projections as they were), or [] (and
    leaves them rebuilt)."""
    p = correction.payload
    if not isinstance(p, RecordCorrected):
        raise TypeError(f"{correction.kind} is not a correction")
    licence, rules = correction.licence, list(rules)
    root = root_of(conn, p.corrects)
    root_position = conn.execute(
        sa.select(L.c.position).where(
            L.c.event_id == root, L.c.licence == licence, L.c.outcome == "accepted"
        )
    ).scalar_one_or_none()
    if root_position is None:  # NO-FALSIFICATION says why, even if left out of ``rules``
        return REGISTRY["NO-FALSIFICATION"].violations(DbState(conn, licence), correction)
    savepoint = conn.begin_nested()
    try:
        found = _replay(conn, licence, root, root_position, p, rules)
    except BaseException:
        savepoint.rollback()
        raise
    if found:
        savepoint.rollback()
    else:
        savepoint.commit()
    return found


def _replay(
    conn: sa.Connection,
    licence: str,
    root: str,
    root_position: int,
    p: RecordCorrected,
    rules: list[Rule],
) -> list[Violation]:
    clear(conn, licence)
    state = DbState(conn, licence)
    for position, event in effective_log(conn, licence, extra={root: p.replacement}):
        if position >= root_position and event.kind != "record.corrected":
            state.before_position = position
            broken = evaluate(state, event, rules)
            if broken:
                which = (
                    "the replacement"
                    if position == root_position
                    else f"the later {event.kind} {event.event_id} (station {event.station_id}, "
                    f"sequence {event.sequence})"
                )
                return [
                    v.model_copy(update={"message": f"With this correction, {which}: {v.message}"})
                    for v in broken
                ]
        projections.apply(conn, event, position)
        state.changed(event.kind)
    return []
