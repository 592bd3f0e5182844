"""The notification store: list, get and dismiss for people; open, resolve and mark overdue for
the engine; the late notices of each event for its ack.

Dismissing (acknowledging) follows OR System Notifications (1)-(2) and CA 8404(d): an
informational notification may be dismissed at any time; a compliance notification only once
the issue it names is resolved. :func:`dismiss` refuses otherwise with
:class:`DismissRefused`, naming the rule and what resolves it.

Errors::

    NotificationError (ValueError)
    ├── NotificationNotFound
    └── DismissRefused
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pydantic import AwareDatetime, BaseModel, ConfigDict, model_validator
from sqlalchemy.engine import Engine

from schemas.acks import Violation
from server.compliance.deadlines.model import (
    UNRESOLVED,
    Category,
    LicenseeCalendar,
    Open,
    State,
    show_due,
)
from server.compliance.rules.calendar import JURISDICTIONS
from server.compliance.rules.catalogue import CATALOGUE
from server.db.among import FEW, among
from server.db.core_tables import EVENT_NOTICES as NOTICES
from server.db.core_tables import LICENSEES as LIC
from server.db.core_tables import NOTIFICATIONS as N
from server.db.core_tables import USERS
from server.db.hints import unindexed

DISMISS_CITATION = {
    "OR": "OR System Notifications (1)",
    "CA": "CA 8404(d)",
    # Connecticut's text sets no rule for dismissing notifications (and its pack has no
    # deadlines); the same keeping is seedtrace's own, said as such, not another state's law.
    "CT": "seedtrace house policy; Connecticut's text sets no rule on dismissing notifications",
}


class NotificationError(ValueError):
    pass


class NotificationNotFound(NotificationError):
    pass


class DismissRefused(NotificationError):
    pass


class NotificationPublic(BaseModel):
    """A notification as a compliance manager sees it."""

    model_config = ConfigDict(frozen=True)

    id: int
    licence: str
    rule_id: str
    citation: str
    category: Category
    state: State
    subject_type: str  # what item it concerns: tag, harvest_batch, manifest, event, ...
    subject_id: str
    message: str
    resolves_by: str  # what resolves it
    pending: list[str]  # items still outstanding (a transfer's unreceived UIDs)
    started_at: AwareDatetime
    due_at: AwareDatetime | None
    opened_at: AwareDatetime
    opened_by_event: str | None
    overdue_at: AwareDatetime | None
    resolved_at: AwareDatetime | None
    resolved_by_event: str | None
    dismissed_at: AwareDatetime | None
    dismissed_by: str | None
    # ``due_at`` as the premises read it ('end of Wed 2026-12-02 (PST)'), as acks say it.
    due: str | None = None
    # The citation stored when the notification was raised, where it is not the licensee's
    # own (raised before citations were per jurisdiction: "OR ...; CA ..."); else None.
    recorded_citation: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _as_the_licensee_reads_it(cls, values: Any) -> Any:
        """Built from a row with the licensee's ``timezone`` and ``jurisdiction``
        (:func:`select_public`): the due time in words, in that zone, and the citation of
        the licensee's own jurisdiction (:func:`own_citation`). The stored row is not
        changed: the notification's history keeps what it said."""
        if isinstance(values, dict) and "timezone" in values:
            values = dict(values)
            zone, due = ZoneInfo(values.pop("timezone")), values.get("due_at")
            values["due"] = None if due is None else show_due(due, zone)
        if isinstance(values, dict) and "jurisdiction" in values:
            jurisdiction, stored = values.pop("jurisdiction"), values.get("citation")
            if isinstance(stored, str):
                own = own_citation(str(values.get("rule_id")), jurisdiction, stored)
                if own != stored:
                    values["citation"], values["recorded_citation"] = own, stored
                    message = values.get("message")
                    if isinstance(message, str):
                        values["message"] = message.replace(f"({stored})", f"({own})")
        return values

    @property
    def late(self) -> bool:
        """Resolved after its due time, or still unresolved past it."""
        if self.due_at is None:
            return False
        if self.resolved_at is not None:
            return self.resolved_at >= self.due_at
        return self.overdue_at is not None


