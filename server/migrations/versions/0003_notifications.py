"""Deadline engine: notifications, ack notices of late events, and the facts deadlines need."""

import sqlalchemy as sa
from alembic import op

from server.migrations.columns import column, date, integer, string, text, time
from server.migrations.tables import numbered, per_event_id, per_licensee

revision: str = "0003"
down_revision: str | None = "0002"


def upgrade() -> None:
    numbered(
        "notifications",
        string("rule_id", 40),
        string("citation", 200),
        string("category", 16),
        string("subject_type", 24),
        string("subject_id", 120),
        text("message"),
        text("resolves_by"),
        text("pending"),
        string("state", 10),
        time("started_at"),
        time("due_at", nullable=True),
        time("opened_at"),
        string("opened_by_event", 36, nullable=True),
        time("overdue_at", nullable=True),
        time("resolved_at", nullable=True),
        string("resolved_by_event", 36, nullable=True),
        time("dismissed_at", nullable=True),
        string("dismissed_by", 64, nullable=True),
        sa.ForeignKeyConstraint(["licence"], ["licensees.licence"]),
    )
    op.create_index("ix_notifications_licence_state", "notifications", ["licence", "state"])
    op.create_index(
        "ix_notifications_subject",
        "notifications",
        ["licence", "rule_id", "subject_type", "subject_id"],
    )
    per_event_id(
        "event_notices",
        "event_id",
        text("notices"),
    )
    per_licensee(
        "deadline_licensees",
        [],
        column("close_of_business", sa.Time(), nullable=True),
        date("licensure_date", nullable=True),
        time("tags_ordered_at", nullable=True),
        time("tags_received_at", nullable=True),
        sa.ForeignKeyConstraint(["licence"], ["licensees.licence"]),
    )
    per_licensee(
        "deadline_people",
        [string("user_id", 64)],
        string("role", 20),
        time("registered_at"),
        date("trained_on", nullable=True),
        date("training_registered_on", nullable=True),
    )
    per_licensee(
        "deadline_outages",
        [string("lost_event_id", 36)],
        string("station_id", 64, nullable=True),
        time("lost_at", nullable=True),
        text("lost_cause", nullable=True),
        time("restored_at", nullable=True),
        string("restored_event_id", 36, nullable=True),
        text("restored_cause", nullable=True),
        integer("backlog", nullable=True),
    )


def downgrade() -> None:
    op.drop_table("deadline_outages")
    op.drop_table("deadline_people")
    op.drop_table("deadline_licensees")
    op.drop_table("event_notices")
    op.drop_index("ix_notifications_subject", table_name="notifications")
    op.drop_index("ix_notifications_licence_state", table_name="notifications")
    op.drop_table("notifications")
