"""The state link as the console shows it (docs/sync.md): per licensee, whether it files into
its state system and how that goes; and, for one event, the state calls made for it.

Read-only over the connector's tables (``sync_links``, ``sync_calls``, ``sync_outages``) and
the log; ``sync_credentials`` is never read here, so no page can show a credential. The
state's answers and refusal messages are shown as the state worded them (SECONDARY-SYNC:
preserve the original data).
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from server.console.queries.feed import FeedRow, row_from_log
from server.db.among import among
from server.db.core_tables import EVENT_LOG as L
from server.db.core_tables import EVENT_NOTICES as EN
from server.db.core_tables import SYNC_CALLS as CALLS
from server.db.core_tables import SYNC_LINKS as LINKS
from server.db.core_tables import SYNC_OUTAGES as OUTAGES
from server.reads import statecalls
from server.statesync.daily import RECONCILED_KINDS
from server.statesync.notices import NOTES, SYSTEM_NAME
from server.statesync.queue import OPEN, links_of, open_calls_of, unplanned_of

__all__ = ["CallView", "EventCalls", "LinkHealth", "event_calls", "health"]


@dataclass(frozen=True, slots=True)
class Refused:
    call_id: int
    event_id: str
    action: str
    message: str | None  # the state's own words (or why we could not make the call)
    at: datetime | None  # when it was refused (its last attempt)


@dataclass(frozen=True, slots=True)
class LinkHealth:
    licence: str
    linked: bool  # False: no state link is configured (nothing below is meaningful)
    system: str | None  # "Metrc" | "BioTrack"
    access: str  # up | lost | not linked
    cursor: int  # the log position up to which every accepted event is planned
    backlog: int  # calls open or refused, plus accepted events not yet planned
    oldest_unsent: datetime | None
    last_success_at: datetime | None
    refused: int  # calls waiting for a person (retry or skip)
    last_refusal: Refused | None
    outage_since: datetime | None  # access lost and not restored: since when
    outage_cause: str | None
    reconciled_at: datetime | None  # the last daily reconciliation (server.statesync.daily)
    differences: int  # open notifications of differences it found


def _not_linked(licence: str) -> LinkHealth:
    return LinkHealth(
        licence, False, None, "not linked", 0, 0, None, None, 0, None, None, None, None, 0
    )


def _per_licence(conn: Connection, query: sa.Select[Any]) -> dict[str, Any]:
    """A grouped query's (licence, value) rows as a dict."""
    return {licence: value for licence, value in conn.execute(query)}


def _newest(conn: Connection, table: sa.Table, columns: list[Any], *where: Any) -> dict[str, Any]:
    """Per licensee, its newest row (highest id) of ``table`` matching ``where``."""
    newest = sa.select(sa.func.max(table.c.id)).where(*where).group_by(table.c.licence)
    rows = conn.execute(sa.select(table.c.licence, *columns).where(table.c.id.in_(newest)))
    return {row[0]: row[1:] for row in rows}


