"""Indexes on when notifications were resolved and dismissed, per licensee, so the console's
notifications (unresolved ones and those closed in the last days,
``server.compliance.deadlines.needing_attention``) read what they show and not the history
(docs/performance.md, Scale).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_notifications_resolved", "notifications", ["licence", "resolved_at"])
    op.create_index("ix_notifications_dismissed", "notifications", ["licence", "dismissed_at"])


def downgrade() -> None:
    op.drop_index("ix_notifications_dismissed", table_name="notifications")
    op.drop_index("ix_notifications_resolved", table_name="notifications")
