"""Licensee isolation and access, walked over every route under a licensee.

The walk is built from the app's OpenAPI document (every route it serves), so a route added
later is walked too; a path parameter this test does not know how to fill fails the test
instead of being skipped. Bodies are not needed: who may touch a licensee is decided before
the body is read, so an empty body proves the refusal is about access, not validation.
"""

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN, OTHER_ADMIN, USER
from tests.api.seed import Floor, room_of, station_of
from tests.server.conftest import LICENCE, OTHER_LICENCE

Headers = dict[str, str]
PREFIX = "/api/v1/licensees/{licence}"
# POST routes that compute and record nothing (a regulator may use them).
COMPUTATIONS = {PREFIX + "/audits"}
PEOPLE = {LICENCE: ADMIN, OTHER_LICENCE: OTHER_ADMIN}  # each exists at one licensee only


def licensee_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every operation under a licensee, from the OpenAPI document."""
    return [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith(PREFIX)
        for method in operations
    ]


def fill(path: str, licence: str, ids: Floor) -> str:
    """``path`` with every parameter set to an id that exists at ``ids.licence`` only."""
    values = {
        "licence": licence,
        "uid": ids.plants[0],
        "batch_id": ids.batch_id,
        "name": ids.harvest_batch,
        "event_id": ids.event_ids[0],
        "station_id": station_of(ids.licence),
        "user_id": PEOPLE[ids.licence],
        "location": room_of(ids.licence),
        "package_uid": ids.package_uids[0],
        "direction": "out",
        "manifest_id": ids.manifest_id,
        "lost_event_id": ids.access_loss,
        "notification_id": str(ids.notification_id),
    }

    def value(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        assert name in values, f"no id for path parameter {name} of {path}"
        return values[name]

    return re.sub(r"\{([^}]+)\}", value, path)


def has_item_id(path: str) -> bool:
    return re.search(r"\{(?!licence\})", path) is not None


@pytest.fixture(params=["regulator", "admin"])
def reader(request: pytest.FixtureRequest, floors: tuple[Floor, Floor]) -> Headers:
    """An account of, or overseeing, LICENCE only."""
    headers: Headers = request.getfixturevalue(request.param)
    return headers


def test_every_route_of_another_licensee_is_404(
    app: FastAPI, client: TestClient, reader: Headers, floors: tuple[Floor, Floor]
) -> None:
    mine, theirs = floors
    routes = licensee_routes(app)
    assert len(routes) >= 20
    for method, path in routes:
        # Their licence, their ids: the licensee itself is invisible.
        answer = client.request(method, fill(path, OTHER_LICENCE, theirs), headers=reader)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json()["detail"] == f"licensee {OTHER_LICENCE} not found"
        # The same route works for the account's own licensee and ids.
        if method == "GET":
            own = client.request(method, fill(path, LICENCE, mine), headers=reader)
            assert own.status_code == 200, (method, path, own.text)


def test_the_other_licensees_ids_under_ones_own_licence_are_404(
    app: FastAPI, client: TestClient, reader: Headers, floors: tuple[Floor, Floor]
) -> None:
    _, theirs = floors
    walked = 0
    for method, path in licensee_routes(app):
        if method != "GET" or not has_item_id(path):
            continue
        answer = client.get(fill(path, LICENCE, theirs), headers=reader)
        assert answer.status_code == 404, (path, answer.text)
        assert answer.json()["detail"].endswith(" not found")
        walked += 1
    assert walked >= 7


def test_writes_on_the_other_licensees_ids_are_404(
    app: FastAPI, client: TestClient, admin: Headers, floors: tuple[Floor, Floor]
) -> None:
    _, theirs = floors
    for method, path in licensee_routes(app):
        if method == "GET" or not has_item_id(path):
            continue
        answer = client.request(method, fill(path, LICENCE, theirs), headers=admin, json={})
        # The id is looked up before the body is checked: 404, never a 422 that would
        # show the item exists.
        assert answer.status_code == 404, (method, path, answer.text)


def test_a_regulator_writes_nothing(
    app: FastAPI, client: TestClient, regulator: Headers, floors: tuple[Floor, Floor]
) -> None:
    mine, _ = floors
    writes = [(m, p) for m, p in licensee_routes(app) if m != "GET" and p not in COMPUTATIONS]
    assert len(writes) >= 5
    for method, path in writes:
        answer = client.request(method, fill(path, LICENCE, mine), headers=regulator, json={})
        assert answer.status_code == 403, (method, path, answer.text)
        assert answer.json()["detail"] == "regulator accounts have read-only access"


def test_a_cancelled_users_token_opens_nothing(
    app: FastAPI,
    client: TestClient,
    admin: Headers,
    user: Headers,
    floors: tuple[Floor, Floor],
) -> None:
    mine, _ = floors
    cancelled = client.post(
        f"/api/v1/licensees/{LICENCE}/users/{USER}/cancel", headers=admin, json={"reason": "Left"}
    )
    assert cancelled.status_code == 201
    for method, path in licensee_routes(app):
        answer = client.request(method, fill(path, LICENCE, mine), headers=user, json={})
        assert answer.status_code == 401, (method, path, answer.text)


def test_the_licensee_list_never_shows_the_other(
    client: TestClient, reader: Headers, floors: tuple[Floor, Floor]
) -> None:
    listed = client.get("/api/v1/licensees", headers=reader).json()["items"]
    assert OTHER_LICENCE not in {item["licence"] for item in listed}
    csv_text = client.get("/api/v1/licensees?format=csv", headers=reader).text
    assert OTHER_LICENCE not in csv_text
