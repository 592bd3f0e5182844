"""An index on notifications' licence and id, so the API's list of one licensee's
notifications, newest first, reads that licensee's newest and not every licensee's newer ones
on the way (``GET /licensees/{licence}/notifications``; docs/performance.md, Scale).
"""

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"

NAME = "ix_notifications_licence_id"


def upgrade() -> None:
    op.create_index(NAME, "notifications", ["licence", "id"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="notifications")
