"""Signing in and out over HTTP: tokens, cookies, errors, throttling."""

from fastapi.testclient import TestClient

from schemas.clock import ManualClock
from server.accounts.deps import SESSION_COOKIE
from tests.api.conftest import REGULATOR, refused_field, sign_in
from tests.api.people import PASSWORD
from tests.server.conftest import LICENCE


def test_sign_in_answers_a_bearer_token_and_the_account(
    client: TestClient, regulator: dict[str, str]
) -> None:
    answer = client.post("/api/v1/auth/login", json={"login": REGULATOR, "password": PASSWORD})
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert len(body["access_token"]) == 43
    assert body["account"] == {
        "login": REGULATOR,
        "kind": "regulator",
        "role": "regulator",
        "display_name": "OLCC Inspector",
        "licence": None,
        "licences": [LICENCE],
        "operator_id": REGULATOR,
    }
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["login"] == REGULATOR


def test_a_wrong_password_is_401_without_saying_which_part(
    client: TestClient, regulator: dict[str, str]
) -> None:
    for login in (REGULATOR, "nobody.here"):
        answer = client.post("/api/v1/auth/login", json={"login": login, "password": "nope"})
        assert answer.status_code == 401
        assert answer.json()["detail"] == "wrong log-on or password"
        assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_repeated_failures_answer_429_with_retry_after(
    client: TestClient, regulator: dict[str, str], clock: ManualClock
) -> None:
    for _ in range(3):
        client.post("/api/v1/auth/login", json={"login": REGULATOR, "password": "guess"})
    answer = client.post("/api/v1/auth/login", json={"login": REGULATOR, "password": PASSWORD})
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "1"
    assert "wait 1 s" in answer.json()["detail"]
    clock.advance(1)
    assert (
        client.post(
            "/api/v1/auth/login", json={"login": REGULATOR, "password": PASSWORD}
        ).status_code
        == 200
    )


def test_validation_errors_name_the_field_and_never_echo_the_value(client: TestClient) -> None:
    answer = client.post("/api/v1/auth/login", json={"login": "a.chen"})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"location": "body", "field": "password", "message": "Field required"}
    ]
    secret = "s3cret-" + "x" * 300
    answer = client.post("/api/v1/auth/login", json={"login": "a.chen", "password": secret})
    assert refused_field(answer) == "password"
    assert "s3cret" not in answer.text
    extra = client.post(
        "/api/v1/auth/login", json={"login": "a.chen", "password": "x", "remember": True}
    )
    assert extra.json()["errors"][0]["field"] == "remember"


def test_without_a_session_every_route_is_401(client: TestClient) -> None:
    for path in ("/api/v1/auth/me", f"/api/v1/licensees/{LICENCE}/plants"):
        answer = client.get(path)
        assert answer.status_code == 401
        assert "sign in first" in answer.json()["detail"]
        forged = client.get(path, headers={"Authorization": "Bearer " + "A" * 43})
        assert forged.status_code == 401
        assert "session has ended" in forged.json()["detail"]


def test_sign_out_ends_the_session(client: TestClient, regulator: dict[str, str]) -> None:
    assert client.post("/api/v1/auth/logout", headers=regulator).status_code == 204
    assert client.get("/api/v1/auth/me", headers=regulator).status_code == 401


def test_the_console_cookie_is_the_same_session(
    client: TestClient, regulator: dict[str, str]
) -> None:
    token = regulator["Authorization"].removeprefix("Bearer ")
    client.cookies.set(SESSION_COOKIE, token)
    assert client.get("/api/v1/auth/me").json()["login"] == REGULATOR
    client.cookies.clear()


def test_changing_the_password_keeps_this_session_only(
    client: TestClient, regulator: dict[str, str]
) -> None:
    other = sign_in(client, REGULATOR)
    weak = client.post(
        "/api/v1/auth/password",
        headers=regulator,
        json={"current_password": PASSWORD, "new_password": "short"},
    )
    assert weak.status_code == 422
    assert weak.json()["errors"] == [
        {"location": "body", "field": "new_password", "message": "at least 12 characters"}
    ]
    changed = client.post(
        "/api/v1/auth/password",
        headers=regulator,
        json={"current_password": PASSWORD, "new_password": "a much longer passphrase"},
    )
    assert changed.status_code == 204
    assert client.get("/api/v1/auth/me", headers=regulator).status_code == 200
    assert client.get("/api/v1/auth/me", headers=other).status_code == 401
    sign_in(client, REGULATOR, "a much longer passphrase")
