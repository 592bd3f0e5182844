"""Licensee isolation: every route under a licensee, walked with the other licensee's ids.

The walk is built from the app's OpenAPI document (every route it serves), so a route added
later is walked too; a path parameter this test does not know how to fill fails the test
instead of being skipped.
"""

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.seed import Floor, station_of
from tests.server.conftest import LICENCE, OTHER_LICENCE

Headers = dict[str, str]
PREFIX = "/api/v1/licensees/{licence}"


def licensee_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every operation under a licensee, from the OpenAPI document."""
    return [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith(PREFIX)
        for method in operations
    ]


def fill(path: str, licence: str, ids: Floor) -> str:
    """``path`` with every parameter set to an id that exists at ``ids.licence``."""
    values = {
        "licence": licence,
        "uid": ids.plants[0],
        "batch_id": ids.batch_id,
        "name": ids.harvest_batch,
        "event_id": ids.event_ids[0],
        "station_id": station_of(ids.licence),
    }

    def value(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        assert name in values, f"no id for path parameter {name} of {path}"
        return values[name]

    return re.sub(r"\{([^}]+)\}", value, path)


def test_every_route_of_another_licensee_is_404(
    app: FastAPI, client: TestClient, regulator: Headers, floors: tuple[Floor, Floor]
) -> None:
    mine, theirs = floors
    routes = licensee_routes(app)
    assert len(routes) >= 15
    for method, path in routes:
        # Their licence, their ids: the licensee itself is invisible.
        answer = client.request(method, fill(path, OTHER_LICENCE, theirs), headers=regulator)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json()["detail"] == f"licensee {OTHER_LICENCE} not found"
        # The same route works for the account's own licensee and ids.
        if method == "GET":
            own = client.request(method, fill(path, LICENCE, mine), headers=regulator)
            assert own.status_code == 200, (method, path, own.text)


def test_the_other_licensees_ids_under_ones_own_licence_are_404(
    app: FastAPI, client: TestClient, regulator: Headers, floors: tuple[Floor, Floor]
) -> None:
    _, theirs = floors
    walked = 0
    for method, path in licensee_routes(app):
        if method != "GET" or path == PREFIX or re.search(r"\{(?!licence)", path) is None:
            continue
        answer = client.get(fill(path, LICENCE, theirs), headers=regulator)
        assert answer.status_code == 404, (path, answer.text)
        assert answer.json()["detail"].endswith(" not found")
        walked += 1
    assert walked >= 6


def test_the_licensee_list_never_shows_the_other(
    client: TestClient, regulator: Headers, floors: tuple[Floor, Floor]
) -> None:
    listed = client.get("/api/v1/licensees", headers=regulator).json()["items"]
    assert OTHER_LICENCE not in {item["licence"] for item in listed}
    csv_text = client.get("/api/v1/licensees?format=csv", headers=regulator).text
    assert OTHER_LICENCE not in csv_text
