"""Fixtures for the REST API: an app on the test database (SQLite and PostgreSQL, from
``tests/server/conftest.py``), a clock the test moves, and a client.

Password hashing uses argon2id with the smallest cost the settings allow, so the many
sign-ins of the suite stay quick; the algorithm and the code path are the production ones.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from schemas.records import Role
from server.accounts import manage
from server.api.app import create_app
from server.config import ServerSettings
from tests.api.people import PASSWORD, give_account, register
from tests.api.roster import MemoryRoster
from tests.api.seed import Floor, seed_floor
from tests.server.conftest import (  # noqa: F401
    LICENCE,
    OTHER_LICENCE,
    broker,
    database_url,
    engine,
    pg_template,
)


def refused_field(response: Any) -> str:
    """The field named by the first error of a response that must be a 422 (the API's answer
    to bad input)."""
    assert response.status_code == 422, response.text
    return str(response.json()["errors"][0]["field"])


def fast_settings(url: str, **more: Any) -> ServerSettings:
    """Settings for the database at ``url`` with the cheapest password hashing, and ``more``."""
    return ServerSettings(
        database_url=url,
        argon2_time_cost=1,
        argon2_memory_kib=64,
        argon2_parallelism=1,
        **more,
    )


@pytest.fixture
def settings(database_url: str) -> ServerSettings:  # noqa: F811
    return fast_settings(database_url)


@pytest.fixture
def roster() -> MemoryRoster:
    return MemoryRoster()


@pytest.fixture
def app(settings: ServerSettings, engine: Engine, clock: ManualClock) -> FastAPI:  # noqa: F811
    return create_app(settings, engine, clock=clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


REGULATOR = "olcc.inspector"
# MANAGER and USER are the staff tests/server/conftest.py registers at both licensees; ADMIN
# and OTHER_ADMIN exist at one licensee each.
MANAGER, ADMIN, USER, OTHER_ADMIN = "a.chen", "j.park", "maria.lopez", "b.ortiz"


def sign_in(client: TestClient, login: str, password: str = PASSWORD) -> dict[str, str]:
    """Sign in through the API; returns the Authorization header to send."""
    answer = client.post("/api/v1/auth/login", json={"login": login, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture
def regulator(
    app: FastAPI,
    engine: Engine,  # noqa: F811
    clock: ManualClock,
    client: TestClient,
) -> dict[str, str]:
    """A regulator overseeing LICENCE (not OTHER_LICENCE), signed in: its headers."""
    with engine.begin() as conn:
        manage.add_regulator(
            conn,
            app.state.settings.passwords(),
            login=REGULATOR,
            display_name="OLCC Inspector",
            password=PASSWORD,
            oversees=[LICENCE],
            now=clock.now(),
        )
    return sign_in(client, REGULATOR)


@pytest.fixture
def people(app: FastAPI, engine: Engine, clock: ManualClock) -> None:  # noqa: F811
    """Log-ons for LICENCE's account manager, an administrator and a user, and for an
    administrator of OTHER_LICENCE. The engine fixture already registered and trained each
    licensee's account manager and user; the administrators are registered and trained here,
    by their account manager."""
    passwords = app.state.settings.passwords()
    register(engine, LICENCE, ADMIN, Role.ADMINISTRATOR, clock, by=MANAGER)
    register(engine, OTHER_LICENCE, OTHER_ADMIN, Role.ADMINISTRATOR, clock, by=MANAGER)
    for licence, user_id in (
        (LICENCE, MANAGER),
        (LICENCE, ADMIN),
        (LICENCE, USER),
        (OTHER_LICENCE, OTHER_ADMIN),
    ):
        give_account(engine, passwords, licence, user_id, clock)


def signed_in(login: str) -> Any:
    """A fixture: the Authorization header of ``login``, one of :func:`people`, signed in."""

    @pytest.fixture
    def header(client: TestClient, people: None) -> dict[str, str]:
        return sign_in(client, login)

    return header


manager = signed_in(MANAGER)
admin = signed_in(ADMIN)
user = signed_in(USER)
other_admin = signed_in(OTHER_ADMIN)


@pytest.fixture
def floors(engine: Engine, clock: ManualClock, people: None) -> tuple[Floor, Floor]:  # noqa: F811
    """The same floor at LICENCE and at OTHER_LICENCE, with different ids."""
    return (
        seed_floor(engine, LICENCE, "1A4FF01000000220", clock, operator=ADMIN),
        seed_floor(engine, OTHER_LICENCE, "2B5EE02000000330", clock, operator=OTHER_ADMIN),
    )
