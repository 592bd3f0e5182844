"""Indexes on notifications' state and closing time, so a regulator's console page finds the
newest closed notifications of hundreds of licensees by reading the table's newest backwards,
not by sorting every notification those licensees closed in the week
(``server.compliance.deadlines.recently_closed``; docs/performance.md, Scale).
"""

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"


def upgrade() -> None:
    op.create_index("ix_notifications_state_resolved", "notifications", ["state", "resolved_at"])
    op.create_index("ix_notifications_state_dismissed", "notifications", ["state", "dismissed_at"])


def downgrade() -> None:
    op.drop_index("ix_notifications_state_dismissed", table_name="notifications")
    op.drop_index("ix_notifications_state_resolved", table_name="notifications")
