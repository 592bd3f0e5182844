"""Replaying one licensee's effective log in batches, through the ingest's overlay.

Applied one event at a time (:func:`server.store.projections.apply`), a replay costs a few
statements per event, each a round trip: about 1,000 events/s, so more than three hours for
a 10M-event log (``docs/performance.md``, change 29). :func:`replay` applies the log as an
ingest batch applies what it accepted (:mod:`server.store.overlay`):

- a run of up to :data:`RUN` consecutive events of the hot kinds (:data:`HOT_KINDS`: the
  floor's tags, batches, plants and harvests, nearly all of a log) first reads the rows those
  events read, one query per table (rows an earlier run left in memory are not read again),
  then changes them in memory in log order and writes what they changed with multi-row
  statements (:class:`~server.store.overlay.Writes`, :func:`server.db.pipelined.run`);
- an event of any other kind is applied on the database by
  :func:`~server.store.projections.apply`, after everything queued is written, and the
  overlay forgets what it held (the handler may have changed any of it).

So the rows written are those the ingest writes, by the same code. ``seedtrace db rebuild
--per-event`` keeps the one-event-at-a-time replay, the independent reference: a check that
the ingest's batched code and the projections agree, as the property tests check it.

Failure modes: an event the overlay cannot apply to the replayed state (a plant harvested
that was never tagged: a log that was not accepted by these rules) raises
:class:`ReplayError` naming the event; nothing is committed by this module.
"""

from collections.abc import Iterable

import sqlalchemy as sa

from schemas.events import EventEnvelope, TagsReceived
from server.db import pipelined
from server.store import projections
from server.store.overlay import HOT_KINDS, Overlay, Writes
from server.store.prefetch import Reads, needs

RUN = 2000  # events per run: one read per table and a few multi-row writes each


class ReplayError(RuntimeError):
    """The log holds an event the replayed state cannot take."""


def replay(conn: sa.Connection, licence: str, log: Iterable[tuple[int, EventEnvelope]]) -> int:
    """Apply ``log`` ((position, event) pairs of ``licence``, in log order) to its
    projections, which hold the state before the first; returns the count of events."""
    writes = Writes()

    def flush() -> None:
        overlay.queue_harvests()
        pipelined.run(conn, writes.steps())

    overlay = Overlay(conn, licence, writes, flush)
    count, run = 0, list[tuple[int, EventEnvelope]]()
    for position, event in log:
        count += 1
        if event.kind in HOT_KINDS:
            run.append((position, event))
            if len(run) >= RUN:
                _apply_run(conn, overlay, run)
            continue
        _apply_run(conn, overlay, run)
        projections.apply(conn, event, position)
        overlay.forget()
    _apply_run(conn, overlay, run)
    return count


def _apply_run(conn: sa.Connection, overlay: Overlay, run: list[tuple[int, EventEnvelope]]) -> None:
    """Read what ``run``'s events read, apply them in memory, write the result; ``run`` is
    emptied."""
    if not run:
        return
    overlay.licence()  # read now, not halfway through the run (a read first writes the queue)
    _prefetch(conn, overlay, [event for _, event in run])
    for position, event in run:
        try:
            overlay.apply(event)
        except LookupError as err:
            raise ReplayError(
                f"event {event.event_id} ({event.kind}, log position {position}) of licence "
                f"{overlay.licence_id} names what the replayed state does not hold: {err!r}"
            ) from err
    overlay.flush()
    run.clear()


def _prefetch(conn: sa.Connection, overlay: Overlay, events: list[EventEnvelope]) -> None:
    """Read the rows ``events`` name that ``overlay`` does not hold yet, one query per table
    (SQLite: per chunk of keys). A roll of tags received is made, not read: up to 10,000
    keys that cannot exist yet."""
    licence, wanted = overlay.licence_id, dict[str, set[tuple[str, str]]]()
    for event in events:
        if isinstance(event.payload, TagsReceived):
            continue
        for table, keys in needs(event).items():
            held = overlay.rows[table]
            new = [(licence, key) for key in keys if key not in held]
            if new:
                wanted.setdefault(table, set()).update(new)
    reads = Reads.of(conn.dialect.name, wanted)
    for table, pairs, loaded in reads.loaded(pipelined.run(conn, reads.steps)):
        overlay.remember(table, loaded, [key for _, key in pairs])
