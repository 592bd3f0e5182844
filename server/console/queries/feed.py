"""The floor feed: events from the log, newest first, with their outcome and why.

Rows come straight from ``event_log`` (the record, accepted and rejected alike).
:func:`recent` fills the page; :func:`after` gives what arrived since a log position, for the
live stream (:mod:`server.console.live`).
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.describe import describe_stored
from server.compliance.deadlines.store import jurisdiction_of, own_citations
from server.compliance.rules.people import SERVER_OPERATOR
from server.db.among import among
from server.db.core_tables import EVENT_LOG as L
from server.db.core_tables import EVENT_NOTICES as EN
from server.db.core_tables import STATIONS as ST
from server.db.core_tables import USERS

JURISDICTION = jurisdiction_of(L.c.licence)  # select it beside a log row: cited as its own


@dataclass(frozen=True, slots=True)
class Problem:
    rule_id: str
    citation: str
    message: str


@dataclass(frozen=True, slots=True)
class FeedRow:
    position: int
    event_id: str
    licence: str
    station_id: str
    operator_id: str
    device_id: str | None
    kind: str
    occurred_at: datetime
    received_at: datetime
    outcome: str  # accepted | rejected
    summary: str
    violations: list[Problem] = field(default_factory=list)
    corrects: str | None = None  # a correction: the event_id of the event it corrects
    notices: list[Problem] = field(default_factory=list)  # accepted, but flagged (e.g. late)

    @property
    def accepted(self) -> bool:
        return self.outcome == "accepted"


@dataclass(frozen=True, slots=True)
class FeedFilter:
    """Which events to show: ``None`` means any station / operator."""

    station: str | None = None
    operator: str | None = None


def row_from_log(r: sa.Row[tuple[object, ...]]) -> FeedRow:
    """A FeedRow from an ``event_log`` row."""
    m = r._mapping
    body = str(m["body"])
    payload = _payload(body)
    corrects = payload.get("corrects") if payload.get("kind") == "record.corrected" else None
    jurisdiction = m.get("jurisdiction")
    problems = _problems(m["violations"], jurisdiction)
    return FeedRow(
        position=int(m["position"]),
        event_id=str(m["event_id"]),
        licence=str(m["licence"]),
        station_id=str(m["station_id"]),
        operator_id=str(m["operator_id"]),
        device_id=None if m["device_id"] is None else str(m["device_id"]),
        kind=str(m["kind"]),
        occurred_at=m["occurred_at"],
        received_at=m["received_at"],
        outcome=str(m["outcome"]),
        summary=describe_stored(body),
        violations=problems,
        corrects=corrects if isinstance(corrects, str) else None,
        notices=_problems(m.get("notices"), jurisdiction),
    )


def _problems(text: object, jurisdiction: object = None) -> list[Problem]:
    """Violations or notices as stored (a JSON list of schemas.acks.Violation, or nothing),
    each citing the licensee's own jurisdiction when the row brought it
    (:data:`JURISDICTION`)."""
    if not isinstance(text, str) or text == "":
        return []
    own = jurisdiction if isinstance(jurisdiction, str) else None
    return [
        Problem(v.get("rule_id", "?"), v.get("citation", ""), v.get("message", ""))
        for v in own_citations(json.loads(text), own)
    ]


def _payload(body: str) -> dict[str, object]:
    try:
        envelope = json.loads(body)
    except json.JSONDecodeError:
        return {}
    payload = envelope.get("payload") if isinstance(envelope, dict) else None
    return payload if isinstance(payload, dict) else {}


def _select(licences: Sequence[str], where: FeedFilter) -> sa.Select[tuple[object, ...]]:
    """The log's rows with the notices their acks carried (late events), if any."""
    query = (
        sa.select(L, EN.c.notices, JURISDICTION)
        .select_from(L.outerjoin(EN, EN.c.event_id == L.c.event_id))
        .where(among(L.c.licence, licences))
    )
    if where.station is not None:
        query = query.where(L.c.station_id == where.station)
    if where.operator is not None:
        query = query.where(L.c.operator_id == where.operator)
    return query


def recent(
    engine: Engine, licences: Sequence[str], where: FeedFilter, limit: int = 100
) -> list[FeedRow]:
    """The newest ``limit`` events that match, newest first.

    One licensee's are read newest first through its ``(licence, chain_index)`` index: its
    hash chain numbers its events in log order (docs/integrity.md), so that order is the
    position's. Ordered by position, PostgreSQL walks the whole log's positions backwards
    until it has met ``limit`` of the licensee's, which for a licensee quiet of late is most
    of the log (270 ms at a million events). For
    several (a regulator), no index gives the newest of many licensees in order, and sorting
    all their events grows with the log: the newest positions of the whole log are read in
    windows instead (``4 * limit`` positions, then 8 times wider), which stops once ``limit``
    match. It costs ``limit`` divided by the share of the log that matches; only a filter
    that matches almost nothing reads back to the start."""
    query = _select(licences, where).order_by(L.c.position.desc()).limit(limit)
    with engine.connect() as conn:
        if len(licences) <= 1:
            own = query.order_by(None).order_by(L.c.chain_index.desc())
            return [row_from_log(r) for r in conn.execute(own)]
        top = conn.execute(sa.select(sa.func.max(L.c.position))).scalar_one()
        span = 4 * limit
        while True:
            floor = 0 if top is None else top - span
            rows = conn.execute(query.where(L.c.position > floor)).all()
            if len(rows) >= limit or floor <= 0:
                return [row_from_log(r) for r in rows]
            span *= 8


def after(
    engine: Engine, licences: Sequence[str], where: FeedFilter, position: int, limit: int = 500
) -> list[FeedRow]:
    """Events after log ``position`` that match, oldest first (the order to show them in)."""
    query = (
        _select(licences, where).where(L.c.position > position).order_by(L.c.position).limit(limit)
    )
    with engine.connect() as conn:
        return [row_from_log(r) for r in conn.execute(query)]


def last_position(engine: Engine) -> int:
    """The newest log position, or 0 for an empty log: where a new stream starts."""
    with engine.connect() as conn:
        value = conn.execute(sa.select(sa.func.max(L.c.position))).scalar_one()
    return 0 if value is None else int(value)


@dataclass(frozen=True, slots=True)
class FilterChoices:
    stations: list[str]
    operators: list[str]


def choices(engine: Engine, licences: Sequence[str]) -> FilterChoices:
    """The stations and operators of these licences, for the filter menus: the stations the
    ledger keeps (every station that has sent an event) and the people on the roster, with
    the server itself. Read from those small tables, not the log, so the menus cost the same
    however many events the licensees have."""
    lic = list(licences)
    with engine.connect() as conn:
        stations = conn.execute(
            sa.select(ST.c.station_id)
            .where(ST.c.licence.in_(lic))
            .distinct()
            .order_by(ST.c.station_id)
        ).scalars()
        operators = set(
            conn.execute(sa.select(USERS.c.user_id).where(USERS.c.licence.in_(lic))).scalars()
        )
        return FilterChoices(list(stations), sorted(operators | {SERVER_OPERATOR}))
