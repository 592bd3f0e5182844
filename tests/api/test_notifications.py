"""Notifications over the API: list, resolve by recording, dismiss (refused while a compliance
notification is unresolved). The floor at OTHER_LICENCE (California) opens some."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from server.compliance.deadlines.model import show_due
from tests.api.conftest import OTHER_ADMIN
from tests.api.seed import Floor
from tests.server.conftest import OTHER_LICENCE
from tests.server.console.test_notifications import (
    COMBINED,
    raised_before_per_state_citations,
)

Headers = dict[str, str]
BASE = f"/api/v1/licensees/{OTHER_LICENCE}"


def notifications(client: TestClient, headers: Headers, **params: str) -> list[dict]:  # type: ignore[type-arg]
    answer = client.get(BASE + "/notifications", headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    items: list[dict] = answer.json()["items"]  # type: ignore[type-arg]
    return items


def test_notifications_name_rule_subject_and_what_resolves_them(
    client: TestClient, other_admin: Headers, floors: tuple[Floor, Floor]
) -> None:
    theirs = floors[1]
    open_ = notifications(client, other_admin, state="open")
    by_rule = {n["rule_id"]: n for n in open_}
    retire = by_rule["UID-RETIRE-3BD"]
    assert retire["category"] == "compliance"
    assert (retire["subject_type"], retire["subject_id"]) == ("tag", theirs.plants[2])
    assert retire["resolves_by"] == f"tag.retired for UID {theirs.plants[2]}"
    assert retire["citation"] == "CA 8403(e)"
    assert retire["due_at"] is not None
    # The due time in words on the premises' clock, the same as the ack and the console say it.
    due_at = datetime.fromisoformat(retire["due_at"])
    assert retire["due"] == show_due(due_at, ZoneInfo("America/Los_Angeles"))
    assert re.fullmatch(r"end of \w{3} \d{4}-\d\d-\d\d \(P[SD]T\)", retire["due"])
    one = client.get(BASE + f"/notifications/{retire['id']}", headers=other_admin).json()
    assert one == retire
    assert notifications(client, other_admin, rule_id="NET-WEIGHT-60D")[0]["state"] == "open"
    bad = client.get(BASE + "/notifications", headers=other_admin, params={"state": "closed"})
    assert bad.status_code == 422


def test_an_unresolved_compliance_notification_cannot_be_dismissed(
    client: TestClient, other_admin: Headers, floors: tuple[Floor, Floor]
) -> None:
    retire = notifications(client, other_admin, rule_id="UID-RETIRE-3BD")[0]
    refused = client.post(BASE + f"/notifications/{retire['id']}/dismiss", headers=other_admin)
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert "UID-RETIRE-3BD" in detail
    assert "cannot be dismissed until it is resolved by tag.retired" in detail
    # Resolved by recording what it asks for...
    uid = floors[1].plants[2]
    retired = client.post(
        BASE + f"/tags/{uid}/retirement", headers=other_admin, json={"reason": "Plant destroyed"}
    )
    assert retired.status_code == 201, retired.text
    now = client.get(BASE + f"/notifications/{retire['id']}", headers=other_admin).json()
    assert now["state"] == "resolved"
    assert now["resolved_by_event"] == retired.json()["event_id"]
    # ... and only then dismissed, by the signed-in user.
    done = client.post(BASE + f"/notifications/{retire['id']}/dismiss", headers=other_admin)
    assert done.status_code == 200
    assert (done.json()["state"], done.json()["dismissed_by"]) == ("dismissed", OTHER_ADMIN)


def test_notifications_export_and_unknown_ids(
    client: TestClient, other_admin: Headers, floors: tuple[Floor, Floor]
) -> None:
    exported = client.get(BASE + "/notifications", headers=other_admin, params={"format": "csv"})
    assert exported.text.splitlines()[0].startswith("id,licence,rule_id,citation,category,state")
    assert client.get(BASE + "/notifications/999999", headers=other_admin).status_code == 404
    assert (
        client.post(BASE + "/notifications/999999/dismiss", headers=other_admin).status_code == 404
    )


def test_an_old_notification_is_answered_with_the_licensees_own_citation(
    client: TestClient, other_admin: Headers, engine: Engine
) -> None:
    old = raised_before_per_state_citations(engine, OTHER_LICENCE, "CORRECTION-3BD")
    answer = client.get(BASE + f"/notifications/{old}", headers=other_admin).json()
    assert answer["citation"] == "CA 8402(b)(6)"
    assert answer["message"] == "Correct event e-1 (CA 8402(b)(6))"
    assert answer["recorded_citation"] == COMBINED
    [listed] = [n for n in notifications(client, other_admin) if n["id"] == old]
    assert listed == answer
