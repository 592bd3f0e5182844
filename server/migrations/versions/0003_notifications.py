"""Deadline engine: notifications, ack notices of late events, and the facts deadlines need."""

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"

# SQLite autoincrements only an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("rule_id", sa.String(length=40), nullable=False),
        sa.Column("citation", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("subject_type", sa.String(length=24), nullable=False),
        sa.Column("subject_id", sa.String(length=120), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("resolves_by", sa.Text(), nullable=False),
        sa.Column("pending", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by_event", sa.String(length=36), nullable=True),
        sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_event", sa.String(length=36), nullable=True),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dismissed_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["licence"], ["licensees.licence"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notifications_licence_state", "notifications", ["licence", "state"])
    op.create_index(
        "ix_notifications_subject",
        "notifications",
        ["licence", "rule_id", "subject_type", "subject_id"],
    )
    op.create_table(
        "event_notices",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("notices", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_table(
        "deadline_licensees",
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("close_of_business", sa.Time(), nullable=True),
        sa.Column("licensure_date", sa.Date(), nullable=True),
        sa.Column("tags_ordered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tags_received_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["licence"], ["licensees.licence"]),
        sa.PrimaryKeyConstraint("licence"),
    )
    op.create_table(
        "deadline_people",
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trained_on", sa.Date(), nullable=True),
        sa.Column("training_registered_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("licence", "user_id"),
    )
    op.create_table(
        "deadline_outages",
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("lost_event_id", sa.String(length=36), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=True),
        sa.Column("lost_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lost_cause", sa.Text(), nullable=True),
        sa.Column("restored_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("restored_event_id", sa.String(length=36), nullable=True),
        sa.Column("restored_cause", sa.Text(), nullable=True),
        sa.Column("backlog", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("licence", "lost_event_id"),
    )


def downgrade() -> None:
    op.drop_table("deadline_outages")
    op.drop_table("deadline_people")
    op.drop_table("deadline_licensees")
    op.drop_table("event_notices")
    op.drop_index("ix_notifications_subject", table_name="notifications")
    op.drop_index("ix_notifications_licence_state", table_name="notifications")
    op.drop_table("notifications")