def own_citation(rule_id: str, jurisdiction: str, stored: str) -> str:
    """The citation a licensee of ``jurisdiction`` reads for a notification of ``rule_id``:
    its own text's provisions (:meth:`~server.compliance.rules.catalogue.CatalogueEntry.cite`); the
    ``stored`` one for a rule the catalogue does not know or that is not in that
    jurisdiction's pack (the state connector's, say)."""
    entry = CATALOGUE.get(rule_id)
    own = next((j for j in JURISDICTIONS if j == jurisdiction), None)  # typed as one of them
    if entry is None or own is None or own not in entry.jurisdictions:
        return stored
    return entry.cite(own)


def jurisdiction_of(licence: sa.ColumnElement[str]) -> sa.Label[str]:
    """A column: the jurisdiction of the licensee named by ``licence`` (a scalar subquery, so
    it joins any select of rows that carry a licence)."""
    return (
        sa.select(LIC.c.jurisdiction)
        .where(LIC.c.licence == licence)
        .scalar_subquery()
        .label("jurisdiction")
    )


def own_citations(
    violations: list[dict[str, Any]], jurisdiction: str | None
) -> list[dict[str, Any]]:
    """Stored violations (or notices) with each citation read as ``jurisdiction``'s licensee
    reads it (:func:`own_citation`), in the citation and where the message quotes it: a
    rejection stored before citations followed the licensee's jurisdiction is shown with its
    own state's provisions. The log row itself is not changed; with no jurisdiction the
    stored text stands."""
    if jurisdiction is None:
        return violations
    shown = []
    for v in violations:
        stored = str(v.get("citation", ""))
        own = own_citation(str(v.get("rule_id", "")), jurisdiction, stored)
        message = str(v.get("message", "")).replace(f"({stored})", f"({own})")
        shown.append({**v, "citation": own, "message": message})
    return shown


def select_public() -> sa.Select[Any]:
    """Notifications with their licensee's zone and jurisdiction, to build
    :class:`NotificationPublic` from."""
    return sa.select(N, LIC.c.timezone, LIC.c.jurisdiction).join(LIC, LIC.c.licence == N.c.licence)


def _public(row: sa.Row[Any]) -> NotificationPublic:
    values = dict(row._mapping)
    values["pending"] = json.loads(values["pending"])
    return NotificationPublic.model_validate(values)


# --- for people (the ops console and API) ------------------------------------------------


def list_notifications(
    engine: Engine,
    licence: str,
    *,
    states: Sequence[State] | None = None,
    rule_id: str | None = None,
) -> list[NotificationPublic]:
    """A licensee's notifications, oldest first, optionally only in ``states`` / of one rule."""
    query = select_public().where(N.c.licence == licence).order_by(N.c.id)
    if states is not None:
        query = query.where(N.c.state.in_([s.value for s in states]))
    if rule_id is not None:
        query = query.where(N.c.rule_id == rule_id)
    with engine.connect() as conn:
        return [_public(r) for r in conn.execute(query).all()]


def count_overdue(engine: Engine, licences: Sequence[str], now: datetime) -> int:
    """How many unresolved notifications of ``licences`` are past due at ``now``: marked
    overdue by the sweep, or open with a due time at or before ``now`` (the sweep may not have
    run since). One ``COUNT`` through the ``(licence, state)`` index: no row is read into
    Python, so a regulator's page over hundreds of licensees does not build every outstanding
    notification to count a number."""
    if not licences:
        return 0
    query = (
        sa.select(sa.func.count())
        .select_from(N)
        .where(
            among(N.c.licence, licences),
            sa.or_(
                N.c.state == State.OVERDUE.value,
                sa.and_(N.c.state == State.OPEN.value, N.c.due_at <= now),
            ),
        )
    )
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


