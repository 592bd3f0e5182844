"""The roster over the API: register, train, cancel, passwords; who may do which."""

from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN, MANAGER, USER, refused_field, sign_in
from tests.api.people import PASSWORD
from tests.server.conftest import LICENCE

Headers = dict[str, str]
BASE = f"/api/v1/licensees/{LICENCE}"
NEW = {
    "user_id": "j.doe",
    "full_name": "Jane Doe",
    "role": "user",
    "premises": "1 Farm Road",
    "password": "jane's long passphrase",
}
TRAINING = {"trained_on": "2026-11-24", "description": "Tagging and weighing", "trainer": "A. Chen"}


def login(client: TestClient, who: str, password: str) -> int:
    return client.post("/api/v1/auth/login", json={"login": who, "password": password}).status_code


def test_a_registered_user_signs_in_only_once_trained(client: TestClient, admin: Headers) -> None:
    answer = client.post(BASE + "/users", headers=admin, json=NEW)
    assert answer.status_code == 201, answer.text
    assert answer.json()["login"] == "j.doe"
    assert answer.json()["recorded"]["kind"] == "user.registered"
    refused = client.post(
        "/api/v1/auth/login", json={"login": "j.doe", "password": NEW["password"]}
    )
    assert refused.status_code == 403
    assert "TRAINED-BEFORE-ACCESS" in refused.json()["detail"]
    user = client.get(BASE + "/users/j.doe", headers=admin).json()
    assert user["user"]["standing"] == "untrained"
    trained = client.post(BASE + "/users/j.doe/training", headers=admin, json=TRAINING)
    assert trained.status_code == 201, trained.text
    assert login(client, "j.doe", NEW["password"]) == 200
    detail = client.get(BASE + "/users/j.doe", headers=admin).json()
    assert detail["user"]["standing"] == "active"
    assert detail["training"] == [
        {
            "user_id": "j.doe",
            "trained_on": "2026-11-24",
            "description": "Tagging and weighing",
            "trainer": "A. Chen",
            "recorded_by": ADMIN,
            "recorded_at": detail["training"][0]["recorded_at"],
        }
    ]
    # Both changes are events attributed to the administrator who made them (ACCOUNTABLE).
    log = client.get(BASE + "/events", headers=admin, params={"limit": 2}).json()["items"]
    assert [(e["kind"], e["operator_id"]) for e in log] == [
        ("user.trained", ADMIN),
        ("user.registered", ADMIN),
    ]
    assert all("password" not in str(e["payload"]) for e in log)


def test_cancelling_ends_the_users_session_at_once(
    client: TestClient, admin: Headers, user: Headers
) -> None:
    assert client.get("/api/v1/auth/me", headers=user).status_code == 200
    answer = client.post(BASE + f"/users/{USER}/cancel", headers=admin, json={"reason": "Left"})
    assert answer.status_code == 201, answer.text
    gone = client.get(BASE + "/plants", headers=user)
    assert gone.status_code == 401
    assert "cancelled" in gone.json()["detail"]
    again = client.post("/api/v1/auth/login", json={"login": USER, "password": PASSWORD})
    assert again.status_code == 403
    assert "USER-ROSTER" in again.json()["detail"]
    roster = client.get(BASE + "/users", headers=admin, params={"standing": "cancelled"}).json()
    assert [u["user_id"] for u in roster["items"]] == [USER]


def test_a_user_cannot_manage_people(client: TestClient, user: Headers) -> None:
    for method, path, body in (
        ("POST", "/users", NEW),
        ("POST", f"/users/{ADMIN}/training", TRAINING),
        ("POST", f"/users/{ADMIN}/cancel", {"reason": "x"}),
        ("PUT", f"/users/{ADMIN}/password", {"password": "a new long passphrase"}),
    ):
        answer = client.request(method, BASE + path, headers=user, json=body)
        assert answer.status_code == 403, path
        assert answer.json()["detail"] == "only an account manager or administrator may do this"


def test_an_administrator_cannot_register_or_cancel_another_manager(
    client: TestClient, admin: Headers
) -> None:
    answer = client.post(BASE + "/users", headers=admin, json={**NEW, "role": "administrator"})
    assert answer.status_code == 403
    assert "account manager" in answer.json()["detail"]


