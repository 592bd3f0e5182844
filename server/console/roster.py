"""The roster as the accounts service needs it, read from the roster tables.

The minimum :class:`server.accounts.roster.Roster` over the ``users`` and
``training_records`` tables (projected from ``user.registered``, ``user.trained`` and
``user.cancelled``), so a cancellation recorded from the console ends that person's sessions
on their next request. Trained means at least one training record.
"""

import sqlalchemy as sa

from schemas.records import Role
from server.accounts.roster import RosterEntry
from server.db.tables import TrainingRecord, User

U = User.__table__  # type: ignore[attr-defined]
TR = TrainingRecord.__table__  # type: ignore[attr-defined]


class TableRoster:
    def entry(self, conn: sa.Connection, licence: str, user_id: str) -> RosterEntry | None:
        row = conn.execute(
            sa.select(U.c.full_name, U.c.role, U.c.cancelled_at).where(
                U.c.licence == licence, U.c.user_id == user_id
            )
        ).first()
        if row is None:
            return None
        trained = conn.execute(
            sa.select(TR.c.position)
            .where(TR.c.licence == licence, TR.c.user_id == user_id)
            .limit(1)
        ).first()
        return RosterEntry(
            user_id=user_id,
            full_name=row.full_name,
            role=Role(row.role),
            trained=trained is not None,
            cancelled=row.cancelled_at is not None,
        )
