"""An in-memory :class:`~server.accounts.roster.Roster` for testing the accounts layer on its
own; the API tests register real users through events."""

import sqlalchemy as sa

from schemas.records import Role
from server.accounts.roster import RosterEntry


class MemoryRoster:
    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], RosterEntry] = {}

    def add(
        self,
        licence: str,
        user_id: str,
        *,
        role: Role = Role.USER,
        trained: bool = True,
        cancelled: bool = False,
    ) -> None:
        name = user_id.replace(".", " ").title()
        self.entries[(licence, user_id)] = RosterEntry(user_id, name, role, trained, cancelled)

    def set(self, licence: str, user_id: str, **changes: bool) -> None:
        old = self.entries[(licence, user_id)]
        self.add(
            licence,
            user_id,
            role=old.role,
            trained=changes.get("trained", old.trained),
            cancelled=changes.get("cancelled", old.cancelled),
        )

    def entry(self, conn: sa.Connection, licence: str, user_id: str) -> RosterEntry | None:
        return self.entries.get((licence, user_id))
