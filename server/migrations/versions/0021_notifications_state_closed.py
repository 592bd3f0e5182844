"""Indexes on notifications' state and closing time, so a regulator's console page finds the
newest closed notifications of hundreds of licensees by reading the table's newest backwards,
not by sorting every notification those licensees closed in the week
(``server.compliance.deadlines.recently_closed``; docs/performance.md, Scale).
"""

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"


INDEXES = {
    "ix_notifications_state_resolved": ["state", "resolved_at"],
    "ix_notifications_state_dismissed": ["state", "dismissed_at"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "notifications", columns)


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="notifications")