@dataclass(frozen=True, slots=True)
class DueWindow:
    """Unresolved notifications in ``state`` with a due time after ``after`` (exclusive) and
    at or before ``until`` (inclusive); ``None`` leaves that side open. UTC."""

    state: State
    after: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Urgency:
    """A group of unresolved notifications as the console lists them: those in any of the
    ``dated`` windows by due time (soonest first, then id), then those in ``undated`` (a
    state) with no due time, by id; all compliance ones before any informational one."""

    dated: tuple[DueWindow, ...]
    undated: State | None = None


@dataclass(frozen=True, slots=True)
class Position:
    """Where a notification stands in an :class:`Urgency`'s order: the keyset cursor after
    which the next ones are read (its category, due time or None, and id)."""

    category: Category
    due_at: datetime | None
    id: int


CATEGORIES = (Category.COMPLIANCE, Category.INFORMATIONAL)  # the order of a group


def _in_window(window: DueWindow) -> sa.ColumnElement[bool]:
    terms = [N.c.state == window.state.value, N.c.due_at.is_not(None)]
    if window.after is not None:
        terms.append(N.c.due_at > window.after)
    if window.until is not None:
        terms.append(N.c.due_at <= window.until)
    return sa.and_(*terms)


@dataclass(frozen=True, slots=True)
class Occupancy:
    """How many notifications one :class:`Urgency` holds (``total``) and how many of them are
    in each of its parts: a category and a window (its index in ``dated``, or
    ``len(dated)`` for the undated ones). :func:`most_urgent` leaves out the parts that hold
    none, each of which would have been a query."""

    parts: dict[tuple[Category, int], int]

    @property
    def total(self) -> int:
        return sum(self.parts.values())

    def holds(self, category: Category, part: int) -> bool:
        return self.parts.get((category, part), 0) > 0


def _parts(group: Urgency) -> list[tuple[int, sa.ColumnElement[bool]]]:
    terms = [(i, _in_window(w)) for i, w in enumerate(group.dated)]
    if group.undated is not None:
        undated = sa.and_(N.c.state == group.undated.value, N.c.due_at.is_(None))
        terms.append((len(group.dated), undated))
    return terms


def most_urgent(
    engine: Engine,
    licences: Sequence[str],
    group: Urgency,
    limit: int,
    after: Position | None = None,
    held: Occupancy | None = None,
) -> list[NotificationPublic]:
    """The first ``limit`` notifications of ``licences`` in ``group``'s order (after
    ``after`` when given: the next page), as a sort of all of them would list them. With
    ``held`` (:func:`count_by_part`, just before), the parts it counted none in are not read:
    on a regulator's page most parts are empty, and each read of one is planned for the
    licences sent with it (about 1 ms for 500 on PostgreSQL), whatever it finds.

    One query per window and category and one per category for the undated ones, each
    ``LIMIT`` what is still wanted and read in order through the ``(state, category, due_at,
    id)`` index (for a few licensees the planner may take ``(licence, state)`` and sort their
    outstanding ones instead); the windows' rows are merged here. So at most about ``limit``
    rows per query come back, and what the scans pass over (other licensees' rows), never the
    whole of what is outstanding or the history. Nothing when ``licences`` is empty.
    """
    if not licences or limit <= 0:
        return []
    mine = among(N.c.licence, licences)
    shown: list[NotificationPublic] = []
    with engine.connect() as conn:
        for category in CATEGORIES:
            if after is not None and CATEGORIES.index(category) < CATEGORIES.index(after.category):
                continue  # the cursor is past this category
            cursor = after if after is not None and after.category is category else None
            of_kind = sa.and_(mine, N.c.category == category.value)
            if cursor is None or cursor.due_at is not None:
                wanted = [
                    i for i in range(len(group.dated)) if held is None or held.holds(category, i)
                ]
                dated = _dated(conn, of_kind, group, wanted, cursor, limit - len(shown))
                shown.extend(dated)
            undated = held is None or held.holds(category, len(group.dated))
            if group.undated is not None and undated and len(shown) < limit:
                where = [of_kind, N.c.state == group.undated.value, N.c.due_at.is_(None)]
                if cursor is not None and cursor.due_at is None:
                    where.append(N.c.id > cursor.id)
                found = _first(conn, where, limit - len(shown), by_due=False)
                shown.extend(_public(r) for r in found)
            if len(shown) >= limit:
                break
    return shown


