"""The first failure to reach a licensee's state system since its last answer, and its cause
(``sync_links.unreachable_since``, ``unreachable_cause``), kept in the database so a connector
restarted during an outage records the loss from that first failure (server.statesync.access,
docs/sync.md, Loss of access).
"""

from alembic import op

from server.migrations.columns import string, time

revision: str = "0015"
down_revision: str | None = "0014"


def upgrade() -> None:
    with op.batch_alter_table("sync_links") as batch:
        batch.add_column(time("unreachable_since", nullable=True))
        batch.add_column(string("unreachable_cause", 500, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_links") as batch:
        batch.drop_column("unreachable_cause")
        batch.drop_column("unreachable_since")
