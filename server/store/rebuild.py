"""Rebuild the projections from the event log, and compare.

The log is the legal record; projections are a cache of it. :func:`verify` rebuilds them
licensee by licensee: it reads a licensee's projection rows, empties them, applies its
accepted events again in log order and reports every row that differs from what was there
before. Every projection row is a licensee's and is built from that licensee's events alone
(a correction replays one licensee the same way), so the result is the whole log's replay,
while only one licensee's rows are held in memory: at 10M events the whole state's rows, read
twice, would be gigabytes of Python tuples.

The replay goes in batches through the ingest's own overlay (:mod:`server.store.replay`); with
``per_event`` (``--per-event``), one event at a time through the projection handlers
(:func:`server.store.projections.apply`), the independent reference.

- ``seedtrace db rebuild`` (``keep=True``): one transaction for every licensee, committed
  whole.
- ``seedtrace db rebuild --check`` (``keep=False``): a transaction per licensee, rolled back,
  that first takes the licensee's lock (its ``licensees`` row ``FOR UPDATE``, as the ingest
  does; SQLite's ``BEGIN IMMEDIATE``). So a check of a running system compares each licensee
  as of one moment, holds up only that licensee's events while it runs (a few seconds for a
  large one), and leaves the database as it was. One transaction for the whole check held
  every licensee it had checked until its end, an hour or more at 10M events.

Corrections: the replayed log is the **effective** log (:func:`effective_log`). An event that
an accepted ``record.corrected`` replaced is replayed with the replacement's payload in its
place (same envelope: same position, time, station and operator); a chain of corrections
(a correction of a correction) resolves to its latest replacement. The ``record.corrected``
events themselves only add their row to ``corrections``.

The log's item index (``event_items``, :mod:`server.store.items`) is derived from every log
row, accepted or not: :func:`verify` compares it too, and rewrites a licensee's rows that
differ when it keeps the rebuild.
"""

from collections.abc import Collection, Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from schemas.events import CorrectablePayload, EventEnvelope, RecordCorrected
from server.db import pipelined
from server.db.core import table_of
from server.db.core_tables import LICENSEES as LIC
from server.db.engine import analyze, make_engine
from server.db.pipelined import Step
from server.db.tables import PROJECTION_TABLES, EventLog
from server.store import items, projections
from server.store import replay as batched

L = table_of(EventLog)


def _tables() -> list[sa.Table]:
    return [SQLModel.metadata.tables[name] for name in PROJECTION_TABLES]


_LICENCE = sa.bindparam("licence", type_=sa.String)
# One licensee's rows of each table, and their deletion: module constants, so that each is
# compiled once and a licensee's reads (or deletes) go in one round trip (server.db.pipelined).
_READS = {table.name: sa.select(table).where(table.c.licence == _LICENCE) for table in _tables()}
_DELETES = [table.delete().where(table.c.licence == _LICENCE) for table in reversed(_tables())]


