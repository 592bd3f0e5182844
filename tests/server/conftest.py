"""Fixtures for the central service: databases and a real mosquitto.

``database_url`` runs each test on SQLite (a file in the test's tmp dir) and on PostgreSQL (a
fresh database on the local server, cloned from a migrated template made once per run and
dropped afterwards). When PostgreSQL is not reachable the PostgreSQL case skips, which the
top-level conftest turns into a failure in CI.
"""

import contextlib
import os
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.clock import Clock, ManualClock
from server.broker import PrivateBroker
from server.db.engine import make_engine, migrate
from server.ingest.users import register_user
from server.store.licensees import add_licensee
from tests.pinned import START
from tests.server.floor import MANAGER, OPERATOR

PG_ADMIN = os.environ.get("SEEDTRACE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
LICENCE = "OR-1001"
OTHER_LICENCE = "CA-2002"
STAFF_EVENTS = 8  # accepted console events of the engine fixture: 2 users x 2 licensees x 2


def _pg_url(dbname: str) -> str:
    base = sa.engine.make_url(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1))
    return base.set(database=dbname).render_as_string(hide_password=False)


def _admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    name = f"seedtrace_tmpl_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        _admin(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as err:
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN}: {err}")
    engine = make_engine(_pg_url(name))
    migrate(engine)
    engine.dispose()
    yield name
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/seedtrace.db"
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        yield url
        return
    template = request.getfixturevalue("pg_template")
    name = f"seedtrace_t_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield _pg_url(name)
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def engine(database_url: str, clock: ManualClock) -> Iterator[Engine]:
    """Two licensees registered, with their staff, at the test clock's start."""
    eng = make_engine(database_url)
    add_staffed_licensee(eng, LICENCE, "Green Acres Farm", "OR", clock)
    add_staffed_licensee(eng, OTHER_LICENCE, "Coastal Cultivators", "CA", clock)
    yield eng
    eng.dispose()


def add_staffed_licensee(
    engine: Engine,
    licence: str,
    name: str,
    jurisdiction: str,
    clock: Clock,
    timezone: str = "America/Los_Angeles",
) -> None:
    """``licence`` registered at the clock's now, with its staff (:func:`register_staff`)."""
    add_unstaffed_licensee(engine, licence, name, jurisdiction, timezone, clock.now())
    register_staff(engine, licence, clock)


def add_unstaffed_licensee(
    engine: Engine,
    licence: str,
    name: str,
    jurisdiction: str,
    timezone: str = "America/Los_Angeles",
    now: datetime = START,
) -> None:
    """``licence`` registered at ``now``, with nobody on its roster yet."""
    add_licensee(
        engine, licence=licence, name=name, jurisdiction=jurisdiction, timezone=timezone, now=now
    )


def register_staff(engine: Engine, licence: str, clock: Clock) -> None:
    """An account manager (bootstrapped by the server operator) and the floor worker the
    tests' stations name, both trained: 4 accepted events of the pseudo-station console."""
    register_user(
        engine,
        licence,
        MANAGER,
        "Ana Chen",
        "account_manager",
        date(2024, 1, 20),
        "State account manager training",
        clock=clock,
    )
    register_worker(
        engine,
        licence,
        OPERATOR,
        "Maria Lopez",
        date(2024, 2, 1),
        clock,
        "Ana Chen (account manager)",
    )


def register_worker(
    engine: Engine,
    licence: str,
    user_id: str,
    full_name: str,
    trained_on: date,
    clock: Clock,
    trainer: str = "Ana Chen",
) -> None:
    """``user_id``, a floor user trained on ``trained_on`` by ``trainer``, registered by the
    account manager (:data:`MANAGER`): 2 accepted events of the pseudo-station console."""
    register_user(
        engine,
        licence,
        user_id,
        full_name,
        "user",
        trained_on,
        trainer,
        operator_id=MANAGER,
        clock=clock,
    )


@pytest.fixture
def broker() -> Iterator[PrivateBroker]:
    with PrivateBroker() as b:
        yield b


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


@contextlib.contextmanager
def licensee_locked(engine: Engine, licence: str) -> Iterator[None]:
    """Hold the write lock an ingest transaction needs for ``licence``, from outside."""
    with engine.connect() as conn:
        tx = conn.begin()  # BEGIN IMMEDIATE on SQLite: the whole database's write lock
        if is_postgres(engine):
            conn.execute(
                sa.text("SELECT licence FROM licensees WHERE licence = :l FOR UPDATE"),
                {"l": licence},
            )
        try:
            yield
        finally:
            tx.rollback()