def test_registration_errors_name_the_field_and_record_nothing(
    client: TestClient, admin: Headers
) -> None:
    before = client.get(BASE + "/events", headers=admin).json()["total"]
    bad = client.post(BASE + "/users", headers=admin, json={**NEW, "user_id": "j doe"})
    assert refused_field(bad) == "user_id"
    weak = client.post(BASE + "/users", headers=admin, json={**NEW, "password": "short"})
    assert weak.status_code == 422
    assert weak.json()["errors"] == [
        {"location": "body", "field": "password", "message": "at least 12 characters"}
    ]
    taken = client.post(BASE + "/users", headers=admin, json={**NEW, "login": ADMIN})
    assert taken.status_code == 409
    again = client.post(BASE + "/users", headers=admin, json={**NEW, "user_id": USER})
    assert again.status_code == 409
    assert client.get(BASE + "/events", headers=admin).json()["total"] == before


def test_training_an_unknown_user_is_404(client: TestClient, admin: Headers) -> None:
    answer = client.post(BASE + "/users/nobody/training", headers=admin, json=TRAINING)
    assert answer.status_code == 404
    assert answer.json()["detail"] == "user nobody not found"


def test_an_administrator_resets_a_password(
    client: TestClient, admin: Headers, user: Headers
) -> None:
    answer = client.put(
        BASE + f"/users/{USER}/password", headers=admin, json={"password": "reset by the admin"}
    )
    assert answer.status_code == 204
    assert client.get("/api/v1/auth/me", headers=user).status_code == 401
    assert login(client, USER, PASSWORD) == 401
    sign_in(client, USER, "reset by the admin")


def test_a_password_gives_a_log_on_to_someone_without_one(
    client: TestClient, admin: Headers
) -> None:
    client.post(BASE + "/users", headers=admin, json={**NEW, "password": None})
    client.post(BASE + "/users/j.doe/training", headers=admin, json=TRAINING)
    assert client.get(BASE + "/users/j.doe", headers=admin).json()["user"]["login"] is None
    answer = client.put(
        BASE + "/users/j.doe/password",
        headers=admin,
        json={"password": "jane's long passphrase", "login": "jane"},
    )
    assert answer.status_code == 204, answer.text
    assert login(client, "jane", "jane's long passphrase") == 200


def test_the_roster_and_training_records_export(client: TestClient, admin: Headers) -> None:
    roster = client.get(BASE + "/users", headers=admin, params={"format": "csv"}).text
    header, *rows = roster.strip().split("\r\n")
    assert header.startswith("user_id,full_name,role,premises,standing")
    assert [r.split(",")[0] for r in rows] == sorted([ADMIN, MANAGER, USER])
    records = client.get(BASE + "/training-records", headers=admin, params={"user_id": USER})
    assert [t["user_id"] for t in records.json()["items"]] == [USER]


def test_an_account_managers_registration_for_state_training(
    client: TestClient, manager: Headers
) -> None:
    answer = client.post(
        BASE + f"/users/{MANAGER}/training-registrations",
        headers=manager,
        json={"course": "CDFA track-and-trace training", "registered_on": "2026-11-20"},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["kind"] == "training.registered"
    bad = client.post(
        BASE + f"/users/{MANAGER}/training-registrations",
        headers=manager,
        json={"course": "", "registered_on": "2026-11-20"},
    )
    assert refused_field(bad) == "course"


def test_nobody_cancels_their_own_access_or_locks_the_licensee_out(
    client: TestClient, manager: Headers, admin: Headers
) -> None:
    before = client.get(BASE + "/events", headers=admin).json()["total"]
    own = client.post(BASE + f"/users/{MANAGER}/cancel", headers=manager, json={"reason": "Bye"})
    assert own.status_code == 409
    assert own.json()["detail"] == (
        f"{MANAGER} cannot cancel their own access; another account manager or administrator "
        "of the licensee must"
    )
    assert client.get(BASE + "/events", headers=admin).json()["total"] == before  # nothing kept
    assert client.get("/api/v1/auth/me", headers=manager).status_code == 200
    # With a second trained account manager, one may cancel the other.
    second = {**NEW, "user_id": "k.lee", "role": "account_manager", "password": PASSWORD}
    assert client.post(BASE + "/users", headers=manager, json=second).status_code == 201
    assert (
        client.post(BASE + "/users/k.lee/training", headers=manager, json=TRAINING).status_code
        == 201
    )
    other = sign_in(client, "k.lee")
    done = client.post(BASE + f"/users/{MANAGER}/cancel", headers=other, json={"reason": "Left"})
    assert done.status_code == 201, done.text
    assert client.get("/api/v1/auth/me", headers=manager).status_code == 401
