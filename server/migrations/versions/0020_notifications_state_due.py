"""An index on notifications' state and due time, so the deadline sweep finds the open
notifications due across every licensee, and the unresolved ones, without reading the resolved
history (``server.compliance.deadlines.due``; docs/performance.md, Scale).
"""

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"


def upgrade() -> None:
    op.create_index("ix_notifications_state_due", "notifications", ["state", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_notifications_state_due", table_name="notifications")
