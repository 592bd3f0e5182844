"""The connector's side of the database: links, leases, planning events into calls, call
states, the state's ids of our objects (docs/sync.md, The queue).

The queue is ``event_log``: every accepted event of a licensee, in ``position`` order, written
in the event's own transaction by the ingest (which this module never touches). The connector
keeps a **cursor** per licensee (``sync_links.cursor``): :func:`plan_next` reads the accepted
events after it, turns each into its calls with the pure :func:`server.statesync.mapping.plan`
and inserts one ``sync_calls`` row per call, moving the cursor in the same transaction; so an
event is planned exactly once, whatever crashes.

**Leases** (``sync_links.lease_owner`` / ``lease_until``): one conditional UPDATE takes a free,
expired or own lease (:func:`acquire`), atomic on SQLite and PostgreSQL alike. Every
transaction the connector commits for a licensee first renews its lease with
:func:`hold`, which raises :class:`LeaseLost` when another process has it: a process that
stalled past its lease can change nothing.

**Which call is next** (:func:`next_call`): the licensee's first open call (``pending``,
``sent``, ``unknown``) in log order (event position, then call index) whose ``not_before`` has
come. Behind a ``refused`` call only the calls about the same objects wait
(:mod:`server.statesync.depends`; docs/sync.md says why); the others go on.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from schemas.events import EventEnvelope
from server.db.among import among
from server.db.core import table_of
from server.db.statesync import SyncCall, SyncLink, SyncObject
from server.db.tables import EventLog
from server.statesync.depends import Blocked
from server.statesync.mapping import SYSTEM_OF, TABLES, Planned, System, plan

__all__ = [
    "OPEN",
    "CallRow",
    "LeaseLost",
    "LinkRow",
    "Objects",
    "acquire",
    "configure_link",
    "get_link",
    "hold",
    "insert_calls",
    "links",
    "next_call",
    "plan_next",
    "release",
    "runnable",
    "update_call",
]

LINKS = table_of(SyncLink)
CALLS = table_of(SyncCall)
OBJECTS = table_of(SyncObject)
LOG = table_of(EventLog)
OPEN = ("pending", "sent", "unknown")


class LeaseLost(Exception):
    """Another connector process holds the licensee now; this one must let it go."""


@dataclass(frozen=True)
class LinkRow:
    licence: str
    system: System
    base_url: str
    cursor: int
    access: str
    lease_owner: str | None
    lease_until: datetime | None
    last_success_at: datetime | None
    unreachable_since: datetime | None = None
    unreachable_cause: str | None = None


@dataclass(frozen=True)
class CallRow:
    id: int
    licence: str
    event_id: str
    call_index: int
    system: System
    action: str
    operator_id: str
    plan: dict[str, Any]
    request: dict[str, Any] | None
    nonce: str | None
    readback: dict[str, Any] | None
    status: str
    attempts: int
    first_sent_at: datetime | None
    notification_id: int | None


def _link(row: sa.Row[Any]) -> LinkRow:
    m = row._mapping
    return LinkRow(**{k: m[k] for k in LinkRow.__dataclass_fields__})


def _call(row: sa.Row[Any]) -> CallRow:
    m = row._mapping
    values = {k: m[k] for k in CallRow.__dataclass_fields__}
    for name in ("plan", "request", "readback"):
        values[name] = None if m[name] is None else json.loads(m[name])
    return CallRow(**values)


def configure_link(
    engine: Engine, licence: str, base_url: str, *, now: datetime, from_now: bool = False
) -> LinkRow:
    """Link ``licence`` to its jurisdiction's state system at ``base_url`` (or change the
    URL). A new link files everything accepted so far, unless ``from_now``."""
    with engine.begin() as conn:
        jurisdiction = conn.execute(
            sa.text("SELECT jurisdiction FROM licensees WHERE licence = :l"), {"l": licence}
        ).scalar_one_or_none()
        if jurisdiction is None:
            raise ValueError(f"licence {licence} is not registered")
        system = SYSTEM_OF.get(jurisdiction)
        if system is None:
            raise ValueError(f"{licence} is in {jurisdiction}, which has no state system we file")
        existing = conn.execute(sa.select(LINKS).where(LINKS.c.licence == licence)).first()
        if existing is not None:
            conn.execute(
                sa.update(LINKS).where(LINKS.c.licence == licence).values(base_url=base_url)
            )
        else:
            cursor = 0
            if from_now:
                cursor = conn.execute(
                    sa.select(sa.func.coalesce(sa.func.max(LOG.c.position), 0)).where(
                        LOG.c.licence == licence
                    )
                ).scalar_one()
            conn.execute(
                sa.insert(LINKS).values(
                    licence=licence,
                    system=system,
                    base_url=base_url,
                    cursor=cursor,
                    access="up",
                    created_at=now,
                )
            )
        return _link(conn.execute(sa.select(LINKS).where(LINKS.c.licence == licence)).one())


def get_link(conn: Connection, licence: str) -> LinkRow:
    row = conn.execute(sa.select(LINKS).where(LINKS.c.licence == licence)).first()
    if row is None:
        raise LookupError(f"{licence} is not linked to a state system (`seedtrace sync link`)")
    return _link(row)


def links(conn: Connection) -> list[LinkRow]:
    return [_link(r) for r in conn.execute(sa.select(LINKS).order_by(LINKS.c.licence))]


def acquire(engine: Engine, licence: str, owner: str, now: datetime, lease_s: float) -> bool:
    """Take (or renew) ``licence``'s lease for ``owner``; False when another owner's lease
    has not expired."""
    with engine.begin() as conn:
        done = conn.execute(
            sa.update(LINKS)
            .where(
                LINKS.c.licence == licence,
                sa.or_(
                    LINKS.c.lease_owner.is_(None),
                    LINKS.c.lease_owner == owner,
                    LINKS.c.lease_until < now,
                ),
            )
            .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_s))
        )
        return done.rowcount == 1


def hold(conn: Connection, licence: str, owner: str, now: datetime, lease_s: float) -> None:
    """Renew ``owner``'s unexpired lease in this transaction, or raise :class:`LeaseLost`."""
    done = conn.execute(
        sa.update(LINKS)
        .where(
            LINKS.c.licence == licence,
            LINKS.c.lease_owner == owner,
            LINKS.c.lease_until >= now,
        )
        .values(lease_until=now + timedelta(seconds=lease_s))
    )
    if done.rowcount != 1:
        raise LeaseLost(f"{owner} no longer holds the lease of {licence}")


