"""The state-system connector (server.db.statesync): its cursor and lease per licensee
(sync_links), one row per state call (sync_calls), the state's ids for our objects
(sync_objects), losses of access to the state system (sync_outages) and people's encrypted
state credentials (sync_credentials). The queue itself is event_log.
"""

import sqlalchemy as sa
from alembic import op

from server.migrations.columns import big, column, integer, string, text, time
from server.migrations.tables import drop_licence_index, index_licence, numbered, per_licensee

revision: str = "0008"
down_revision: str | None = "0007"


def upgrade() -> None:
    numbered(
        "sync_calls",
        string("event_id", 36),
        big("position"),
        integer("call_index"),
        string("system", 10),
        string("action", 40),
        string("operator_id", 64),
        text("plan"),
        text("request", nullable=True),
        string("nonce", 80, nullable=True),
        text("readback", nullable=True),
        string("status", 10),
        time("not_before", nullable=True),
        text("state_ids", nullable=True),
        text("response", nullable=True),
        text("message", nullable=True),
        integer("attempts"),
        column("refusal_final", sa.Boolean(), nullable=True),
        big("notification_id", nullable=True),
        time("created_at"),
        time("first_sent_at", nullable=True),
        time("last_attempt_at", nullable=True),
        time("done_at", nullable=True),
        sa.UniqueConstraint("event_id", "call_index", name="uq_sync_calls_event_call"),
        sa.UniqueConstraint("nonce"),
    )
    with op.batch_alter_table("sync_calls", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sync_calls_licence_status", ["licence", "status", "id"], unique=False
        )

    per_licensee(
        "sync_credentials",
        [string("user_id", 64), string("system", 10)],
        text("secret"),
        time("updated_at"),
    )
    per_licensee(
        "sync_objects",
        [string("system", 10), string("kind", 20), string("key", 120)],
        string("state_id", 40),
        text("data"),
        time("updated_at"),
    )
    numbered(
        "sync_outages",
        string("system", 10),
        time("lost_at"),
        text("lost_cause"),
        time("restored_at", nullable=True),
        integer("backlog_at_restore", nullable=True),
        big("notification_id", nullable=True),
    )
    index_licence("sync_outages")

    per_licensee(
        "sync_links",
        [],
        string("system", 10),
        string("base_url", 500),
        big("cursor"),
        string("lease_owner", 100, nullable=True),
        time("lease_until", nullable=True),
        string("access", 4),
        time("last_success_at", nullable=True),
        time("created_at"),
        sa.ForeignKeyConstraint(
            ["licence"],
            ["licensees.licence"],
        ),
    )


def downgrade() -> None:
    op.drop_table("sync_links")
    drop_licence_index("sync_outages")

    op.drop_table("sync_outages")
    op.drop_table("sync_objects")
    op.drop_table("sync_credentials")
    with op.batch_alter_table("sync_calls", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_calls_licence_status")

    op.drop_table("sync_calls")
