"""What the accounts need to know of a licensee's roster: role, training, cancellation.

The roster is part of the legal record: ``user.registered``, ``user.trained`` and
``user.cancelled`` events, projected into the roster tables by the store. Accounts only read
it, through the :class:`Roster` protocol, on every sign-in and every request, so a
cancellation or a missing training record takes effect at once (USER-ROSTER,
TRAINED-BEFORE-ACCESS).
"""

from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa

from schemas.records import Role
from server.db.core_tables import USERS as U


@dataclass(frozen=True, slots=True)
class RosterEntry:
    user_id: str
    full_name: str
    role: Role
    trained: bool
    cancelled: bool


class Roster(Protocol):
    def entry(self, conn: sa.Connection, licence: str, user_id: str) -> RosterEntry | None:
        """The roster entry of ``user_id`` at ``licence``, or None if never registered."""
        ...


class DbRoster:
    """The roster as the store projects it (the ``users`` table): trained once any training
    record exists, cancelled once ``user.cancelled`` was recorded."""

    def entry(self, conn: sa.Connection, licence: str, user_id: str) -> RosterEntry | None:
        row = conn.execute(
            sa.select(
                U.c.user_id, U.c.full_name, U.c.role, U.c.first_trained_on, U.c.cancelled_at
            ).where(U.c.licence == licence, U.c.user_id == user_id)
        ).first()
        if row is None:
            return None
        return RosterEntry(
            user_id=row.user_id,
            full_name=row.full_name,
            role=Role(row.role),
            trained=row.first_trained_on is not None,
            cancelled=row.cancelled_at is not None,
        )


class CancellationRefused(ValueError):
    """Cancelling this person would leave the licensee unable to manage its own roster."""


def check_cancellation(conn: sa.Connection, licence: str, by: str, user_id: str) -> None:
    """Refuse (CancellationRefused, saying why and what to do) a cancellation that would lock
    the licensee out: nobody cancels their own access, and the last active account manager
    (the only role that registers managers and administrators) stays until another is
    registered and trained. Cancelling anyone else, or an already cancelled person (the
    pipeline's rules then say what is wrong), is left to the event."""
    if by == user_id:
        raise CancellationRefused(
            f"{user_id} cannot cancel their own access; another account manager or "
            "administrator of the licensee must"
        )
    target = DbRoster().entry(conn, licence, user_id)
    if target is None or target.cancelled or target.role is not Role.ACCOUNT_MANAGER:
        return
    others = conn.execute(
        sa.select(sa.func.count()).where(
            U.c.licence == licence,
            U.c.role == Role.ACCOUNT_MANAGER.value,
            U.c.cancelled_at.is_(None),
            U.c.first_trained_on.is_not(None),
            U.c.user_id != user_id,
        )
    ).scalar_one()
    if others == 0:
        raise CancellationRefused(
            f"{user_id} is the licensee's only active account manager: register and train "
            "another account manager first, or nobody could manage the licensee's roster"
        )
