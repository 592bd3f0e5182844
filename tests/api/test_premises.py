"""The licence's details and its locations over the API."""

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from tests.api.conftest import MANAGER, refused_field, sign_in
from tests.api.people import give_account
from tests.server.conftest import LICENCE, OTHER_LICENCE

Headers = dict[str, str]
BASE = f"/api/v1/licensees/{LICENCE}"


def test_the_account_manager_updates_the_licence(
    client: TestClient, manager: Headers, admin: Headers
) -> None:
    before = client.get(BASE + "/licence", headers=admin).json()
    assert before["name"] == "Green Acres Farm"
    assert (before["status"], before["close_of_business"]) == (None, None)
    change = {"status": "active", "close_of_business": "18:00:00", "licence_type": "producer"}
    refused = client.patch(BASE + "/licence", headers=admin, json=change)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "only the account manager may change the licence's details"
    answer = client.patch(BASE + "/licence", headers=manager, json=change)
    assert answer.status_code == 201, answer.text
    assert answer.json()["kind"] == "licence.updated"
    after = client.get(BASE + "/licence", headers=admin).json()
    assert (after["status"], after["close_of_business"], after["licence_type"]) == (
        "active",
        "18:00:00",
        "producer",
    )
    log = client.get(BASE + "/events", headers=admin, params={"kind": "licence.updated"}).json()
    assert log["items"][0]["operator_id"] == MANAGER


def test_a_licence_update_must_change_something(client: TestClient, manager: Headers) -> None:
    empty = client.patch(BASE + "/licence", headers=manager, json={})
    assert empty.status_code == 422
    assert "give at least one of" in empty.json()["detail"]
    bad = client.patch(BASE + "/licence", headers=manager, json={"status": "paused"})
    assert refused_field(bad) == "status"


def test_locations_are_added_by_managers_and_listed(
    client: TestClient, admin: Headers, user: Headers
) -> None:
    room = {"name": "Mother Room", "location_kind": "room", "premises": "1 Farm Road"}
    assert client.post(BASE + "/locations", headers=user, json=room).status_code == 403
    answer = client.post(BASE + "/locations", headers=admin, json=room)
    assert answer.status_code == 201, answer.text
    listed = client.get(BASE + "/locations", headers=user, params={"location_kind": "room"})
    assert [loc["name"] for loc in listed.json()["items"]] == ["Mother Room"]
    one = client.get(BASE + "/locations/Mother Room", headers=user).json()
    assert one["premises"] == "1 Farm Road"
    bad = client.post(BASE + "/locations", headers=admin, json={**room, "location_kind": "barn"})
    assert refused_field(bad) == "location_kind"


def test_a_closed_out_licence_records_nothing_more(
    app: FastAPI, client: TestClient, engine: Engine, clock: ManualClock, other_admin: Headers
) -> None:
    """CLOSED-OUT is California's rule (CA 8406(c),(d)): at OTHER_LICENCE, by its account
    manager (the same person as at LICENCE, under a log-on of their own)."""
    give_account(
        engine, app.state.settings.passwords(), OTHER_LICENCE, MANAGER, clock, login="a.chen.ca"
    )
    manager = sign_in(client, "a.chen.ca")
    base = f"/api/v1/licensees/{OTHER_LICENCE}"
    note = {"note": "Licence surrendered; inventory destroyed"}
    refused = client.post(base + "/licence/close-out", headers=other_admin, json=note)
    assert refused.status_code == 403
    early = client.post(base + "/licence/close-out", headers=manager, json=note)
    assert [v["rule_id"] for v in early.json()["violations"]] == ["CLOSED-OUT"]
    client.patch(base + "/licence", headers=manager, json={"status": "surrendered"})
    closed = client.post(base + "/licence/close-out", headers=manager, json=note)
    assert closed.status_code == 201, closed.text
    assert (
        client.get(base + "/licence", headers=other_admin).json()["closed_out_note"]
        == (note["note"])
    )
    after = client.post(
        base + "/tag-orders",
        headers=other_admin,
        json={"tag_type": "plant", "quantity": 10, "order_reference": "PO-LATE"},
    )
    assert after.status_code == 422
    assert [v["rule_id"] for v in after.json()["violations"]] == ["CLOSED-OUT"]
