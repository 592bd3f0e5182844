"""Indexes on when notifications were resolved and dismissed, per licensee, so the console's
notifications (unresolved ones and those closed in the last days,
``server.compliance.deadlines.needing_attention``) read what they show and not the history
(docs/performance.md, Scale).
"""

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"


def upgrade() -> None:
    op.create_index("ix_notifications_resolved", "notifications", ["licence", "resolved_at"])
    op.create_index("ix_notifications_dismissed", "notifications", ["licence", "dismissed_at"])


def downgrade() -> None:
    op.drop_index("ix_notifications_dismissed", table_name="notifications")
    op.drop_index("ix_notifications_resolved", table_name="notifications")
