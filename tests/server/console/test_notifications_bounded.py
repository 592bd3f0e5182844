"""The notifications page reads the most urgent few of each group, not everything outstanding
(docs/performance.md, Scale, change 15), on SQLite and PostgreSQL: what it lists, in what
order, the totals on its tiles and the rest read on after a cursor are those of sorting every
unresolved notification as the page did before.

The set is varied on purpose: both categories, marked overdue or open and past due, due times
shared by several notifications, due exactly now and exactly 24 h from now, no due time (open,
and marked overdue), marked overdue with a due time still ahead, a third licensee's and closed
ones that must not count."""

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.compliance.deadlines import Category, Position, State, list_notifications
from server.compliance.deadlines.model import UNRESOLVED
from server.console.queries.notifications import (
    CLOSED_SHOWN,
    GROUPS,
    SHOWN,
    SLUGS,
    by_urgency,
    cursor_of,
    next_of,
    position,
)
from server.db.core import table_of
from server.db.notifications import Notification
from tests.server.conftest import LICENCE, OTHER_LICENCE, add_staffed_licensee
from tests.server.console.test_pages import OWN_PAGE, REGULATOR, make_app

N = table_of(Notification)
UNSHOWN = "CT-3003"  # a licensee the viewer does not oversee
OPEN_GROUPS = GROUPS[:3]


def notification_row(
    licence: str, category: str, state: State, due: datetime | None, now: datetime
) -> dict:
    return {
        "licence": licence,
        "rule_id": "CORRECTION-3BD" if category == "compliance" else "TAG-SUPPLY",
        "citation": "OAR 845-025-8520",
        "category": category,
        "subject_type": "event",
        "subject_id": "e-1",
        "message": "",
        "resolves_by": "record.corrected",
        "pending": "[]",
        "state": state.value,
        "started_at": now - timedelta(days=3),
        "opened_at": now - timedelta(days=3),
        "due_at": due,
        "resolved_at": now - timedelta(hours=1) if state is State.RESOLVED else None,
        "dismissed_at": now - timedelta(hours=2) if state is State.DISMISSED else None,
    }


def varied(now: datetime) -> list[dict]:
    """About 250 notifications: every way into each group, for two licensees, in an order
    that does not follow urgency (ids are not sorted by due time)."""
    soon = timedelta(hours=24)
    dues: list[datetime | None] = [
        now - timedelta(days=2),
        now - timedelta(hours=5, microseconds=250),  # the cursor keeps microseconds
        now - timedelta(hours=5, microseconds=250),
        now,  # due this instant: overdue
        now + timedelta(hours=3),
        now + timedelta(hours=3),
        now + soon,  # exactly 24 h ahead: due soon
        now + soon + timedelta(seconds=1),  # one second later: open
        now + timedelta(days=4),
        None,
    ]
    rows = []
    for i in range(10):
        for j, due in enumerate(reversed(dues) if i % 2 else dues):
            licence = (LICENCE, OTHER_LICENCE)[(i + j) % 2]
            category = "compliance" if (i + 2 * j) % 3 else "informational"
            rows.append(notification_row(licence, category, State.OPEN, due, now))
            if due is None or due <= now + timedelta(hours=3):
                rows.append(notification_row(licence, category, State.OVERDUE, due, now))
            if j % 4 == 0:
                rows.append(notification_row(licence, category, State.RESOLVED, due, now))
                rows.append(notification_row(UNSHOWN, category, State.OPEN, due, now))
            if j % 5 == 0:
                rows.append(notification_row(licence, category, State.DISMISSED, due, now))
        # Marked overdue while its due time is still ahead (a due time moved later): overdue.
        rows.append(
            notification_row(LICENCE, "compliance", State.OVERDUE, now + timedelta(days=1 + i), now)
        )
    return rows


@pytest.fixture
def now(engine: Engine, clock: ManualClock) -> datetime:
    add_staffed_licensee(engine, UNSHOWN, "Nutmeg Growers", "CT", clock)
    at = clock.now()
    with engine.begin() as conn:
        conn.execute(N.insert(), varied(at))
    return at


