"""The state-system connector (server.db.statesync): its cursor and lease per licensee
(sync_links), one row per state call (sync_calls), the state's ids for our objects
(sync_objects), losses of access to the state system (sync_outages) and people's encrypted
state credentials (sync_credentials). The queue itself is event_log.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"


def upgrade() -> None:
    op.create_table(
        "sync_calls",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("call_index", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=10), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("operator_id", sa.String(length=64), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("request", sa.Text(), nullable=True),
        sa.Column("nonce", sa.String(length=80), nullable=True),
        sa.Column("readback", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state_ids", sa.Text(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("refusal_final", sa.Boolean(), nullable=True),
        sa.Column("notification_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "call_index", name="uq_sync_calls_event_call"),
        sa.UniqueConstraint("nonce"),
    )
    with op.batch_alter_table("sync_calls", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sync_calls_licence_status", ["licence", "status", "id"], unique=False
        )

    op.create_table(
        "sync_credentials",
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("system", sa.String(length=10), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("licence", "user_id", "system"),
    )
    op.create_table(
        "sync_objects",
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("system", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("state_id", sa.String(length=40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("licence", "system", "kind", "key"),
    )
    op.create_table(
        "sync_outages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("system", sa.String(length=10), nullable=False),
        sa.Column("lost_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lost_cause", sa.Text(), nullable=False),
        sa.Column("restored_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("backlog_at_restore", sa.Integer(), nullable=True),
        sa.Column("notification_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sync_outages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_outages_licence"), ["licence"], unique=False)

    op.create_table(
        "sync_links",
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("system", sa.String(length=10), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("access", sa.String(length=4), nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["licence"],
            ["licensees.licence"],
        ),
        sa.PrimaryKeyConstraint("licence"),
    )


def downgrade() -> None:
    op.drop_table("sync_links")
    with op.batch_alter_table("sync_outages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_outages_licence"))

    op.drop_table("sync_outages")
    op.drop_table("sync_objects")
    op.drop_table("sync_credentials")
    with op.batch_alter_table("sync_calls", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_calls_licence_status")

    op.drop_table("sync_calls")