def snapshot(conn: sa.Connection, licence: str | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every projection row (of ``licence``, or all), sorted, per table."""
    out = {}
    for table in _tables():
        query = sa.select(table)
        if licence is not None:
            query = query.where(table.c.licence == licence)
        out[table.name] = sorted((tuple(r) for r in conn.execute(query)), key=repr)
    return out


def rows(conn: sa.Connection, licence: str) -> dict[str, set[tuple[Any, ...]]]:
    """Every projection row of ``licence``, per table, unordered (a row is its primary key
    and more: no two are equal)."""
    steps = [Step(query, {"licence": licence}, rows=True) for query in _READS.values()]
    found = pipelined.run(conn, steps)
    return {name: set(table) for name, table in zip(_READS, found, strict=True)}


def licensees(conn: sa.Connection) -> list[str]:
    """Every licence the log, its item index or a projection names: a licensee's rows with no
    event behind them are differences too."""
    found = set(items.licences(conn))
    for table in _tables():
        found.update(conn.execute(sa.select(table.c.licence).distinct()).scalars())
    return sorted(found)


def _accepted(licence: str | None) -> sa.ColumnElement[bool]:
    where = L.c.outcome == "accepted"
    return where if licence is None else sa.and_(where, L.c.licence == licence)


def substitutions(
    conn: sa.Connection, licence: str | None = None
) -> tuple[dict[str, CorrectablePayload], dict[str, str]]:
    """From the accepted corrections (of ``licence``, or all): the payload that takes each
    corrected event's place, by the first event's id, and each correction's first event."""
    replacement: dict[str, CorrectablePayload] = {}
    root_of: dict[str, str] = {}
    rows = conn.execute(
        sa.select(L.c.event_id, L.c.body)
        .where(_accepted(licence), L.c.kind == "record.corrected")
        .order_by(L.c.position)
    )
    for event_id, body in rows:
        correction = EventEnvelope.model_validate_json(body).payload
        assert isinstance(correction, RecordCorrected)
        root = root_of.get(correction.corrects, correction.corrects)
        root_of[event_id] = root
        replacement[root] = correction.replacement
    return replacement, root_of


def effective_log(
    conn: sa.Connection,
    licence: str | None = None,
    extra: Mapping[str, CorrectablePayload] | None = None,
) -> Iterator[tuple[int, EventEnvelope]]:
    """The accepted events (of ``licence``, or all) in log order, each corrected one with its
    replacement in place; ``extra`` adds replacements not yet in the log (a correction being
    decided), by the id of the event they replace."""
    replacement, _ = substitutions(conn, licence)
    replacement.update(extra or {})
    rows = conn.execute(
        sa.select(L.c.position, L.c.body).where(_accepted(licence)).order_by(L.c.position)
    )
    for position, body in rows:
        event = EventEnvelope.model_validate_json(body)
        payload = replacement.get(event.event_id)
        if payload is not None:
            event = event.model_copy(update={"payload": payload})
        yield position, event


def clear(conn: sa.Connection, licence: str | None = None) -> None:
    """Empty the projections (of one licensee, or all)."""
    if licence is not None:
        pipelined.run(conn, [Step(delete, {"licence": licence}) for delete in _DELETES])
        return
    for table in reversed(_tables()):
        conn.execute(table.delete())


def replay(conn: sa.Connection, licence: str, *, per_event: bool = False) -> int:
    """Empty ``licence``'s projections and apply its effective log again, in batches through
    the ingest's overlay (:mod:`server.store.replay`) or, with ``per_event``, one event at a
    time (:func:`server.store.projections.apply`: the reference, about ten times slower);
    returns the count of events applied."""
    clear(conn, licence)
    log = effective_log(conn, licence)
    if not per_event:
        return batched.replay(conn, licence, log)
    count = 0
    for position, event in log:
        projections.apply(conn, event, position)
        count += 1
    return count


def differences(
    before: Mapping[str, Collection[tuple[Any, ...]]],
    after: Mapping[str, Collection[tuple[Any, ...]]],
) -> list[str]:
    found = []
    for name in before:
        old, new = set(before[name]), set(after[name])
        found += [f"{name}: only before rebuild: {row}" for row in sorted(old - new, key=repr)]
        found += [f"{name}: only after rebuild: {row}" for row in sorted(new - old, key=repr)]
    return found


def verify(
    engine: Engine, *, keep: bool, per_event: bool = False, jobs: int = 1
) -> tuple[int, list[str]]:
    """Rebuild and compare, licensee by licensee (by licence); with ``keep`` in one
    transaction, committed, else in one per licensee, rolled back; ``per_event``: see
    :func:`replay`. Without ``keep``, ``jobs`` processes check licensees side by side, each
    with its own connection (the licensees are independent; PostgreSQL: SQLite has one
    writer at a time). Returns (events replayed, differences: the projections' per licensee
    and table, then the item index's; the same whatever ``jobs``)."""
    if jobs < 1:
        raise ValueError(f"jobs must be 1 or more, not {jobs}")
    if keep and jobs > 1:
        raise ValueError("a kept rebuild is one transaction: it cannot be split into jobs")
    count, diff, index = 0, list[str](), list[str]()
    if not keep:
        with engine.connect() as conn:
            every = licensees(conn)
        checked: Iterable[tuple[int, list[str], list[str]]]
        if jobs == 1:
            checked = (_check(engine, licence, per_event) for licence in every)
        else:
            url = engine.url.render_as_string(hide_password=False)
            pool = ProcessPoolExecutor(
                jobs, get_context("spawn"), initializer=_start_job, initargs=(url,)
            )
            with pool:
                checked = list(pool.map(_check_in_job, every, [per_event] * len(every)))
        for events, found, indexed in checked:  # in licence order, either way
            count += events
            diff += found
            index += indexed
        return count, diff + index
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            for licence in licensees(conn):
                count += _compare(conn, licence, diff, index, keep=True, per_event=per_event)
        except BaseException:
            transaction.rollback()
            raise
        transaction.commit()
    analyze(engine)  # every projection row was just written again
    return count, diff + index


def _check(engine: Engine, licence: str, per_event: bool) -> tuple[int, list[str], list[str]]:
    """One licensee's check: (events replayed, its projections' differences, its item
    index's), in a transaction of its own, rolled back."""
    diff, index = list[str](), list[str]()
    with engine.connect() as conn:
        transaction = conn.begin()
        try:  # the licensee's lock: compared as of one moment, its ingest held meanwhile
            conn.execute(sa.select(LIC.c.licence).where(LIC.c.licence == licence).with_for_update())
            count = _compare(conn, licence, diff, index, keep=False, per_event=per_event)
        finally:
            transaction.rollback()
    return count, diff, index


_JOB_ENGINE: list[Engine] = []  # a job process's engine, made once by its initializer


def _start_job(url: str) -> None:
    _JOB_ENGINE.append(make_engine(url))


def _check_in_job(licence: str, per_event: bool) -> tuple[int, list[str], list[str]]:
    return _check(_JOB_ENGINE[0], licence, per_event)


def _compare(
    conn: sa.Connection,
    licence: str,
    diff: list[str],
    index: list[str],
    *,
    keep: bool,
    per_event: bool,
) -> int:
    """Rebuild ``licence``'s projections in ``conn``'s transaction, adding what differs to
    ``diff``, and compare (with ``keep``, rewrite) its item index rows, adding to ``index``;
    returns the count of events replayed."""
    before = rows(conn, licence)
    count = replay(conn, licence, per_event=per_event)
    diff += differences(before, rows(conn, licence))
    index += items.licence_differences(conn, licence, keep=keep)  # derived from the log too
    return count
