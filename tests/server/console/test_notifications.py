"""Notifications on the console, on SQLite and PostgreSQL: sorted by urgency, what resolves
each, and an unresolved compliance notification that cannot be dismissed.

The overdue cases are a California licensee's: CORRECTION-3BD's 3 business days are
California's limit (CA 8402(b)(6)); Oregon sets the duty to correct without one."""

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from server.compliance.deadlines import DismissRefused, State, dismiss, list_notifications, sweep
from server.console.queries import trail
from server.console.queries.notifications import Item, by_urgency, overdue_count
from server.console.viewer import Viewer
from tests.server.conftest import LICENCE, OTHER_LICENCE
from tests.server.console.day import PLANTS, flag, floor_day
from tests.server.console.test_pages import OWN_PAGE, REGULATOR, make_app

CA = OTHER_LICENCE
MANAGER = Viewer("a.chen", "Alice Chen", "account_manager", (CA,), read_only=False)


def overdue_corrections(engine: Engine) -> list[Item]:
    return [
        i
        for i in by_urgency(engine, [CA], datetime.now(UTC)).items
        if i.group == "overdue" and i.n.rule_id == "CORRECTION-3BD"
    ]


def harvest_events(engine: Engine) -> list[str]:
    return [
        e.event.event_id
        for uid in PLANTS[:2]
        for e in trail.entries(engine, [CA], uid)
        if e.event.kind == "plant.harvested"
    ]


def test_overdue_comes_first_and_says_what_resolves_it(engine: Engine) -> None:
    floor_day(engine, CA)
    recent, old = harvest_events(engine)
    flag(engine, recent, days_ago=0, licence=CA)
    flag(engine, old, days_ago=10, licence=CA)
    board = by_urgency(engine, [CA], datetime.now(UTC))
    items, tally = board.items, board.tally
    corrections = [i for i in items if i.n.rule_id == "CORRECTION-3BD"]
    assert [(i.group, i.n.subject_id) for i in corrections] == [
        ("overdue", old),
        ("open", recent),
    ]
    assert items[0] is corrections[0]  # nothing is more urgent than an overdue compliance one
    assert corrections[0].compliance
    assert corrections[0].n.resolves_by != ""
    assert tally["overdue"] >= 1
    # The navigation's number is a count in the database, the same as the page's group: open
    # and past due here; marked overdue once the sweep has run.
    now = datetime.now(UTC)
    assert overdue_count(engine, [CA], now) == tally["overdue"]
    assert (
        overdue_count(engine, [LICENCE], now) == by_urgency(engine, [LICENCE], now).tally["overdue"]
    )
    sweep(engine, now)
    marked = [n for n in list_notifications(engine, CA) if n.state is State.OVERDUE]
    assert marked != []
    after = by_urgency(engine, [CA], now).tally["overdue"]
    assert (
        overdue_count(engine, [CA, LICENCE], now)
        == after + by_urgency(engine, [LICENCE], now).tally["overdue"]
    )


def test_an_unresolved_compliance_notification_cannot_be_dismissed(engine: Engine) -> None:
    floor_day(engine, CA)
    flag(engine, harvest_events(engine)[0], days_ago=10, licence=CA)
    [item] = [
        i
        for i in by_urgency(engine, [CA], datetime.now(UTC)).items
        if i.group == "overdue" and i.n.rule_id == "CORRECTION-3BD"
    ]
    with pytest.raises(DismissRefused, match="cannot be dismissed until it is resolved"):
        dismiss(engine, item.n.id, by="a.chen", now=datetime.now(UTC))


