"""The daily reconciliation with the state system: when each licensee's was last run
(``sync_links.reconciled_at``), so a restarted connector neither repeats nor skips a day
(server.statesync.daily, docs/sync.md).
"""

from alembic import op

from server.migrations.columns import time

revision: str = "0012"
down_revision: str | None = "0011"


def upgrade() -> None:
    with op.batch_alter_table("sync_links") as batch:
        batch.add_column(time("reconciled_at", nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_links") as batch:
        batch.drop_column("reconciled_at")
