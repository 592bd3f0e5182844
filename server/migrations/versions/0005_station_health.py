"""Station health: the latest status each station published (server.db.health)."""

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"


def upgrade() -> None:
    op.create_table(
        "station_health",
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("software_version", sa.String(length=64), nullable=True),
        sa.Column("outbox_depth", sa.Integer(), nullable=True),
        sa.Column("outbox_capacity", sa.Integer(), nullable=True),
        sa.Column("last_ack_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("devices", sa.Text(), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["licence"], ["licensees.licence"]),
        sa.PrimaryKeyConstraint("licence", "station_id"),
    )


def downgrade() -> None:
    op.drop_table("station_health")