def _first(
    conn: sa.Connection, where: list[sa.ColumnElement[bool]], limit: int, *, by_due: bool
) -> list[sa.Row[Any]]:
    """The first ``limit`` notifications matching ``where`` by (due time, id), or by id, with
    their licensee's zone and jurisdiction. The limit is taken before the licensees are
    joined: with the join in the same query PostgreSQL, estimating few rows after a cursor,
    hashes the licensees and reads every matching notification instead of stopping at
    ``limit`` in the index's order."""
    order = (N.c.due_at, N.c.id) if by_due else (N.c.id,)
    first = sa.select(N).where(*where).order_by(*order).limit(limit).subquery()
    query = (
        sa.select(first, LIC.c.timezone, LIC.c.jurisdiction)
        .join(LIC, LIC.c.licence == first.c.licence)
        .order_by(*(first.c[c.name] for c in order))
    )
    return list(conn.execute(query))


def _dated(
    conn: sa.Connection,
    of_kind: sa.ColumnElement[bool],
    group: Urgency,
    windows: list[int],
    cursor: Position | None,
    limit: int,
) -> list[NotificationPublic]:
    """The first ``limit`` of ``group``'s notifications with a due time matching
    ``of_kind``, in its ``windows`` (indexes into ``group.dated``), after ``cursor``: each
    window's first ``limit`` hold them, merged."""
    rows: list[tuple[datetime, int, NotificationPublic]] = []
    for window in (group.dated[i] for i in windows):
        where = [of_kind, _in_window(window)]
        if cursor is not None and cursor.due_at is not None:
            # A row comparison: PostgreSQL reads it as the index range itself.
            due = sa.bindparam(None, cursor.due_at, type_=N.c.due_at.type)
            where.append(sa.tuple_(N.c.due_at, N.c.id) > sa.tuple_(due, cursor.id))
        rows.extend((r.due_at, r.id, _public(r)) for r in _first(conn, where, limit, by_due=True))
    rows.sort(key=lambda row: row[:2])
    return [n for _, _, n in rows[:limit]]


def count_by_part(
    engine: Engine, licences: Sequence[str], groups: Sequence[Urgency]
) -> list[Occupancy]:
    """How many notifications of ``licences`` are in each of ``groups`` (in that order), and
    in each of their parts: one ``COUNT`` per part in a single statement over the unresolved
    ones (through an index led by ``state``, or ``(licence, state)`` for a few licensees); no
    row is read into Python, but the database still passes over every unresolved row of
    ``licences``. A notification is in one part of a group at most (the windows do not
    overlap). Zeros when ``licences`` is empty."""
    slots = [
        (g, category, part, term)
        for g, group in enumerate(groups)
        for category in CATEGORIES
        for part, term in _parts(group)
    ]
    counts = [0] * len(slots)
    if licences and slots:
        query = (
            sa.select(
                *(
                    sa.func.count().filter(sa.and_(N.c.category == category.value, term))
                    for _, category, _, term in slots
                )
            )
            .select_from(N)
            .where(among(N.c.licence, licences), N.c.state.in_([s.value for s in UNRESOLVED]))
        )
        with engine.connect() as conn:
            counts = [int(c) for c in conn.execute(query).one()]
    found: list[dict[tuple[Category, int], int]] = [{} for _ in groups]
    for (g, category, part, _), n in zip(slots, counts, strict=True):
        found[g][(category, part)] = n
    return [Occupancy(parts) for parts in found]


