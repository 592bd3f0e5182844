"""Licensee people for the API tests: registered and trained through the pipeline (events),
then given a log-on and password (the accounts tables)."""

from sqlalchemy.engine import Engine

from schemas.acks import Outcome
from schemas.clock import Clock
from schemas.events import Payload
from schemas.records import Role, UserRegistered, UserTrained
from server.accounts import manage
from server.accounts.passwords import Passwords
from server.accounts.roster import DbRoster, Roster
from server.ingest.pipeline import CONSOLE_STATION
from server.ingest.submit import submit

PASSWORD = "correct horse battery"


def record(
    engine: Engine,
    licence: str,
    operator: str,
    payload: Payload,
    clock: Clock,
    station_id: str = CONSOLE_STATION,
) -> str:
    """Submit ``payload`` (from ``station_id``, by default the console), assert it was
    accepted; returns its event id."""
    ack = submit(engine, licence, operator, payload, station_id=station_id, clock=clock)
    assert ack.outcome is Outcome.ACCEPTED, ack.violations
    assert ack.event_id is not None
    return ack.event_id


def register(
    engine: Engine,
    licence: str,
    user_id: str,
    role: Role,
    clock: Clock,
    *,
    trained: bool = True,
    by: str,
) -> None:
    """Put ``user_id`` on the roster, recorded by ``by``, and train them."""
    operator = by
    full_name = user_id.replace(".", " ").title()
    record(
        engine,
        licence,
        operator,
        UserRegistered(user_id=user_id, full_name=full_name, role=role),
        clock,
    )
    if trained:
        record(
            engine,
            licence,
            operator,
            UserTrained(
                user_id=user_id,
                trained_on=clock.now().date(),
                description="Track-and-trace basics",
                trainer="State of Oregon" if role is not Role.USER else "A. Chen",
            ),
            clock,
        )


def give_account(
    engine: Engine,
    passwords: Passwords,
    licence: str,
    user_id: str,
    clock: Clock,
    password: str = PASSWORD,
    login: str | None = None,
    roster: Roster | None = None,
) -> None:
    """Give ``user_id`` of ``licence`` a log-on (``login``, default the user id) with
    ``password``, in a transaction of its own; ``roster`` is the stored one by default."""
    with engine.begin() as conn:
        manage.add_user_account(
            conn,
            DbRoster() if roster is None else roster,
            passwords,
            licence=licence,
            user_id=user_id,
            password=password,
            now=clock.now(),
            login=login,
        )
