"""The newest closed notifications of several licensees (a regulator's console page), read
as the newest resolved and the newest dismissed merged: the same list, in the same order, and
the same "more" as sorting every notification those licensees closed."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.compliance.deadlines import State, recently_closed
from server.db.core import table_of
from server.db.notifications import Notification
from tests.server.conftest import LICENCE, OTHER_LICENCE

N = table_of(Notification)


def _row(i: int, licence: str, state: State, closed_at: datetime | None) -> dict[str, object]:
    opened = closed_at - timedelta(days=1) if closed_at is not None else None
    return {
        "licence": licence,
        "rule_id": "DISPOSITION-3BD",
        "citation": "OAR 845-025-7750",
        "category": "compliance",
        "subject_type": "plant",
        "subject_id": f"PLANT-{i:03d}",
        "message": "",
        "resolves_by": "",
        "pending": "[]",
        "state": state.value,
        "started_at": opened,
        "opened_at": opened,
        "resolved_at": closed_at if state is State.RESOLVED else None,
        "dismissed_at": closed_at if state is State.DISMISSED else None,
    }


@pytest.fixture
def history(engine: Engine, clock: ManualClock) -> datetime:
    """40 notifications of two licensees, resolved and dismissed in turns over 20 hours (two
    closed in the same second), some open, some closed before the window; returns the window's
    start."""
    now = clock.now()
    since = now - timedelta(days=7)
    rows = []
    for i in range(40):
        licence = LICENCE if i % 3 else OTHER_LICENCE
        state = State.RESOLVED if i % 4 in (0, 1) else State.DISMISSED
        closed_at = now - timedelta(minutes=30 * (i // 2))  # pairs close in the same second
        if i % 10 == 9:
            state, closed_at = State.OPEN, None
        if i >= 36:
            closed_at = since - timedelta(hours=1)  # closed before the window
        rows.append(_row(i, licence, state, closed_at if state is not State.OPEN else None))
        if state is State.OPEN:
            rows[-1]["started_at"] = rows[-1]["opened_at"] = now
    with engine.begin() as conn:
        conn.execute(N.insert(), rows)
    return since


def _sorted_everything(engine: Engine, licences: list[str], since: datetime) -> list[int]:
    with engine.connect() as conn:
        rows = conn.execute(
            N.select().where(N.c.licence.in_(licences), N.c.state.in_(["resolved", "dismissed"]))
        ).all()
    closed = [
        (r.resolved_at if r.state == "resolved" else r.dismissed_at, r.id)
        for r in rows
        if (r.resolved_at if r.state == "resolved" else r.dismissed_at) >= since
    ]
    return [i for _, i in sorted(closed, reverse=True)]


@pytest.mark.parametrize("limit", [1, 5, 13, 30, 31, 200])
@pytest.mark.parametrize("licences", [[LICENCE], [LICENCE, OTHER_LICENCE]])
def test_the_newest_closed_are_those_of_a_sort_of_everything(
    engine: Engine, history: datetime, licences: list[str], limit: int
) -> None:
    expected = _sorted_everything(engine, licences, history)
    shown, more = recently_closed(engine, licences, history, limit)
    assert [n.id for n in shown] == expected[:limit]
    assert more == (len(expected) > limit)
    assert {n.state for n in shown} <= {State.RESOLVED, State.DISMISSED}
    assert {n.licence for n in shown} <= set(licences)


def test_no_licensee_shows_nothing(engine: Engine, history: datetime) -> None:
    assert recently_closed(engine, [], history, 10) == ([], False)
