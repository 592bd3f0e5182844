"""An index on notifications' state, category, due time and id: the console's notifications
page reads the most urgent of each group (overdue, due soon, open) in its order, compliance
before informational, so a regulator's page over hundreds of licensees reads a bounded number
of rows however much is outstanding (``deadlines.most_urgent``; docs/performance.md, Scale,
change 15).
"""

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"

NAME = "ix_notifications_urgency"


def upgrade() -> None:
    op.create_index(NAME, "notifications", ["state", "category", "due_at", "id"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="notifications")
