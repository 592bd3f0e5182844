"""Notifications sorted by urgency, for the page a compliance manager opens first.

Reads the deadline engine's notifications (:func:`server.compliance.deadlines.needing_attention`)
and puts what needs action first:

1. **overdue**: unresolved and past its due time (the sweep may not have marked it yet, so
   the due time is compared with now here), most overdue first;
2. **due soon**: unresolved and due within :data:`SOON`;
3. **open**: unresolved, due later (soonest first), then unresolved with no due time;
4. **closed**: resolved or dismissed within :data:`RECENT`, newest first, for the record
   (the newest :data:`CLOSED_SHOWN`; the tile says when there are more).

Compliance notifications come before informational ones within a group.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlalchemy.engine import Engine

from server.compliance.deadlines import (
    Category,
    NotificationPublic,
    State,
    count_overdue,
    needing_attention,
    recently_closed,
)

# Subjects that are not items with an audit trail.
NOT_ITEMS = ("business_day", "licence", "licensee")
SOON = timedelta(hours=24)
RECENT = timedelta(days=7)
GROUPS = ("overdue", "due soon", "open", "closed")
# Closed notifications listed, newest first: one is closed per harvested plant, so a
# regulator's week holds thousands; the tile then says 200+.
CLOSED_SHOWN = 200


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


def _key(item: Item) -> tuple[int, int, float]:
    n = item.n
    rank = GROUPS.index(item.group)
    category = 0 if item.compliance else 1
    if item.group == "closed":
        closed = n.resolved_at or n.dismissed_at
        return rank, 0, -(closed.timestamp() if closed is not None else 0.0)
    due = n.due_at.timestamp() if n.due_at is not None else float("inf")
    return rank, category, due


def by_urgency(engine: Engine, licences: Sequence[str], now: datetime) -> tuple[list[Item], bool]:
    """What the page shows, and whether more closed ones exist than it lists: every
    unresolved notification and the newest :data:`CLOSED_SHOWN` closed within
    :data:`RECENT`; two queries for every licensee shown, reading what is outstanding or
    recently closed, never the whole history."""
    closed, more = recently_closed(engine, licences, now - RECENT, CLOSED_SHOWN)
    items = []
    for n in [*needing_attention(engine, licences), *closed]:
        group = _group(n, now)
        if group is not None:
            items.append(Item(n, group))
    return sorted(items, key=_key), more


def overdue_count(engine: Engine, licences: Sequence[str], now: datetime) -> int:
    """How many unresolved notifications are past due (the "overdue" group): the number every
    page shows. A count of the unresolved ones, so it stays cheap however long the history
    grows, and builds none of them."""
    return count_overdue(engine, licences, now)


def counts(items: Sequence[Item]) -> dict[str, int]:
    out = dict.fromkeys(GROUPS, 0)
    for item in items:
        out[item.group] += 1
    return out