def sorted_as_before(engine: Engine, licences: list[str], now: datetime) -> dict[str, list[int]]:
    """Every unresolved notification of ``licences``, grouped and sorted as the page did
    before it was bounded: read oldest first, a stable sort on (group, compliance first, due
    time with none last)."""
    unresolved = sorted(
        (n for lic in licences for n in list_notifications(engine, lic, states=UNRESOLVED)),
        key=lambda n: n.id,
    )
    out: dict[str, list[tuple[tuple[int, float], int]]] = {g: [] for g in OPEN_GROUPS}
    for n in unresolved:
        if n.state is State.OVERDUE or (n.due_at is not None and n.due_at <= now):
            group = "overdue"
        elif n.due_at is not None and n.due_at - now <= timedelta(hours=24):
            group = "due soon"
        else:
            group = "open"
        due = n.due_at.timestamp() if n.due_at is not None else float("inf")
        out[group].append(((0 if n.category is Category.COMPLIANCE else 1, due), n.id))
    return {g: [i for _, i in sorted(rows, key=lambda r: r[0])] for g, rows in out.items()}


LICENSEES = [[LICENCE], [LICENCE, OTHER_LICENCE]]


@pytest.mark.parametrize("shown", [1, 2, 5, 13, 40, 100])
@pytest.mark.parametrize("licences", LICENSEES)
def test_each_group_lists_its_most_urgent_as_a_sort_of_everything_did(
    engine: Engine, now: datetime, licences: list[str], shown: int
) -> None:
    expected = sorted_as_before(engine, licences, now)
    board = by_urgency(engine, licences, now, shown)
    assert [p.group for p in board.parts] == list(GROUPS)
    for part in board.parts[:3]:
        assert [i.n.id for i in part.items] == expected[part.group][:shown], part.group
        assert part.total == len(expected[part.group])
        assert board.tally[part.group] == len(expected[part.group])
        assert part.more == (len(expected[part.group]) > shown)
        assert (part.next is None) == (not part.more)
    assert {i.n.licence for i in board.items} <= set(licences)
    assert all(i.n.state in (State.RESOLVED, State.DISMISSED) for i in board.parts[3].items)


@pytest.mark.parametrize("shown", [1, 3, 7, 100])
@pytest.mark.parametrize("licences", LICENSEES)
def test_reading_on_after_the_cursor_lists_the_rest_in_order(
    engine: Engine, now: datetime, licences: list[str], shown: int
) -> None:
    expected = sorted_as_before(engine, licences, now)
    for group in OPEN_GROUPS:
        first = next(p for p in by_urgency(engine, licences, now, shown).parts if p.group == group)
        listed, part = [i.n.id for i in first.items], first
        while part.next is not None:
            [part] = next_of(engine, licences, now, group, part.next, shown).parts
            assert part.total == len(expected[group])
            listed += [i.n.id for i in part.items]
        assert listed == expected[group], group
    # Pages were read on: each of these groups holds more than the largest page above.
    assert len(expected["overdue"]) > 7
    assert len(expected["open"]) > 7


def test_the_cursor_names_the_notification_it_follows(engine: Engine, now: datetime) -> None:
    for item in by_urgency(engine, [LICENCE, OTHER_LICENCE], now).items[:40]:
        n = item.n
        assert position(cursor_of(n)) == Position(n.category, n.due_at, n.id)
    with pytest.raises(ValueError, match="not a notifications cursor"):
        position("x.1.2")


def test_no_licensee_shows_nothing(engine: Engine, now: datetime) -> None:
    board = by_urgency(engine, [], now)
    assert board.items == []
    assert board.tally == dict.fromkeys(GROUPS, 0)