def test_the_page_shows_overdue_first_and_refuses_the_dismissal(engine: Engine) -> None:
    floor_day(engine, CA)
    flag(engine, harvest_events(engine)[0], days_ago=10, licence=CA)
    with TestClient(make_app(engine, MANAGER), headers=OWN_PAGE) as client:
        html = client.get("/console/notifications").text
        overdue = re.search(r"(\d+) overdue", html)  # in the navigation, on every page
        assert overdue is not None
        assert "OVERDUE" in html
        assert "CORRECTION-3BD" in html
        [item] = [
            i
            for i in by_urgency(engine, [CA], datetime.now(UTC)).items
            if i.group == "overdue" and i.n.rule_id == "CORRECTION-3BD"
        ]
        row = html.split(f'id="n{item.n.id}"')[1].split("</tr>")[0]
        # The due time as the ack said it: the end of the business day, on the premises' clock.
        assert item.n.due is not None
        assert re.fullmatch(r"end of \w{3} \d{4}-\d\d-\d\d \(P[SD]T\)", item.n.due)
        assert f">{item.n.due}</time>" in row
        # No button that would only be refused: what is needed, and where to do it, instead.
        assert "Dismiss" not in row
        assert "Needs action" in row
        assert "Can be dismissed once resolved." in row
        assert f'href="/console/audit?item={item.n.subject_id}">Open its audit trail' in row
        refused = client.post(f"/console/notifications/{item.n.id}/dismiss")  # forged anyway
        assert "Not dismissed:" in refused.text
        assert "cannot be dismissed until it is resolved" in refused.text
        assert f"{overdue.group(1)} overdue" in client.get("/console/inventory").text
    with TestClient(make_app(engine, REGULATOR), headers=OWN_PAGE) as client:
        html = client.get("/console/notifications").text
        assert "CORRECTION-3BD" in html
        assert "Dismiss" not in html.split("<tbody")[1]
        r = client.post(f"/console/notifications/{item.n.id}/dismiss")
        assert "This view is read-only" in r.text


def test_a_notification_of_another_licensee_is_not_found(engine: Engine) -> None:
    floor_day(engine, LICENCE)
    flag(engine, harvest_events_of(engine, LICENCE), days_ago=1, licence=LICENCE)
    [item] = by_urgency(engine, [LICENCE], datetime.now(UTC)).items[:1]
    with TestClient(make_app(engine, MANAGER), headers=OWN_PAGE) as client:
        r = client.post(f"/console/notifications/{item.n.id}/dismiss")
    assert f"there is no notification {item.n.id}" in r.text


def harvest_events_of(engine: Engine, licence: str) -> str:
    return next(
        e.event.event_id
        for e in trail.entries(engine, [licence], PLANTS[0])
        if e.event.kind == "plant.harvested"
    )


# A notification raised before citations were per jurisdiction: both states' text in one.
COMBINED = "OR CTS Requirements (5)(d); CA 8402(b)(6)"


def raised_before_per_state_citations(engine: Engine, licence: str, rule_id: str) -> int:
    """A stored notification as the engine wrote it then: the combined citation, also at the
    end of its message; returns its id."""
    at = datetime.now(UTC)
    with engine.begin() as conn:
        return int(
            conn.execute(
                sa.text(
                    "INSERT INTO notifications (licence, rule_id, citation, category, "
                    "subject_type, subject_id, message, resolves_by, pending, state, "
                    "started_at, opened_at) VALUES (:licence, :rule, :citation, 'compliance', "
                    "'event', 'e-1', :message, 'record.corrected', '[]', 'open', :at, :at) "
                    "RETURNING id"
                ),
                {
                    "licence": licence,
                    "rule": rule_id,
                    "citation": COMBINED,
                    "message": f"Correct event e-1 ({COMBINED})",
                    "at": at,
                },
            ).scalar_one()
        )


@pytest.mark.parametrize(
    ("licence", "own"), [(LICENCE, "OR CTS Requirements (5)(d)"), (CA, "CA 8402(b)(6)")]
)
def test_an_old_notification_cites_the_licensees_own_state_and_keeps_its_record(
    engine: Engine, licence: str, own: str
) -> None:
    old = raised_before_per_state_citations(engine, licence, "CORRECTION-3BD")
    unknown = raised_before_per_state_citations(engine, licence, "SOME-OTHER-RULE")
    shown = {n.id: n for n in list_notifications(engine, licence)}
    assert (shown[old].citation, shown[old].message) == (own, f"Correct event e-1 ({own})")
    assert shown[old].recorded_citation == COMBINED
    # A rule the catalogue does not know keeps what was stored; there is nothing to say instead.
    assert (shown[unknown].citation, shown[unknown].recorded_citation) == (COMBINED, None)
    viewer = Viewer("a.chen", "Alice Chen", "account_manager", (licence,), read_only=False)
    with TestClient(make_app(engine, viewer), headers=OWN_PAGE) as client:
        html = client.get("/console/notifications").text
    assert f'<span class="muted">{own}</span>' in html
    assert f"Correct event e-1 ({own})" in html
    with engine.connect() as conn:  # the history row is as it was written
        stored = conn.execute(
            sa.text("SELECT citation, message FROM notifications WHERE id = :id"), {"id": old}
        ).one()
    assert tuple(stored) == (COMBINED, f"Correct event e-1 ({COMBINED})")