def _newest_closed(
    conn: sa.Connection,
    state: State,
    closed_at: sa.Column[Any],
    licences: Sequence[str],
    since: datetime,
    limit: int,
) -> list[tuple[datetime, int, NotificationPublic]]:
    """The newest ``limit`` notifications of ``licences`` in ``state``, closed (``closed_at``)
    at or after ``since``, newest first, each with its closing time and id (its order): an
    index of ``(licence, closed_at)`` for a few licensees, of ``(state, closed_at)`` read
    backwards for many; either way ``limit`` rows and what the scan passes over, not the
    week's every closed notification."""
    # A few licensees: their (licence, closed_at) index, which SQLite, without statistics,
    # would not take over (state, closed_at) on its own (server.db.hints).
    kept = N.c.state if len(licences) > FEW else unindexed(N.c.state)
    query = (
        select_public()
        .where(among(N.c.licence, licences), kept == state.value, closed_at >= since)
        .order_by(closed_at.desc(), N.c.id.desc())
        .limit(limit)
    )
    return [(r._mapping[closed_at.name], r.id, _public(r)) for r in conn.execute(query)]


def recently_closed(
    engine: Engine, licences: Sequence[str], since: datetime, limit: int
) -> tuple[list[NotificationPublic], bool]:
    """The newest ``limit`` notifications of ``licences`` resolved or dismissed at or after
    ``since`` (newest first), and whether there are more. A licensee resolves one
    notification per harvested plant (DISPOSITION-3BD), so a state's week holds many
    thousands: they are neither all read, sorted nor counted. The newest ``limit + 1``
    resolved and the newest ``limit + 1`` dismissed hold the newest ``limit + 1`` closed,
    whichever way they fall; merged here."""
    if not licences:
        return [], False
    with engine.connect() as conn:
        rows = [
            *_newest_closed(conn, State.RESOLVED, N.c.resolved_at, licences, since, limit + 1),
            *_newest_closed(conn, State.DISMISSED, N.c.dismissed_at, licences, since, limit + 1),
        ]
    closed = [n for _, _, n in sorted(rows, key=lambda row: row[:2], reverse=True)]
    return closed[:limit], len(closed) > limit


def get_notification(engine: Engine, notification_id: int) -> NotificationPublic:
    with engine.connect() as conn:
        return _get(conn, notification_id)


def _get(conn: sa.Connection, notification_id: int) -> NotificationPublic:
    row = conn.execute(select_public().where(N.c.id == notification_id)).first()
    if row is None:
        raise NotificationNotFound(f"there is no notification {notification_id}")
    return _public(row)


def dismiss(engine: Engine, notification_id: int, *, by: str, now: datetime) -> NotificationPublic:
    """Dismiss (acknowledge) a notification as user ``by``.

    Raises DismissRefused when ``by`` is not a trained, uncancelled user on the licensee's
    roster (the record says who acknowledged it: ACCOUNTABLE) or for a compliance
    notification that is still open or overdue, and NotificationNotFound. Dismissing a
    dismissed notification changes nothing.
    """
    with engine.begin() as conn:
        n = _get(conn, notification_id)
        person = conn.execute(
            sa.select(USERS.c.first_trained_on, USERS.c.cancelled_at).where(
                USERS.c.licence == n.licence, USERS.c.user_id == by
            )
        ).first()
        if person is None or person.first_trained_on is None or person.cancelled_at is not None:
            raise DismissRefused(
                f"{by} is not an active user of licence {n.licence}: only a trained user on its "
                "roster may dismiss its notifications, and the record keeps who did"
            )
        if n.state is State.DISMISSED:
            return n
        if n.category is Category.COMPLIANCE and n.state in UNRESOLVED:
            jurisdiction = conn.execute(
                sa.select(LIC.c.jurisdiction).where(LIC.c.licence == n.licence)
            ).scalar_one()
            raise DismissRefused(
                f"notification {n.id} ({n.rule_id}, {n.citation}) is {n.state.value} and cannot "
                f"be dismissed until it is resolved by {n.resolves_by}: {n.message} "
                f"A compliance notification is dismissed only once its issue is resolved "
                f"({DISMISS_CITATION[jurisdiction]})."
            )
        conn.execute(
            N.update()
            .where(N.c.id == notification_id)
            .values(state=State.DISMISSED.value, dismissed_at=now, dismissed_by=by)
        )
        return _get(conn, notification_id)


