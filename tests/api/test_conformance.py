"""The API keeps to its own OpenAPI document where schemathesis found it did not: every
answer's status is declared, a 405 names every method of the path, a body that is not JSON gets
the one error shape, and times are ISO text (a number is not 1970, an offset is not dropped)."""

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.conftest import refused_field
from tests.server.conftest import LICENCE

Headers = dict[str, str]
BASE = f"/api/v1/licensees/{LICENCE}"
WRITES = ("post", "put", "patch", "delete")


def test_a_method_the_path_lacks_gets_405_with_every_method_it_has(
    app: FastAPI, client: TestClient
) -> None:
    paths = app.openapi()["paths"]
    templates = {p: re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$") for p in paths}
    checked = 0
    for path in paths:
        url = re.sub(r"\{[^}]+\}", "X1", path)
        # Every template the URL matches counts: /tags/received is also a /tags/{uid}.
        has = sorted({m.upper() for p, t in templates.items() if t.match(url) for m in paths[p]})
        missing = next(m for m in ("PUT", "PATCH", "DELETE", "POST", "GET") if m not in has)
        answer = client.request(missing, url)
        if answer.status_code != 405:  # a longer path with that method matched first
            continue
        checked += 1
        assert answer.headers["allow"] == ", ".join(has), path
        assert answer.json()["detail"] == f"{missing} is not allowed here; use {', '.join(has)}"
    assert checked >= 40


def test_a_body_that_is_not_json_gets_a_declared_400(
    app: FastAPI, client: TestClient, manager: Headers
) -> None:
    answer = client.post(
        BASE + "/locations",
        headers={**manager, "Content-Type": "application/json"},
        content=b"\xff\xfe not json",
    )
    assert answer.status_code == 400
    assert answer.json()["detail"].startswith("the request body is not valid JSON")
    operation = app.openapi()["paths"]["/api/v1/licensees/{licence}/locations"]["post"]
    assert "400" in operation["responses"]


def test_every_write_declares_its_409(app: FastAPI) -> None:
    writes = [
        (path, method, operation)
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
        if method in WRITES
    ]
    assert len(writes) >= 20
    assert [(p, m) for p, m, op in writes if "409" not in op["responses"]] == []


def test_times_are_iso_text_and_a_close_of_business_keeps_no_offset(
    client: TestClient, manager: Headers
) -> None:
    for bad in ("00:00:00Z", "18:00+02:00", "25:00"):
        refused = client.patch(BASE + "/licence", headers=manager, json={"close_of_business": bad})
        assert refused.status_code == 422, bad
        assert refused.json()["errors"][0]["field"] == "close_of_business"
    taken = client.patch(BASE + "/licence", headers=manager, json={"close_of_business": "00:00"})
    assert taken.status_code == 201, taken.text
    after = client.get(BASE + "/licence", headers=manager).json()
    assert after["close_of_business"] == "00:00:00"
    zero = client.patch(BASE + "/licence", headers=manager, json={"licensure_date": 0})
    assert zero.status_code == 422
    assert "not the number 0" in zero.json()["errors"][0]["message"]
    lost = client.post(
        BASE + "/access-losses", headers=manager, json={"lost_at": 0, "cause": "internet down"}
    )
    assert refused_field(lost) == "lost_at"


def test_a_nul_character_is_refused_not_a_server_error(
    client: TestClient, manager: Headers
) -> None:
    """PostgreSQL cannot store U+0000 in text: it is refused at the door, by name."""
    query = client.get(BASE + "/batches", headers=manager, params={"location": "a\x00b"})
    assert query.status_code == 422
    assert query.json()["errors"][0]["message"] == "a NUL character (U+0000) is not allowed here"
    body = client.post("/api/v1/auth/login", json={"login": "a.chen\x00", "password": "x" * 12})
    assert body.status_code == 422
    console = client.post(
        "/console/sign-in",
        data={"login": "a.chen\x00", "password": "x" * 12},
        headers={"Origin": "http://testserver"},
    )
    assert console.status_code == 401  # a wrong log-on, like any other


def test_a_single_valued_filter_given_twice_is_refused_by_name(
    client: TestClient, manager: Headers
) -> None:
    """?location=a&location=b would otherwise list only room b, without a word."""
    twice = client.get(BASE + "/plants", headers=manager, params=[("location", "Veg 1")] * 2)
    assert twice.status_code == 422
    (error,) = twice.json()["errors"]
    assert error["field"] == "location"
    assert error["message"] == "given 2 times; this parameter takes one value"
    once = client.get(BASE + "/plants", headers=manager, params={"location": "Veg 1"})
    assert once.status_code == 200
