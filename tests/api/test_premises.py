"""The licence's details and its locations over the API."""

from fastapi.testclient import TestClient

from tests.api.conftest import MANAGER
from tests.server.conftest import LICENCE

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
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "status"


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
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "location_kind"
