"""Station health: the latest status each station published (server.db.health)."""

import sqlalchemy as sa
from alembic import op

from server.migrations.columns import integer, string, text, time
from server.migrations.tables import per_licensee

revision: str = "0005"
down_revision: str | None = "0004"


def upgrade() -> None:
    per_licensee(
        "station_health",
        [string("station_id", 64)],
        string("state", 10),
        time("status_at"),
        time("received_at"),
        time("last_seen_at", nullable=True),
        string("software_version", 64, nullable=True),
        integer("outbox_depth", nullable=True),
        integer("outbox_capacity", nullable=True),
        time("last_ack_at", nullable=True),
        text("devices"),
        string("message", 500, nullable=True),
        sa.ForeignKeyConstraint(["licence"], ["licensees.licence"]),
    )


def downgrade() -> None:
    op.drop_table("station_health")