def stored_notices(conn: sa.Connection, event_id: str) -> list[Violation]:
    """The notices given on ``event_id``'s ack, for a duplicate's ack."""
    text = conn.execute(
        sa.select(NOTICES.c.notices).where(NOTICES.c.event_id == event_id)
    ).scalar_one_or_none()
    return [] if text is None else [Violation.model_validate(v) for v in json.loads(text)]


# --- for the engine ------------------------------------------------------------------------


def save_notices(
    conn: sa.Connection, licence: str, event_id: str, notices: list[Violation]
) -> None:
    conn.execute(
        NOTICES.insert().values(
            event_id=event_id,
            licence=licence,
            notices=json.dumps([n.model_dump(mode="json") for n in notices]),
        )
    )


def latest(
    conn: sa.Connection, licence: str, rule_id: str, subject_type: str, subject_id: str
) -> NotificationPublic | None:
    """The newest notification of ``rule_id`` about that subject."""
    row = conn.execute(
        sa.select(N)
        .where(
            N.c.licence == licence,
            N.c.rule_id == rule_id,
            N.c.subject_type == subject_type,
            N.c.subject_id == subject_id,
        )
        .order_by(N.c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else _public(row)


def insert(
    conn: sa.Connection,
    cal: LicenseeCalendar,
    opening: Open,
    *,
    category: Category,
    citation: str,
    state: State,
    now: datetime,
    event_id: str | None,
    resolved_at: datetime | None = None,
    overdue_at: datetime | None = None,
) -> int:
    """Store ``opening`` as a notification in ``state``; returns its id. ``overdue_at``: when
    a notification stored already resolved had fallen overdue (it was recorded late)."""
    return int(
        conn.execute(
            N.insert()
            .values(
                licence=cal.licence,
                rule_id=opening.rule_id,
                citation=citation,
                category=category.value,
                subject_type=opening.subject.kind,
                subject_id=opening.subject.id,
                message=opening.message,
                resolves_by=opening.resolves_by,
                pending=json.dumps(list(opening.pending)),
                state=state.value,
                started_at=opening.started_at,
                due_at=opening.due_at,
                opened_at=now,
                opened_by_event=event_id,
                overdue_at=now if state is State.OVERDUE else overdue_at,
                resolved_at=resolved_at,
                resolved_by_event=event_id if resolved_at is not None else None,
            )
            .returning(N.c.id)
        ).scalar_one()
    )


def resolve(
    conn: sa.Connection,
    notification: NotificationPublic,
    *,
    items: Sequence[str] | None,
    at: datetime,
    event_id: str | None,
    late: str | None = None,
    due: datetime | None = None,
) -> bool:
    """Take ``items`` off the notification's pending list (all of it when None) and resolve it
    when nothing is left. Returns whether it is now resolved.

    ``late``: resolved after ``due`` (its due time, with any grace): the history keeps that
    it was overdue from ``due`` (whether or not a sweep saw it) and ``late``'s words, after
    the message, so a late record never reads as an on-time one."""
    left = [] if items is None else [i for i in notification.pending if i not in set(items)]
    values: dict[str, Any] = {"pending": json.dumps(left)}
    if not left:
        values.update(state=State.RESOLVED.value, resolved_at=at, resolved_by_event=event_id)
        if late is not None:
            values["message"] = f"{notification.message} {late}"
            if notification.overdue_at is None and due is not None:
                values["overdue_at"] = due
    conn.execute(N.update().where(N.c.id == notification.id).values(values))
    return not left


def mark_overdue(conn: sa.Connection, licence: str, now: datetime) -> int:
    """Mark the licensee's open notifications whose due time has come overdue; returns how
    many."""
    result = conn.execute(
        N.update()
        .where(
            N.c.licence == licence,
            N.c.state == State.OPEN.value,
            N.c.due_at.is_not(None),
            N.c.due_at <= now,
        )
        .values(state=State.OVERDUE.value, overdue_at=now)
    )
    return int(result.rowcount)
