"""The item index (``event_items``): which items each logged event names, so an item's audit
trail (:mod:`server.console.queries.trail`) reads that item's own rows, not the licensee's log.

An event names an item when its stored body (the canonical JSON of the envelope) holds it:

- ``operator_id``: the user who recorded it;
- in the payload, at any depth (a correction's replacement, a manifest's items, a package's
  sources, an audit's lines), the string or list of strings at a key of :data:`ITEM_KEYS`:
  tag UIDs, batch IDs, harvest batch names, manifest IDs, user, audit and event IDs (the
  event a correction corrects, a flag names, an outage or a diversion report refers to);
- for a ``tags.received`` roll (``first`` and ``last``), every UID of the roll
  (:func:`schemas.events.tag_range`, at most 10,000, as many as the tag rows it adds).

The keys are chosen by name from the schemas; :data:`NOT_ITEM_KEYS` lists the string fields
that name no item (names, free text, times, kinds), and a test holds every string field of
every payload to one list or the other, so a new field is a decision. The envelope's own
``event_id`` is not indexed: the log's unique index on it finds the event itself.

A row points at its event by (``licence``, ``chain_index``), the event's place in its
licensee's hash chain (:mod:`server.store.chain`): unique, in log order, and known to the
ingest before the log row is inserted, so the index rows go in the same pipeline as the log
rows (:func:`write_steps`: one multi-row statement per append, however many events), with no
lookup of the positions the database gives the log rows (a probe per event, which cost about
half of this write). They are derived from the log alone: ``seedtrace db rebuild`` rewrites
them, ``--check`` compares (:func:`differences`). A value longer than :data:`MAX_ITEM`
characters is no identifier and is left out; a body that is not a JSON object names nothing;
a log row without a ``chain_index`` (written outside seedtrace: ``db verify`` names it) is
not indexed.
"""

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from schemas.events import tag_range
from server.db.bulk import BulkInsert
from server.db.core import table_of
from server.db.pipelined import Step
from server.db.tables import EventItem, EventLog

EI = table_of(EventItem)
L = table_of(EventLog)
MAX_ITEM = 100  # characters: the longest identifier (a harvest batch name, an audit ID)

ITEM_KEYS = frozenset(
    {
        # tag UIDs: plants and packages
        "uid",
        "uids",
        "mother_uid",
        "first",
        "last",
        "package_uid",
        "accepted",  # an invoice's accepted UIDs (a transfer's: objects, read by their "uid")
        # batches, harvest batches, manifests, audited items and audits
        "batch_id",
        "harvest_batch",
        "manifest_id",
        "item_id",
        "audit_id",
        # people
        "user_id",
        # other events
        "corrects",
        "event_id",
        "lost_event_id",
        "discovery_event_id",
    }
)
NOT_ITEM_KEYS = frozenset(
    {
        "kind",
        "strain",
        "location",
        "name",
        "address",
        "licence",
        "source_licence",
        "station_id",
        "device_id",
        "raw_hex",
        "reason",
        "note",
        "description",
        "premises",
        "full_name",
        "trainer",
        "course",
        "signed_by",
        "audited_by",
        "order_reference",
        "department_reference",
        "law_enforcement_agency",
        "law_enforcement_reference",
        "cause",
        "problem",
    }
)


def named(body: str) -> set[str]:
    """The items the stored event ``body`` names (module docstring)."""
    try:
        envelope = json.loads(body)
    except json.JSONDecodeError:
        return set()
    if not isinstance(envelope, dict):
        return set()
    out: set[str] = set()
    _take(envelope.get("operator_id"), out)
    payload = envelope.get("payload")
    _walk(payload, out)
    if isinstance(payload, dict) and payload.get("kind") == "tags.received":
        first, last = payload.get("first"), payload.get("last")
        if isinstance(first, str) and isinstance(last, str):
            try:
                out.update(uid for uid in tag_range(first, last) if len(uid) <= MAX_ITEM)
            except ValueError:  # not a roll the schema takes: its two ends only
                pass
    return out


def _take(value: object, out: set[str]) -> None:
    if isinstance(value, str):
        if len(value) <= MAX_ITEM:
            out.add(value)
    elif isinstance(value, list):
        out.update(v for v in value if isinstance(v, str) and len(v) <= MAX_ITEM)


def _walk(value: object, out: set[str]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in ITEM_KEYS:
                _take(inner, out)
            _walk(inner, out)
    elif isinstance(value, list):
        for inner in value:
            _walk(inner, out)


INSERT = BulkInsert(EI)


def write_steps(rows: Iterable[Mapping[str, Any]]) -> list[Step]:
    """The index rows of log rows about to be appended (their ``licence``, ``chain_index`` and
    ``body``), to run with or after their insert, in the same transaction: one step
    (PostgreSQL: one multi-row statement, :mod:`server.db.bulk`)."""
    named_rows = [
        {"licence": row["licence"], "item": item, "chain_index": row["chain_index"]}
        for row in rows
        for item in sorted(named(row["body"]))
    ]
    return [Step(INSERT, named_rows)] if named_rows else []


def derived(rows: Iterable[tuple[int, str]]) -> Iterator[tuple[str, int]]:
    """The (item, chain_index) rows of one licensee's log rows given as (chain_index, body)."""
    for chain_index, body in rows:
        for item in sorted(named(body)):
            yield item, int(chain_index)


def differences(conn: sa.Connection, *, keep: bool) -> list[str]:
    """Compare each licensee's index rows with those its log derives; with ``keep``, put the
    derived rows in their place. One licensee in memory at a time (its rows, not the log's)."""
    found: list[str] = []
    for licence in licences(conn):
        found += licence_differences(conn, licence, keep=keep)
    return found


def licences(conn: sa.Connection) -> list[str]:
    """Every licence the log or the index names, sorted."""
    logged = conn.execute(sa.select(L.c.licence).distinct()).scalars()
    indexed = conn.execute(sa.select(EI.c.licence).distinct()).scalars()
    return sorted(set(logged) | set(indexed))


def licence_differences(conn: sa.Connection, licence: str, *, keep: bool) -> list[str]:
    """:func:`differences` for one licensee."""
    log = conn.execute(
        sa.select(L.c.chain_index, L.c.body).where(
            L.c.licence == licence, L.c.chain_index.is_not(None)
        )
    )
    want = set(derived((int(i), str(b)) for i, b in log))
    have = {
        (str(item), int(index))
        for item, index in conn.execute(
            sa.select(EI.c.item, EI.c.chain_index).where(EI.c.licence == licence)
        )
    }
    found = _lines(licence, have - want, "only before rebuild")
    found += _lines(licence, want - have, "only after rebuild")
    if keep and want != have:
        conn.execute(EI.delete().where(EI.c.licence == licence))
        _insert(conn, licence, sorted(want))
    return found


def _lines(licence: str, rows: set[tuple[str, int]], where: str) -> list[str]:
    return [f"event_items: {where}: {(licence, item, index)}" for item, index in sorted(rows)]


def _insert(conn: sa.Connection, licence: str, rows: Sequence[tuple[str, int]]) -> None:
    chunk = 5000  # rows per executemany, so a large licensee is not one list of millions
    for start in range(0, len(rows), chunk):
        params: list[dict[str, Any]] = [
            {"licence": licence, "item": item, "chain_index": index}
            for item, index in rows[start : start + chunk]
        ]
        conn.execute(EI.insert(), params)
