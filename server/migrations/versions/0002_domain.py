"""The domain the rules need: the licence, its premises and people, packages, transfers, sales
and compliance records; harvest batches track what was packaged; tags keep their delivery time.

Every new table is a projection (rebuilt from the event log). Existing databases have no event
of the new kinds (the ingest refused them before this revision), so the new tables start empty
and ``packaged_grams`` starts at 0, both exactly what a rebuild would produce.
"""

import sqlalchemy as sa
from alembic import op

from server.migrations.columns import column, date, decimal, integer, quantity, string, text, time
from server.migrations.tables import (
    drop_licence_index,
    index_licence,
    per_event,
    per_event_id,
    per_licensee,
)

revision: str = "0002"
down_revision: str | None = "0001"

# Tables with a plain index on ``licence`` (their key is a log position or an event id).
LICENCE_INDEXED = (
    "access_losses",
    "corrections",
    "diversion_reports",
    "diversions",
    "flagged_records",
    "reconciliations",
    "sales",
    "tag_orders",
    "training_records",
    "training_registrations",
)


def upgrade() -> None:
    per_licensee(
        "licence_details",
        [],
        string("licence_type", 20, nullable=True),
        string("status", 12, nullable=True),
        column("close_of_business", sa.Time(), nullable=True),
        date("licensure_date", nullable=True),
        time("closed_out_at", nullable=True),
        string("closed_out_note", 500, nullable=True),
        time("updated_at"),
    )
    per_licensee(
        "locations",
        [string("name", 100)],
        string("location_kind", 12),
        string("premises", 500),
        time("added_at"),
    )
    per_licensee(
        "users",
        [string("user_id", 64)],
        string("full_name", 100),
        string("role", 20),
        string("premises", 500, nullable=True),
        time("registered_at"),
        string("registered_by", 64),
        date("first_trained_on", nullable=True),
        time("cancelled_at", nullable=True),
        string("cancel_reason", 500, nullable=True),
    )
    per_event(
        "training_records",
        string("user_id", 64),
        date("trained_on"),
        string("description", 500),
        string("trainer", 100),
        string("recorded_by", 64),
        time("recorded_at"),
    )
    per_event(
        "training_registrations",
        string("user_id", 64),
        string("course", 500),
        date("registered_on"),
        time("recorded_at"),
    )
    per_event(
        "tag_orders",
        string("tag_type", 10),
        integer("quantity"),
        string("order_reference", 100),
        time("ordered_at"),
        string("ordered_by", 64),
    )
    per_licensee(
        "packages",
        [string("uid", 24)],
        string("source", 10),
        string("category", 20, nullable=True),
        string("strain", 100, nullable=True),
        *quantity("quantity"),
        decimal("unit_weight_grams", nullable=True),
        column("for_processor", sa.Boolean()),
        string("location", 100, nullable=True),
        string("status", 12),
        string("manifest_id", 64, nullable=True),
        time("created_at"),
    )
    per_licensee(
        "package_sources",
        [string("package_uid", 24), string("harvest_batch", 100)],
        decimal("weight_grams"),
    )
    per_licensee(
        "transfers",
        [string("direction", 3), string("manifest_id", 64)],
        string("status", 10),
        string("seller_name", 100),
        string("seller_address", 500),
        string("seller_licence", 40),
        string("purchaser_name", 100, nullable=True),
        string("purchaser_address", 500, nullable=True),
        string("purchaser_licence", 40, nullable=True),
        string("distributor_name", 100, nullable=True),
        string("distributor_address", 500, nullable=True),
        string("distributor_licence", 40, nullable=True),
        date("transfer_date", nullable=True),
        time("estimated_departure", nullable=True),
        time("estimated_arrival", nullable=True),
        time("departed_at", nullable=True),
        time("arrived_at", nullable=True),
        time("recorded_at"),
    )
    per_licensee(
        "transfer_items",
        [string("direction", 3), string("manifest_id", 64), string("uid", 24)],
        string("category", 20, nullable=True),
        string("strain", 100, nullable=True),
        string("description", 500, nullable=True),
        *quantity("quantity"),
        string("decision", 8, nullable=True),
        *quantity("received"),
        string("reject_reason", 500, nullable=True),
    )
    per_event(
        "sales",
        string("package_uid", 24),
        *quantity("quantity"),
        decimal("price"),
        time("sold_at"),
    )
    per_event_id(
        "access_losses",
        "lost_event_id",
        string("station_id", 64, nullable=True),
        time("lost_at"),
        string("cause", 500),
        string("reported_by", 64),
        string("restored_event_id", 36, nullable=True),
        time("restored_at", nullable=True),
        string("restore_cause", 500, nullable=True),
        integer("backlog", nullable=True),
        string("restored_by", 64, nullable=True),
    )
    per_event(
        "flagged_records",
        string("event_id", 36),
        string("problem", 500),
        time("discovered_at"),
        string("flagged_by", 64),
    )
    per_event_id(
        "corrections",
        "event_id",
        string("corrects", 36),
        string("root_event_id", 36),
        string("replacement_kind", 40),
        string("reason", 500),
        time("discovered_at"),
        time("corrected_at"),
        string("corrected_by", 64),
        sa.UniqueConstraint("corrects"),
    )
    per_event_id(
        "diversions",
        "event_id",
        string("category", 20),
        time("discovered_at"),
        string("description", 500),
        text("uids"),
        string("recorded_by", 64),
    )
    per_event(
        "diversion_reports",
        string("discovery_event_id", 36),
        time("reported_at"),
        string("department_reference", 100),
        string("law_enforcement_agency", 100),
        string("law_enforcement_reference", 100),
    )
    per_event(
        "reconciliations",
        date("business_date"),
        string("note", 500, nullable=True),
        time("recorded_at"),
        string("recorded_by", 64),
    )
    for table in LICENCE_INDEXED:
        index_licence(table)
    with op.batch_alter_table("event_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_event_log_licence_occurred_at", ["licence", "occurred_at"], unique=False
        )
    with op.batch_alter_table("harvest_batches", schema=None) as batch_op:
        # Existing harvest batches had nothing packaged: no package event was ever accepted.
        batch_op.add_column(
            sa.Column("packaged_grams", sa.String(length=48), nullable=False, server_default="0")
        )
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.add_column(time("delivered_at", nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.drop_column("delivered_at")
    with op.batch_alter_table("harvest_batches", schema=None) as batch_op:
        batch_op.drop_column("packaged_grams")
    with op.batch_alter_table("event_log", schema=None) as batch_op:
        batch_op.drop_index("ix_event_log_licence_occurred_at")
    for table in LICENCE_INDEXED:
        drop_licence_index(table)
    for table in (
        "reconciliations",
        "diversion_reports",
        "diversions",
        "corrections",
        "flagged_records",
        "access_losses",
        "sales",
        "transfer_items",
        "transfers",
        "package_sources",
        "packages",
        "tag_orders",
        "training_registrations",
        "training_records",
        "users",
        "locations",
        "licence_details",
    ):
        op.drop_table(table)
