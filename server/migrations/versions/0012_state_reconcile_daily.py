"""The daily reconciliation with the state system: when each licensee's was last run
(``sync_links.reconciled_at``), so a restarted connector neither repeats nor skips a day
(server.statesync.daily, docs/sync.md).

Revision ID: 0012
Revises: 0008
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_links") as batch:
        batch.add_column(sa.Column("reconciled_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_links") as batch:
        batch.drop_column("reconciled_at")
