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
