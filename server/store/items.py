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

Rows are written with the log rows, in the same transaction (:func:`write_steps`: one
statement per append, however many events), and are derived from the log alone:
``seedtrace db rebuild`` rewrites them, ``--check`` compares (:func:`differences`). A value
longer than :data:`MAX_ITEM` characters is no identifier and is left out; a body that is not
a JSON object names nothing.
"""

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from schemas.events import tag_range
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


def _pg_insert() -> sa.Insert:
    """The rows of an append, by event ID, each at its event's position: one statement."""
    wanted = (
        sa.func.unnest(
            sa.bindparam("event_ids", type_=postgresql.ARRAY(sa.String)),
            sa.bindparam("items", type_=postgresql.ARRAY(sa.String)),
        )
        .table_valued("event_id", "item")
        .render_derived(name="wanted")
    )
    rows = sa.select(L.c.licence, wanted.c.item, L.c.position).select_from(
        L.join(wanted, L.c.event_id == wanted.c.event_id)
    )
    return EI.insert().from_select(["licence", "item", "position"], rows)


PG_INSERT = _pg_insert()
# SQLite, in process: one row per (event, item), the position read by the event's ID.
LOCAL_INSERT = EI.insert().from_select(
    ["licence", "item", "position"],
    sa.select(L.c.licence, sa.bindparam("item", type_=sa.String), L.c.position).where(
        L.c.event_id == sa.bindparam("event_id")
    ),
)


def write_steps(dialect: str, events: Iterable[tuple[str, str]]) -> list[Step]:
    """The index rows of ``events`` ((event_id, body) pairs), to run after their log rows
    are inserted, in the same transaction: one step (PostgreSQL: one statement)."""
    pairs = [(event_id, item) for event_id, body in events for item in sorted(named(body))]
    if not pairs:
        return []
    if dialect == "postgresql":
        params = {"event_ids": [p[0] for p in pairs], "items": [p[1] for p in pairs]}
        return [Step(PG_INSERT, params, custom_plan=True)]
    return [Step(LOCAL_INSERT, [{"event_id": e, "item": i} for e, i in pairs])]


def derived(rows: Iterable[tuple[int, str]]) -> Iterator[tuple[str, int]]:
    """The (item, position) rows of log rows given as (position, body)."""
    for position, body in rows:
        for item in sorted(named(body)):
            yield item, int(position)


def differences(conn: sa.Connection, *, keep: bool) -> list[str]:
    """Compare each licensee's index rows with those its log derives; with ``keep``, put the
    derived rows in their place. One licensee in memory at a time (its rows, not the log's)."""
    found: list[str] = []
    licences = conn.execute(sa.select(L.c.licence).distinct().order_by(L.c.licence)).scalars()
    indexed = conn.execute(sa.select(EI.c.licence).distinct()).scalars()
    for licence in sorted(set(licences) | set(indexed)):
        log = conn.execute(sa.select(L.c.position, L.c.body).where(L.c.licence == licence))
        want = set(derived((int(p), str(b)) for p, b in log))
        have = {
            (str(item), int(position))
            for item, position in conn.execute(
                sa.select(EI.c.item, EI.c.position).where(EI.c.licence == licence)
            )
        }
        found += _lines(licence, have - want, "only before rebuild")
        found += _lines(licence, want - have, "only after rebuild")
        if keep and want != have:
            conn.execute(EI.delete().where(EI.c.licence == licence))
            _insert(conn, licence, sorted(want))
    return found


def _lines(licence: str, rows: set[tuple[str, int]], where: str) -> list[str]:
    return [f"event_items: {where}: {(licence, item, pos)}" for item, pos in sorted(rows)]


def _insert(conn: sa.Connection, licence: str, rows: Sequence[tuple[str, int]]) -> None:
    chunk = 5000  # rows per executemany, so a large licensee is not one list of millions
    for start in range(0, len(rows), chunk):
        params: list[dict[str, Any]] = [
            {"licence": licence, "item": item, "position": position}
            for item, position in rows[start : start + chunk]
        ]
        conn.execute(EI.insert(), params)
