"""Notifications sorted by urgency, for the page a compliance manager opens first.

Reads the deadline engine's notifications (:func:`server.compliance.deadlines.most_urgent`)
and puts what needs action first:

1. **overdue**: unresolved and past its due time (the sweep may not have marked it yet, so
   the due time is compared with now here), most overdue first;
2. **due soon**: unresolved and due within :data:`SOON`;
3. **open**: unresolved, due later (soonest first), then unresolved with no due time;
4. **closed**: resolved or dismissed within :data:`RECENT`, newest first, for the record
   (the newest :data:`CLOSED_SHOWN`; the tile says when there are more).

Compliance notifications come before informational ones within a group. Each unresolved
group lists its :data:`SHOWN` most urgent, with its exact total; the rest of a group is read
:data:`SHOWN` at a time after a keyset cursor (:func:`next_of`), so a regulator's page over
hundreds of licensees reads a bounded number of rows however much is outstanding.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from sqlalchemy.engine import Engine

from server.compliance.deadlines import (
    Category,
    DueWindow,
    NotificationPublic,
    Occupancy,
    Position,
    State,
    Urgency,
    count_by_part,
    count_overdue,
    most_urgent,
    recently_closed,
)

# Subjects that are not items with an audit trail.
NOT_ITEMS = ("business_day", "licence", "licensee")
SOON = timedelta(hours=24)
RECENT = timedelta(days=7)
GROUPS = ("overdue", "due soon", "open", "closed")
# Closed notifications listed, newest first: one is closed per harvested plant, so a
# regulator's week holds thousands; the tile then says 50+. They are the record, not the work:
# each one's item has it in its audit trail, and the API lists them all.
CLOSED_SHOWN = 50
# Unresolved notifications listed per group, most urgent first: a regulator's outstanding work
# runs to thousands, and the page says how many more there are and reads them on request.
# Every row listed is built and rendered on each request and on each change the live stream
# sends, about 0.1 ms each: 100 per group and 200 closed made a regulator's page 500 rows and
# 250 kB, its p99 108 ms at a million events (docs/performance.md, change 22).
SHOWN = 50
# The unresolved groups, as named in a link (``?group=due-soon``).
SLUGS = {"overdue": "overdue", "due-soon": "due soon", "open": "open"}
# A keyset cursor: category (c or i), due time in microseconds since the epoch or -, id.
# At most 16 digits of microseconds (about 317 years either side of 1970) and 18 of id, so
# no cursor that matches overflows a datetime or a BIGINT.
CURSOR = r"^[ci]\.(-|-?\d{1,16})\.\d{1,18}$"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Item:
    n: NotificationPublic
    group: str  # one of GROUPS

    @property
    def compliance(self) -> bool:
        return self.n.category is Category.COMPLIANCE

    @property
    def open(self) -> bool:
        return self.group != "closed"

    @property
    def may_dismiss(self) -> bool:
        """What the deadline store allows (docs/rules.md, section B): an informational
        notification any time, a compliance one once resolved, nothing twice. The page offers
        the button only then; the store still refuses a forged request, saying why."""
        if self.n.state is State.DISMISSED:
            return False
        return not self.compliance or self.n.state is State.RESOLVED

    @property
    def action(self) -> tuple[str, str] | None:
        """Where the console does what resolves this notification, as (link, words), or None
        when it is done elsewhere (a station, the API) and the text says what."""
        if self.n.rule_id == "DAILY-RECONCILE":
            return "/console/reports#reconciliation", "Record the reconciliation"
        if self.n.subject_id is not None and self.n.subject_type not in NOT_ITEMS:
            return f"/console/audit?item={quote(self.n.subject_id)}", "Open its audit trail"
        return None


def _group(n: NotificationPublic, now: datetime) -> str | None:
    if n.state in (State.OPEN, State.OVERDUE):
        if n.state is State.OVERDUE or (n.due_at is not None and n.due_at <= now):
            return "overdue"
        if n.due_at is not None and n.due_at - now <= SOON:
            return "due soon"
        return "open"
    closed_at = n.resolved_at if n.state is State.RESOLVED else n.dismissed_at
    if closed_at is not None and now - closed_at <= RECENT:
        return "closed"
    return None


def urgency(group: str, now: datetime) -> Urgency:
    """Which unresolved notifications make ``group`` at ``now`` (the same as :func:`_group`),
    in the order the page lists them."""
    if group == "overdue":
        return Urgency(
            (DueWindow(State.OVERDUE), DueWindow(State.OPEN, until=now)), undated=State.OVERDUE
        )
    if group == "due soon":
        return Urgency((DueWindow(State.OPEN, after=now, until=now + SOON),))
    if group == "open":
        return Urgency((DueWindow(State.OPEN, after=now + SOON),), undated=State.OPEN)
    raise ValueError(f"{group!r} is not a group of unresolved notifications")


def cursor_of(n: NotificationPublic) -> str:
    """The keyset cursor after ``n`` in its group's order, for a link (:data:`CURSOR`)."""
    due = "-" if n.due_at is None else str((n.due_at - EPOCH) // timedelta(microseconds=1))
    return f"{'c' if n.category is Category.COMPLIANCE else 'i'}.{due}.{n.id}"


def position(cursor: str) -> Position:
    """The place a cursor made by :func:`cursor_of` names. Raises ValueError for any other
    text (the route has already refused what does not match :data:`CURSOR`)."""
    if re.fullmatch(CURSOR, cursor) is None:
        raise ValueError(f"{cursor!r} is not a notifications cursor")
    kind, due, ident = cursor.split(".")
    category = Category.COMPLIANCE if kind == "c" else Category.INFORMATIONAL
    due_at = None if due == "-" else EPOCH + timedelta(microseconds=int(due))
    return Position(category, due_at, int(ident))


@dataclass(frozen=True, slots=True)
class Part:
    """One group as the page lists it: its ``items`` in order, how many the group holds
    (``total``; for "closed", how many are listed) and whether more follow what is listed."""

    group: str
    items: tuple[Item, ...]
    total: int
    more: bool

    @property
    def slug(self) -> str:
        """The group as named in a link (:data:`SLUGS`)."""
        return self.group.replace(" ", "-")

    @property
    def next(self) -> str | None:
        """The cursor to read the group on from, when more follow (not for "closed")."""
        if not self.more or self.group == "closed" or not self.items:
            return None
        return cursor_of(self.items[-1].n)


@dataclass(frozen=True, slots=True)
class Board:
    """What the notifications page shows: the listed ``parts`` in the page's order and
    each group's total for the tiles (exact, but "closed", which says ``more_closed``)."""

    parts: tuple[Part, ...]
    tally: dict[str, int]
    more_closed: bool

    @property
    def items(self) -> list[Item]:
        return [item for part in self.parts for item in part.items]


def _part(group: str, found: Sequence[NotificationPublic], total: int, shown: int) -> Part:
    return Part(group, tuple(Item(n, group) for n in found[:shown]), total, len(found) > shown)


def _held(engine: Engine, licences: Sequence[str], now: datetime) -> list[Occupancy]:
    return count_by_part(engine, licences, [urgency(g, now) for g in GROUPS[:3]])


def by_urgency(engine: Engine, licences: Sequence[str], now: datetime, shown: int = SHOWN) -> Board:
    """What the page shows: the ``shown`` most urgent of each unresolved group with its exact
    total, and the newest :data:`CLOSED_SHOWN` closed within :data:`RECENT`. A ``COUNT`` (of
    each group's parts as well as its total), and for each part that holds some a query
    reading at most ``shown + 1`` rows in order through an index: bounded by ``shown``, not by
    what is outstanding or the history."""
    held = _held(engine, licences, now)
    parts = []
    for group, of_group in zip(GROUPS[:3], held, strict=True):
        found = most_urgent(engine, licences, urgency(group, now), shown + 1, held=of_group)
        parts.append(_part(group, found, of_group.total, shown))
    closed, more = recently_closed(engine, licences, now - RECENT, CLOSED_SHOWN)
    ended = [n for n in closed if _group(n, now) == "closed"]
    parts.append(Part("closed", tuple(Item(n, "closed") for n in ended), len(ended), more))
    tally = {**{g: o.total for g, o in zip(GROUPS[:3], held, strict=True)}, "closed": len(ended)}
    return Board(tuple(parts), tally, more)


def next_of(
    engine: Engine,
    licences: Sequence[str],
    now: datetime,
    group: str,
    after: str | None,
    shown: int = SHOWN,
) -> Board:
    """The next ``shown`` of unresolved ``group`` after the cursor ``after``
    (:func:`cursor_of`; its first ``shown`` when None), with every group's total for the
    tiles: the rest of a group the first page cut short, read the same bounded way. Raises
    ValueError for a group that is not unresolved or a cursor that is not one."""
    at = None if after is None else position(after)
    held = dict(zip(GROUPS[:3], _held(engine, licences, now), strict=True))
    found = most_urgent(engine, licences, urgency(group, now), shown + 1, at, held[group])
    totals = {g: o.total for g, o in held.items()}
    part = _part(group, found, totals[group], shown)
    closed, more = recently_closed(engine, licences, now - RECENT, CLOSED_SHOWN)
    closed_now = sum(1 for n in closed if _group(n, now) == "closed")
    return Board((part,), {**totals, "closed": closed_now}, more)


def overdue_count(engine: Engine, licences: Sequence[str], now: datetime) -> int:
    """How many unresolved notifications are past due (the "overdue" group): the number every
    page shows. A count of the unresolved ones, so it stays cheap however long the history
    grows, and builds none of them."""
    return count_overdue(engine, licences, now)