def test_the_page_says_how_many_it_shows_of_how_many_and_links_to_the_rest(
    engine: Engine, now: datetime, clock: ManualClock
) -> None:
    # More overdue ones than the page lists: the regulator's tile and words say how many.
    extra = [
        notification_row(OTHER_LICENCE, "compliance", State.OPEN, now - timedelta(minutes=k), now)
        for k in range(SHOWN)
    ]
    with engine.begin() as conn:
        conn.execute(N.insert(), extra)
    expected = sorted_as_before(engine, [LICENCE, OTHER_LICENCE], now)
    total = len(expected["overdue"])
    app = make_app(engine, REGULATOR)
    app.state.clock = clock
    with TestClient(app, headers=OWN_PAGE) as client:
        html = client.get("/console/notifications").text
        assert f"<b>{total}</b>overdue" in html
        rows = re.findall(r'<tr id="n(\d+)"[^>]*class="overdue"', html)
        assert [int(i) for i in rows] == expected["overdue"][:SHOWN]
        words = f"Showing the {SHOWN} most urgent of {total} overdue."
        assert words in html
        link = re.search(r'href="(/console/notifications\?group=overdue&amp;after=[^"]+)"', html)
        assert link is not None
        rest = client.get(link.group(1).replace("&amp;", "&")).text
        shown = [int(i) for i in re.findall(r'<tr id="n(\d+)"', rest)]
        assert shown == expected["overdue"][SHOWN : 2 * SHOWN]
        assert f"({total} overdue in all)" in rest
        assert "Back to all notifications" in rest
        assert 'data-stream="/console/notifications/stream?group=overdue&amp;after=' in rest
        # The due-soon group has no more than the page lists: no such words, no link, for it.
        assert 'class="more" data-group="due-soon"' not in html
        assert client.get("/console/notifications?group=closed").status_code == 422
        for bad in ("drop%20table", "c.99999999999999999.1", "c.-.9999999999999999999"):
            refused = client.get(f"/console/notifications?group=overdue&after={bad}")
            assert refused.status_code == 422, bad
    assert set(SLUGS.values()) == set(OPEN_GROUPS)


def closed_listed(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="n(\d+)"[^>]*class="muted"', html)]


def test_the_page_lists_the_newest_closed_and_says_when_more_closed(
    engine: Engine, now: datetime, clock: ManualClock
) -> None:
    app = make_app(engine, REGULATOR)
    app.state.clock = clock
    words = f"Showing the {CLOSED_SHOWN} most recently closed; more were closed"
    with engine.connect() as conn:
        closed = conn.execute(
            N.select().where(
                N.c.state.in_([State.RESOLVED.value, State.DISMISSED.value]),
                N.c.licence.in_([LICENCE, OTHER_LICENCE]),
            )
        ).all()
    # The varied set closes exactly as many as the page lists: all of them, and no words.
    assert len(closed) == CLOSED_SHOWN
    with TestClient(app, headers=OWN_PAGE) as client:
        html = client.get("/console/notifications").text
        assert sorted(closed_listed(html)) == sorted(r.id for r in closed)
        assert f"<b>{CLOSED_SHOWN}</b>closed this week" in html
        assert words not in html
        # Three resolved since, one a minute apart: the newest are listed, the oldest not.
        newer = []
        for k in range(3):
            row = notification_row(LICENCE, "compliance", State.RESOLVED, now, now)
            row["resolved_at"] = now - timedelta(minutes=k + 1)
            newer.append(row)
        with engine.begin() as conn:
            ids = [conn.execute(N.insert().values(**r)).inserted_primary_key[0] for r in newer]
        html = client.get("/console/notifications").text
        listed = closed_listed(html)
        assert len(listed) == CLOSED_SHOWN
        assert listed[:3] == ids
        assert f"<b>{CLOSED_SHOWN}+</b>closed this week" in html
        assert words in html


def test_a_page_reads_only_the_parts_of_a_group_that_hold_some(
    engine: Engine, clock: ManualClock
) -> None:
    """The one COUNT says which parts (category and due window) hold notifications; a part
    holding none is not read, so a regulator's page, most of whose parts are empty, sends a
    few statements instead of one for each of the 12 parts."""
    now = clock.now()
    with engine.begin() as conn:
        conn.execute(N.insert(), [notification_row(LICENCE, "compliance", State.OPEN, now, now)])
    sent: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM notifications" in statement:
            sent.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        board = by_urgency(engine, [LICENCE, OTHER_LICENCE], now)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    # This one, due now, and the one the staffed licensees already have open, due later.
    assert board.tally == {"overdue": 1, "due soon": 0, "open": 1, "closed": 0}
    assert [len(p.items) for p in board.parts] == [1, 0, 1, 0]
    # The COUNT, the two parts holding one each, and the newest resolved and dismissed.
    assert len(sent) == 5, sent