def _linked(conn: Connection, licences: list[str]) -> list[LinkHealth]:
    """The health of the linked ones of ``licences``: a fixed number of grouped queries,
    however many licensees (one per kind of figure, and one per state system for the events
    not yet planned), each reading only what is open, refused or not yet planned."""
    links = links_of(conn, licences)
    if not links:
        return []
    names = [link.licence for link in links]
    reconciled = _per_licence(
        conn, sa.select(LINKS.c.licence, LINKS.c.reconciled_at).where(LINKS.c.licence.in_(names))
    )
    in_calls = CALLS.c.licence.in_(names)
    oldest = _per_licence(
        conn,
        sa.select(CALLS.c.licence, sa.func.min(CALLS.c.created_at))
        .where(in_calls, CALLS.c.status.in_(OPEN))
        .group_by(CALLS.c.licence),
    )
    refused_calls = [in_calls, CALLS.c.status == "refused"]
    refused = _per_licence(
        conn,
        sa.select(CALLS.c.licence, sa.func.count()).where(*refused_calls).group_by(CALLS.c.licence),
    )
    last_refusal = _newest(
        conn,
        CALLS,
        [CALLS.c.id, CALLS.c.event_id, CALLS.c.action, CALLS.c.message, CALLS.c.last_attempt_at],
        *refused_calls,
    )
    outage = _newest(
        conn,
        OUTAGES,
        [OUTAGES.c.lost_at, OUTAGES.c.lost_cause],
        OUTAGES.c.licence.in_(names),
        OUTAGES.c.restored_at.is_(None),
    )
    differences = _per_licence(
        conn,
        sa.select(NOTES.c.licence, sa.func.count())
        .where(
            NOTES.c.licence.in_(names),
            NOTES.c.rule_id == "SECONDARY-SYNC",
            NOTES.c.subject_type.in_(RECONCILED_KINDS),
            NOTES.c.state.in_(("open", "overdue")),
        )
        .group_by(NOTES.c.licence),
    )
    waiting, unsent = open_calls_of(conn, names), unplanned_of(conn, links)
    out = []
    for link in links:
        lic = link.licence
        last, lost = last_refusal.get(lic), outage.get(lic)
        out.append(
            LinkHealth(
                licence=lic,
                linked=True,
                system=SYSTEM_NAME.get(link.system, link.system),
                access=link.access,
                cursor=link.cursor,
                backlog=waiting.get(lic, 0) + unsent.get(lic, 0),
                oldest_unsent=oldest.get(lic),
                last_success_at=link.last_success_at,
                refused=refused.get(lic, 0),
                last_refusal=None if last is None else Refused(*last),
                outage_since=None if lost is None else lost[0],
                outage_cause=None if lost is None else lost[1],
                reconciled_at=reconciled.get(lic),
                differences=differences.get(lic, 0),
            )
        )
    return out


def health(engine: Engine, licences: Sequence[str]) -> list[LinkHealth]:
    """The state link of each of ``licences``, in licence order (unlinked ones included).
    Which of them are linked, and every figure of the linked ones, are a fixed number of
    queries (:func:`_linked`): a regulator's page over hundreds of licensees costs the same
    round trips as a licensee's own."""
    with engine.connect() as conn:
        linked = {h.licence: h for h in _linked(conn, list(licences))}
    return [linked[lic] if lic in linked else _not_linked(lic) for lic in sorted(licences)]


@dataclass(frozen=True, slots=True)
class CallView:
    id: int
    call_index: int
    system: str
    action: str
    status: str
    attempts: int
    request: str | None  # the body as sent, pretty-printed JSON
    state_ids: list[str]
    response: str | None  # the state's answer as it sent it
    message: str | None
    first_sent_at: datetime | None
    done_at: datetime | None


@dataclass(frozen=True, slots=True)
class EventCalls:
    event: FeedRow
    linked: bool
    calls: list[CallView]


def _pretty(text: str | None) -> str | None:
    """A stored JSON request indented for reading; anything else as stored."""
    if text is None:
        return None
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except json.JSONDecodeError:
        return text


CALL_FIELDS = frozenset(f.name for f in fields(CallView))


def _call_view(r: sa.RowMapping) -> CallView:
    """A stored call as shown: the system's name, the request indented, the ids decoded."""
    shown = {k: v for k, v in r.items() if k in CALL_FIELDS}
    ids = r["state_ids"]
    return CallView(
        **{
            **shown,
            "system": SYSTEM_NAME.get(r["system"], r["system"]),
            "request": _pretty(r["request"]),
            "state_ids": [] if ids is None else [str(i) for i in json.loads(ids)],
        }
    )


def event_calls(engine: Engine, licences: Sequence[str], event_id: str) -> EventCalls | None:
    """Event ``event_id`` of one of ``licences`` with its state calls in order; None when no
    such event is visible (another licensee's is the same as none)."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(L, EN.c.notices)
            .select_from(L.outerjoin(EN, EN.c.event_id == L.c.event_id))
            .where(among(L.c.licence, licences), L.c.event_id == event_id)
        ).first()
        if row is None:
            return None
        event = row_from_log(row)
        linked = conn.execute(
            sa.select(LINKS.c.licence).where(LINKS.c.licence == event.licence)
        ).first()
        calls = [_call_view(r) for r in statecalls.event_calls(conn, event.licence, event_id)]
    return EventCalls(event, linked is not None, calls)
