"""Initial schema: event log, ingest bookkeeping, projections.

The event log is append-only in the database itself: triggers refuse UPDATE and DELETE
(and TRUNCATE on PostgreSQL), so no application bug or hand-typed SQL can silently change the
legal record (NO-FALSIFICATION, RETAIN-7Y).
"""

import sqlalchemy as sa
from alembic import op

from server.migrations.columns import big, big_id, decimal, integer, licence, string, text, time
from server.migrations.tables import (
    allow_changes,
    drop_licence_index,
    index_licence,
    per_event,
    per_licensee,
    refuse_changes,
)

revision: str = "0001"
down_revision: str | None = None

REFUSAL = "event_log is append-only: the legal record cannot be changed (NO-FALSIFICATION)"


def upgrade() -> None:
    per_licensee(
        "batches",
        [string("batch_id", 64)],
        string("origin", 20),
        string("strain", 100),
        string("location", 100),
        integer("initial_count"),
        integer("untagged_count"),
        integer("tagged_count"),
        integer("destroyed_count"),
        time("created_at"),
        big("created_position"),
    )
    per_licensee(
        "harvest_batches",
        [string("name", 100)],
        string("strain", 100),
        string("location", 100, nullable=True),
        integer("plant_count"),
        decimal("wet_weight_grams"),
        decimal("dry_weight_grams", nullable=True),
        decimal("net_weight_grams", nullable=True),
        decimal("waste_grams"),
        time("first_harvest_at"),
    )
    per_licensee(
        "held_events",
        [string("station_id", 64), big("sequence")],
        string("event_id", 36),
        text("body"),
        string("body_sha256", 64),
        time("received_at"),
        sa.UniqueConstraint("event_id"),
    )
    per_licensee(
        "licensees",
        [],
        string("name", 200),
        string("jurisdiction", 2),
        string("timezone", 64),
        time("created_at"),
    )
    per_licensee(
        "plants",
        [string("uid", 24)],
        string("batch_id", 64),
        string("strain", 100),
        string("phase", 12),
        string("location", 100),
        time("tagged_at"),
        string("harvest_batch", 100, nullable=True),
        decimal("wet_weight_value", nullable=True),
        string("wet_weight_unit", 2, nullable=True),
        decimal("wet_weight_grams", nullable=True),
        time("harvested_at", nullable=True),
        time("destroyed_at", nullable=True),
    )
    per_licensee(
        "tags",
        [string("uid", 24)],
        string("tag_type", 10),
        string("status", 10),
        string("item_type", 20, nullable=True),
        string("item_id", 100, nullable=True),
        time("received_at"),
        time("assigned_at", nullable=True),
        time("retired_at", nullable=True),
        string("retired_reason", 500, nullable=True),
    )
    per_event(
        "waste",
        string("source", 20),
        string("source_id", 100),
        integer("plant_count"),
        decimal("weight_grams"),
        string("method", 20),
        string("reason", 500),
        time("occurred_at"),
    )
    index_licence("waste")

    op.create_table(
        "event_log",
        big_id("position"),
        string("event_id", 36),
        licence(),
        string("station_id", 64),
        big("sequence"),
        string("kind", 40),
        string("operator_id", 64),
        string("device_id", 64, nullable=True),
        time("occurred_at"),
        time("received_at"),
        string("outcome", 10),
        text("violations"),
        text("body"),
        string("body_sha256", 64),
        sa.ForeignKeyConstraint(
            ["licence"],
            ["licensees.licence"],
        ),
        sa.PrimaryKeyConstraint("position"),
        sa.UniqueConstraint("event_id"),
        sa.UniqueConstraint("licence", "station_id", "sequence", name="uq_event_log_station_seq"),
    )
    index_licence("event_log")

    per_licensee(
        "stations",
        [string("station_id", 64)],
        big("next_sequence"),
        time("last_event_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["licence"],
            ["licensees.licence"],
        ),
    )
    refuse_changes("event_log", REFUSAL)


def downgrade() -> None:
    allow_changes("event_log")
    op.drop_table("stations")
    drop_licence_index("event_log")

    op.drop_table("event_log")
    drop_licence_index("waste")

    op.drop_table("waste")
    op.drop_table("tags")
    op.drop_table("plants")
    op.drop_table("licensees")
    op.drop_table("held_events")
    op.drop_table("harvest_batches")
    op.drop_table("batches")
