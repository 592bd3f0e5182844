"""Registering and training a licensee's users, as events through the pipeline.

A user exists only through ``user.registered`` and ``user.trained`` events in the log (the
roster is their projection), so :func:`register_user` submits both under the pseudo-station
``console``, and they are decided by the same rules as everything else (USER-AUTHORISED: the
operator recording them must be an account manager or administrator of the licensee).

Bootstrap: a new licensee has no user who could register the first one. The server's operator
does it under the reserved operator id :data:`~server.compliance.rules.people.SERVER_OPERATOR`,
which may register an account manager and record that account manager's training, and nothing else;
from then on the account manager registers everyone else.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Engine

from schemas.acks import Ack, Outcome, Violation
from schemas.clock import Clock
from schemas.records import Role, UserRegistered, UserTrained
from server.compliance.rules.people import SERVER_OPERATOR
from server.ingest.submit import submit

DEFAULT_TRAINING = "Track-and-trace system training"


class UserRefused(ValueError):
    """The pipeline rejected a roster event; ``violations`` says why, rule by rule."""

    def __init__(self, what: str, violations: list[Violation]) -> None:
        self.violations = violations
        reasons = "; ".join(f"{v.rule_id}: {v.message}" for v in violations)
        super().__init__(f"{what} was rejected: {reasons}")


@dataclass(frozen=True, slots=True)
class Registered:
    registered: Ack
    trained: Ack


def register_user(
    engine: Engine,
    licence: str,
    user_id: str,
    full_name: str,
    role: Role | str,
    trained_on: date,
    trainer: str,
    *,
    description: str = DEFAULT_TRAINING,
    operator_id: str = SERVER_OPERATOR,
    premises: str | None = None,
    clock: Clock,
) -> Registered:
    """Register ``user_id`` for ``licence`` and record their training, recorded by
    ``operator_id`` (default: the server operator, who may do this only for an account
    manager). Raises UserRefused with the violations when either event is rejected (a user
    registered but whose training was refused stays registered, untrained), and
    pydantic.ValidationError when a field does not fit the contract."""
    registered = submit(
        engine,
        licence,
        operator_id,
        UserRegistered(user_id=user_id, full_name=full_name, role=Role(role), premises=premises),
        clock=clock,
    )
    if registered.outcome is not Outcome.ACCEPTED:
        raise UserRefused(f"registering {user_id}", registered.violations)
    trained = submit(
        engine,
        licence,
        operator_id,
        UserTrained(
            user_id=user_id, trained_on=trained_on, description=description, trainer=trainer
        ),
        clock=clock,
    )
    if trained.outcome is not Outcome.ACCEPTED:
        raise UserRefused(
            f"{user_id} is registered, but recording their training", trained.violations
        )
    return Registered(registered, trained)