def release(engine: Engine, licence: str, owner: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(LINKS)
            .where(LINKS.c.licence == licence, LINKS.c.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )


def plan_next(conn: Connection, link: LinkRow, now: datetime, limit: int = 100) -> int:
    """Plan up to ``limit`` accepted events after the cursor into calls; returns how many
    events were read (0: the licensee's log is all planned)."""
    rows = conn.execute(
        sa.select(LOG.c.position, LOG.c.body)
        .where(
            LOG.c.licence == link.licence,
            LOG.c.position > link.cursor,
            LOG.c.outcome == "accepted",
        )
        .order_by(LOG.c.position)
        .limit(limit)
    ).all()
    for position, body in rows:
        event = EventEnvelope.model_validate_json(body)
        for index, call in enumerate(plan(event, link.system)):
            conn.execute(
                sa.insert(CALLS).values(
                    licence=link.licence,
                    event_id=event.event_id,
                    position=position,
                    call_index=index,
                    system=link.system,
                    action=call.action,
                    operator_id=event.operator_id,
                    plan=json.dumps(call.args | {"wait_s": call.wait_s}),
                    status="pending",
                    # A waiting call (BioTrack destroy) is dated once its predecessor is done;
                    # until then it is held back from the start of the wait.
                    not_before=event.occurred_at + timedelta(seconds=call.wait_s)
                    if call.wait_s
                    else None,
                    attempts=0,
                    created_at=now,
                )
            )
    if rows:
        conn.execute(
            sa.update(LINKS).where(LINKS.c.licence == link.licence).values(cursor=rows[-1][0])
        )
    return len(rows)


def blocked_by(conn: Connection, licence: str) -> CallRow | None:
    """The licensee's first refused call, if any."""
    row = conn.execute(
        sa.select(CALLS)
        .where(CALLS.c.licence == licence, CALLS.c.status == "refused")
        .order_by(CALLS.c.id)
        .limit(1)
    ).first()
    return None if row is None else _call(row)


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(CALLS.c.not_before.is_(None), CALLS.c.not_before <= now)


def next_call(conn: Connection, licence: str, now: datetime) -> CallRow | None:
    """The call to work on now, or None (nothing due, or only calls held up by a refusal)."""
    return next(runnable(conn, licence, now, limit=1), None)


def runnable(
    conn: Connection, licence: str, now: datetime, *, limit: int | None = None
) -> Iterator[CallRow]:
    """The calls that may go now, in the order they are to go: :func:`next_call` is the first;
    the ones after it are what would go next, one by one (a Metrc batch gathers from them).
    ``limit`` bounds the rows read when no refusal stands."""
    in_order = (CALLS.c.position, CALLS.c.call_index)
    if blocked_by(conn, licence) is None:
        rows = conn.execute(
            sa.select(CALLS)
            .where(CALLS.c.licence == licence, CALLS.c.status.in_(OPEN), _due(now))
            # The log's order, and within an event its calls' order: calls an earlier call
            # added to its event (insert_calls) come before the next event's, whatever their ids.
            .order_by(*in_order)
            .limit(limit)
        ).all()
        yield from (_call(row) for row in rows)
        return
    # Refusals: walk the open and refused calls in log order; a call whose event concerns a
    # refused event's objects waits (server.statesync.depends), any other goes.
    blocked = Blocked()
    events: dict[str, EventEnvelope] = {}
    walk = conn.execute(
        sa.select(CALLS, LOG.c.body)
        .join(LOG, LOG.c.event_id == CALLS.c.event_id)
        .where(CALLS.c.licence == licence, CALLS.c.status.in_((*OPEN, "refused")))
        .order_by(*in_order)
    ).all()
    for row in walk:
        m = row._mapping
        event = events.get(m["event_id"])
        if event is None:
            event = events[m["event_id"]] = EventEnvelope.model_validate_json(m["body"])
        if m["status"] == "refused":
            blocked.refused(event, m["action"], json.loads(m["plan"]))
        elif not blocked.holds(event) and (m["not_before"] is None or m["not_before"] <= now):
            yield _call(row)


def insert_calls(
    conn: Connection, after: CallRow, planned: list[Planned], now: datetime
) -> list[int]:
    """Add ``planned`` to ``after``'s event, right after it (call indexes ``after + 1`` on):
    for a call that learns only when it is reached how many calls its event needs (BioTrack's
    cure of a harvest, one ``plant_cure`` per plant). The event's later calls, if any, move
    up. Returns the new calls' ids."""
    later = conn.execute(
        sa.select(CALLS.c.id, CALLS.c.call_index)
        .where(CALLS.c.event_id == after.event_id, CALLS.c.call_index > after.call_index)
        .order_by(CALLS.c.call_index.desc())
    ).all()
    for row in later:  # highest first, so no two calls of the event share an index meanwhile
        conn.execute(
            sa.update(CALLS)
            .where(CALLS.c.id == row.id)
            .values(call_index=row.call_index + len(planned))
        )
    made = []
    for offset, call in enumerate(planned, start=1):
        made.append(
            conn.execute(
                sa.insert(CALLS)
                .values(
                    licence=after.licence,
                    event_id=after.event_id,
                    position=conn.execute(
                        sa.select(CALLS.c.position).where(CALLS.c.id == after.id)
                    ).scalar_one(),
                    call_index=after.call_index + offset,
                    system=after.system,
                    action=call.action,
                    operator_id=after.operator_id,
                    plan=json.dumps(call.args | {"wait_s": call.wait_s}),
                    status="pending",
                    attempts=0,
                    created_at=now,
                )
                .returning(CALLS.c.id)
            ).scalar_one()
        )
    return made


def sibling(conn: Connection, call: CallRow, index: int) -> CallRow:
    """Call ``index`` of the same event."""
    row = conn.execute(
        sa.select(CALLS).where(CALLS.c.event_id == call.event_id, CALLS.c.call_index == index)
    ).one()
    return _call(row)


def update_call(conn: Connection, call_id: int, **values: Any) -> None:
    for name in ("request", "readback", "state_ids"):
        if name in values and values[name] is not None and not isinstance(values[name], str):
            values[name] = json.dumps(values[name])
    conn.execute(sa.update(CALLS).where(CALLS.c.id == call_id).values(**values))


def start_waits(conn: Connection, call: CallRow, done_at: datetime) -> None:
    """Date the event's waiting calls from ``done_at``, the moment their predecessor was
    done (BioTrack's 72 hours run from the schedule, not from our event)."""
    later = conn.execute(
        sa.select(CALLS.c.id, CALLS.c.plan).where(
            CALLS.c.event_id == call.event_id, CALLS.c.call_index == call.call_index + 1
        )
    ).first()
    if later is None:
        return
    wait_s = json.loads(later.plan).get("wait_s", 0)
    if wait_s:
        conn.execute(
            sa.update(CALLS)
            .where(CALLS.c.id == later.id)
            .values(not_before=done_at + timedelta(seconds=wait_s))
        )


def open_calls(conn: Connection, licence: str) -> int:
    return open_calls_of(conn, [licence]).get(licence, 0)


def open_calls_of(conn: Connection, licences: list[str]) -> dict[str, int]:
    """Calls not done yet (open or refused) per licensee, in one grouped query; a licensee
    without any is left out."""
    query = (
        sa.select(CALLS.c.licence, sa.func.count())
        .where(among(CALLS.c.licence, licences), CALLS.c.status.in_((*OPEN, "refused")))
        .group_by(CALLS.c.licence)
    )
    return {licence: n for licence, n in conn.execute(query)}


def unplanned(conn: Connection, link: LinkRow) -> int:
    """Accepted events after the cursor of kinds that file anything into the link's system."""
    return unplanned_of(conn, [link]).get(link.licence, 0)


def unplanned_of(conn: Connection, links: list[LinkRow]) -> dict[str, int]:
    """:func:`unplanned` of each link, one grouped query per state system (each files other
    kinds); a licensee without any is left out. Reads the events after each cursor: what is
    not planned yet, not the log."""
    out: dict[str, int] = {}
    for system in sorted({link.system for link in links}):
        cursors = [
            sa.and_(LOG.c.licence == link.licence, LOG.c.position > link.cursor)
            for link in links
            if link.system == system
        ]
        query = (
            sa.select(LOG.c.licence, sa.func.count())
            .where(
                sa.or_(*cursors),
                LOG.c.outcome == "accepted",
                LOG.c.kind.in_(list(TABLES[system])),
            )
            .group_by(LOG.c.licence)
        )
        out.update({licence: n for licence, n in conn.execute(query)})
    return out


def links_of(conn: Connection, licences: list[str]) -> list[LinkRow]:
    """The links of those of ``licences`` that are linked, in licence order."""
    query = sa.select(LINKS).where(among(LINKS.c.licence, licences)).order_by(LINKS.c.licence)
    return [_link(r) for r in conn.execute(query)]


class Objects:
    """The state's ids (and what we keep of them) for one licensee's objects, on ``conn``."""

    def __init__(self, conn: Connection, licence: str, system: str, now: datetime) -> None:
        self.conn, self.licence, self.system, self.now = conn, licence, system, now

    def _where(self, kind: str, key: str) -> list[sa.ColumnElement[bool]]:
        return [
            OBJECTS.c.licence == self.licence,
            OBJECTS.c.system == self.system,
            OBJECTS.c.kind == kind,
            OBJECTS.c.key == key,
        ]

    def get(self, kind: str, key: str) -> tuple[str, dict[str, Any]] | None:
        row = self.conn.execute(
            sa.select(OBJECTS.c.state_id, OBJECTS.c.data).where(*self._where(kind, key))
        ).first()
        return None if row is None else (row.state_id, json.loads(row.data))

    def put(self, kind: str, key: str, state_id: str, data: dict[str, Any] | None = None) -> None:
        self.conn.execute(sa.delete(OBJECTS).where(*self._where(kind, key)))
        self.conn.execute(
            sa.insert(OBJECTS).values(
                licence=self.licence,
                system=self.system,
                kind=kind,
                key=key,
                state_id=state_id,
                data=json.dumps(data or {}),
                updated_at=self.now,
            )
        )

    def sibling_request(self, call: CallRow, index: int) -> dict[str, Any]:
        found = sibling(self.conn, call, index).request
        if found is None:
            raise LookupError(f"call {index} of event {call.event_id} was never sent")
        return found
