"""Writes through the pipeline: tags, flags and corrections, losses of access, tag orders;
and what a rejected event looks like."""

from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN, USER, refused_field
from tests.api.seed import Floor, uid_of
from tests.server.conftest import LICENCE

Headers = dict[str, str]
BASE = f"/api/v1/licensees/{LICENCE}"
PREFIX = "1A4FF01000000220"


def kinds_of_log(client: TestClient, headers: Headers, n: int) -> list[tuple[str, str]]:
    items = client.get(BASE + "/events", headers=headers, params={"limit": n}).json()["items"]
    return [(e["kind"], e["operator_id"]) for e in items]


def test_receiving_tags_is_an_event_of_the_signed_in_user(
    client: TestClient, user: Headers, floors: tuple[Floor, Floor]
) -> None:
    roll = {"tag_type": "plant", "first": uid_of(PREFIX, 1001) + "9", "last": "x"}
    bad = client.post(BASE + "/tags/received", headers=user, json=roll)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"first", "last"}
    roll = {"tag_type": "plant", "first": uid_of(PREFIX, 1001), "last": uid_of(PREFIX, 1010)}
    answer = client.post(BASE + "/tags/received", headers=user, json=roll)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["kind"] == "tags.received"
    assert kinds_of_log(client, user, 1) == [("tags.received", USER)]
    stock = client.get(BASE + "/tag-stock", headers=user).json()["items"][0]
    assert stock["available"] == 7 + 10


def test_a_rejected_event_is_422_with_rule_and_citation_and_is_kept(
    client: TestClient, user: Headers, floors: tuple[Floor, Floor]
) -> None:
    again = {"tag_type": "plant", "uids": [floors[0].uids[0]]}
    answer = client.post(BASE + "/tags/received", headers=user, json=again)
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["event_id"] is not None
    assert problem["violations"]
    for violation in problem["violations"]:
        assert violation["rule_id"] in problem["detail"]
        assert violation["citation"]
    rejected = client.get(BASE + f"/events/{problem['event_id']}", headers=user).json()
    assert rejected["outcome"] == "rejected"
    assert rejected["violations"] == problem["violations"]


def test_a_flagged_event_is_corrected_and_the_original_kept(
    client: TestClient, user: Headers, floors: tuple[Floor, Floor]
) -> None:
    log = client.get(BASE + "/events", headers=user, params={"kind": "harvest_batch.weighed"})
    weighed = log.json()["items"][0]
    flag = client.post(
        BASE + f"/events/{weighed['event_id']}/flag",
        headers=user,
        json={"problem": "Dry weight misread", "discovered_at": "2026-11-24T17:00:00Z"},
    )
    assert flag.status_code == 201, flag.text
    open_flags = client.get(BASE + "/flagged-records", headers=user, params={"open_only": True})
    assert weighed["event_id"] in [f["event_id"] for f in open_flags.json()["items"]]
    replacement = {**weighed["payload"], "weight": {"value": "560", "unit": "g"}}
    correction = {
        "reason": "Dry weight misread",
        "discovered_at": "2026-11-24T17:00:00Z",
        "replacement": replacement,
    }
    answer = client.post(
        BASE + f"/events/{weighed['event_id']}/correction", headers=user, json=correction
    )
    assert answer.status_code == 201, answer.text
    corrected = client.get(BASE + "/corrections", headers=user).json()["items"]
    assert [(c["corrects"], c["corrected_by"]) for c in corrected] == [(weighed["event_id"], USER)]
    # The original stays in the log, as it was (NO-FALSIFICATION).
    original = client.get(BASE + f"/events/{weighed['event_id']}", headers=user).json()
    assert original["payload"]["weight"] == {"value": "550", "unit": "g"}
    flags = client.get(BASE + "/flagged-records", headers=user).json()["items"]
    assert flags[0]["corrected_by_event"] == answer.json()["event_id"]
    twice = client.post(
        BASE + f"/events/{weighed['event_id']}/correction", headers=user, json=correction
    )
    assert twice.status_code == 409
    assert "already corrected" in twice.json()["detail"]


def test_corrections_need_a_known_accepted_event_and_a_valid_replacement(
    client: TestClient, user: Headers, floors: tuple[Floor, Floor]
) -> None:
    unknown = "01a20000-0000-7000-8000-000000000000"
    body = {"reason": "x", "discovered_at": "2026-11-24T17:00:00Z", "replacement": {}}
    answer = client.post(BASE + f"/events/{unknown}/correction", headers=user, json=body)
    assert answer.status_code == 404
    assert answer.json()["detail"] == f"event {unknown} not found"
    event_id = floors[0].event_ids[0]
    bad = client.post(BASE + f"/events/{event_id}/correction", headers=user, json=body)
    assert refused_field(bad).startswith("replacement")


def test_a_loss_of_access_is_recorded_then_restored_once(
    client: TestClient, user: Headers, floors: tuple[Floor, Floor]
) -> None:
    lost = client.post(
        BASE + "/access-losses",
        headers=user,
        json={"lost_at": "2026-11-24T16:00:00Z", "cause": "Router failed", "station_id": "trim-2"},
    )
    assert lost.status_code == 201, lost.text
    lost_id = lost.json()["event_id"]
    open_losses = client.get(BASE + "/access-losses", headers=user, params={"open_only": True})
    assert lost_id in [x["lost_event_id"] for x in open_losses.json()["items"]]
    path = BASE + f"/access-losses/{lost_id}/restoration"
    negative = {"restored_at": "2026-11-24T17:00:00Z", "cause": "Router replaced", "backlog": -1}
    bad = client.post(path, headers=user, json=negative)
    assert refused_field(bad) == "backlog"
    restored = client.post(path, headers=user, json={**negative, "backlog": 0})
    assert restored.status_code == 201, restored.text
    one = client.get(BASE + f"/access-losses/{lost_id}", headers=user).json()
    assert (one["restored_by"], one["backlog"], one["station_id"]) == (USER, 0, "trim-2")
    again = client.post(path, headers=user, json={**negative, "backlog": 0})
    assert again.status_code == 409


def test_tag_orders(client: TestClient, user: Headers, floors: tuple[Floor, Floor]) -> None:
    order = {"tag_type": "package", "quantity": 0, "order_reference": "PO-77"}
    bad = client.post(BASE + "/tag-orders", headers=user, json=order)
    assert refused_field(bad) == "quantity"
    assert (
        client.post(
            BASE + "/tag-orders", headers=user, json={**order, "quantity": 1000}
        ).status_code
        == 201
    )
    orders = client.get(BASE + "/tag-orders", headers=user).json()["items"]
    assert [(o["tag_type"], o["quantity"], o["ordered_by"]) for o in orders] == [
        ("package", 1000, USER),
        ("plant", 500, ADMIN),
    ]
