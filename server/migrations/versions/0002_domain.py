"""The domain the rules need: the licence, its premises and people, packages, transfers, sales
and compliance records; harvest batches track what was packaged; tags keep their delivery time.

Every new table is a projection (rebuilt from the event log). Existing databases have no event
of the new kinds (the ingest refused them before this revision), so the new tables start empty
and ``packaged_grams`` starts at 0, both exactly what a rebuild would produce.
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

# Weights and money are exact decimal text in String(48) columns (server.db.types.ExactDecimal);
# times are timezone-aware (server.db.types.UtcDateTime).

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


def _col(name: str, type_: sa.types.TypeEngine[Any], nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=nullable)


def _s(name: str, length: int, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _t(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _g(name: str, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length=48), nullable=nullable)


def _licence() -> sa.Column[Any]:
    return _s("licence", 40)


def upgrade() -> None:
    op.create_table(
        "licence_details",
        _licence(),
        _s("licence_type", 20, True),
        _s("status", 12, True),
        _col("close_of_business", sa.Time(), True),
        _col("licensure_date", sa.Date(), True),
        _t("closed_out_at", True),
        _s("closed_out_note", 500, True),
        _t("updated_at"),
        sa.PrimaryKeyConstraint("licence"),
    )
    op.create_table(
        "locations",
        _licence(),
        _s("name", 100),
        _s("location_kind", 12),
        _s("premises", 500),
        _t("added_at"),
        sa.PrimaryKeyConstraint("licence", "name"),
    )
    op.create_table(
        "users",
        _licence(),
        _s("user_id", 64),
        _s("full_name", 100),
        _s("role", 20),
        _s("premises", 500, True),
        _t("registered_at"),
        _s("registered_by", 64),
        _col("first_trained_on", sa.Date(), True),
        _t("cancelled_at", True),
        _s("cancel_reason", 500, True),
        sa.PrimaryKeyConstraint("licence", "user_id"),
    )
    op.create_table(
        "training_records",
        _col("position", sa.BigInteger()),
        _licence(),
        _s("user_id", 64),
        _col("trained_on", sa.Date()),
        _s("description", 500),
        _s("trainer", 100),
        _s("recorded_by", 64),
        _t("recorded_at"),
        sa.PrimaryKeyConstraint("position"),
    )
    op.create_table(
        "training_registrations",
        _col("position", sa.BigInteger()),
        _licence(),
        _s("user_id", 64),
        _s("course", 500),
        _col("registered_on", sa.Date()),
        _t("recorded_at"),
        sa.PrimaryKeyConstraint("position"),
    )
    op.create_table(
        "tag_orders",
        _col("position", sa.BigInteger()),
        _licence(),
        _s("tag_type", 10),
        _col("quantity", sa.Integer()),
        _s("order_reference", 100),
        _t("ordered_at"),
        _s("ordered_by", 64),
        sa.PrimaryKeyConstraint("position"),
    )
    op.create_table(
        "packages",
        _licence(),
        _s("uid", 24),
        _s("source", 10),
        _s("category", 20, True),
        _s("strain", 100, True),
        _g("quantity_grams"),
        _col("quantity_count", sa.Integer(), True),
        _g("unit_weight_grams"),
        _col("for_processor", sa.Boolean()),
        _s("location", 100, True),
        _s("status", 12),
        _s("manifest_id", 64, True),
        _t("created_at"),
        sa.PrimaryKeyConstraint("licence", "uid"),
    )
    op.create_table(
        "package_sources",
        _licence(),
        _s("package_uid", 24),
        _s("harvest_batch", 100),
        _g("weight_grams", nullable=False),
        sa.PrimaryKeyConstraint("licence", "package_uid", "harvest_batch"),
    )
    op.create_table(
        "transfers",
        _licence(),
        _s("direction", 3),
        _s("manifest_id", 64),
        _s("status", 10),
        _s("seller_name", 100),
        _s("seller_address", 500),
        _s("seller_licence", 40),
        _s("purchaser_name", 100, True),
        _s("purchaser_address", 500, True),
        _s("purchaser_licence", 40, True),
        _s("distributor_name", 100, True),
        _s("distributor_address", 500, True),
        _s("distributor_licence", 40, True),
        _col("transfer_date", sa.Date(), True),
        _t("estimated_departure", True),
        _t("estimated_arrival", True),
        _t("departed_at", True),
        _t("arrived_at", True),
        _t("recorded_at"),
        sa.PrimaryKeyConstraint("licence", "direction", "manifest_id"),
    )
    op.create_table(
        "transfer_items",
        _licence(),
        _s("direction", 3),
        _s("manifest_id", 64),
        _s("uid", 24),
        _s("category", 20, True),
        _s("strain", 100, True),
        _s("description", 500, True),
        _g("quantity_grams"),
        _col("quantity_count", sa.Integer(), True),
        _s("decision", 8, True),
        _g("received_grams"),
        _col("received_count", sa.Integer(), True),
        _s("reject_reason", 500, True),
        sa.PrimaryKeyConstraint("licence", "direction", "manifest_id", "uid"),
    )
    op.create_table(
        "sales",
        _col("position", sa.BigInteger()),
        _licence(),
        _s("package_uid", 24),
        _g("quantity_grams"),
        _col("quantity_count", sa.Integer(), True),
        _g("price", nullable=False),
        _t("sold_at"),
        sa.PrimaryKeyConstraint("position"),
    )
    op.create_table(
        "access_losses",
        _s("lost_event_id", 36),
        _licence(),
        _s("station_id", 64, True),
        _t("lost_at"),
        _s("cause", 500),
        _s("reported_by", 64),
        _s("restored_event_id", 36, True),
        _t("restored_at", True),
        _s("restore_cause", 500, True),
        _col("backlog", sa.Integer(), True),
        _s("restored_by", 64, True),
        sa.PrimaryKeyConstraint("lost_event_id"),
    )
    op.create_table(
        "flagged_records",
        _col("position", sa.BigInteger()),
        _licence(),
        _s("event_id", 36),
        _s("problem", 500),
        _t("discovered_at"),
        _s("flagged_by", 64),
        sa.PrimaryKeyConstraint("position"),
    )
    op.create_table(
        "corrections",
        _s("event_id", 36),
        _licence(),
        _s("corrects", 36),
        _s("root_event_id", 36),
        _s("replacement_kind", 40),
        _s("reason", 500),
        _t("discovered_at"),
        _t("corrected_at"),
        _s("corrected_by", 64),
        sa.PrimaryKeyConstraint("event_id"),
        sa.UniqueConstraint("corrects"),
    )
    op.create_table(
        "diversions",
        _s("event_id", 36),
        _licence(),
        _s("category", 20),
        _t("discovered_at"),
        _s("description", 500),
        _col("uids", sa.Text()),
        _s("recorded_by", 64),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_table(
        "diversion_reports",
        _col("position", sa.BigInteger()),
        _licence(),
        _s("discovery_event_id", 36),
        _t("reported_at"),
        _s("department_reference", 100),
        _s("law_enforcement_agency", 100),
        _s("law_enforcement_reference", 100),
        sa.PrimaryKeyConstraint("position"),
    )
    op.create_table(
        "reconciliations",
        _col("position", sa.BigInteger()),
        _licence(),
        _col("business_date", sa.Date()),
        _s("note", 500, True),
        _t("recorded_at"),
        _s("recorded_by", 64),
        sa.PrimaryKeyConstraint("position"),
    )
    for table in LICENCE_INDEXED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_licence"), ["licence"], unique=False)
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
        batch_op.add_column(_t("delivered_at", True))


def downgrade() -> None:
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.drop_column("delivered_at")
    with op.batch_alter_table("harvest_batches", schema=None) as batch_op:
        batch_op.drop_column("packaged_grams")
    with op.batch_alter_table("event_log", schema=None) as batch_op:
        batch_op.drop_index("ix_event_log_licence_occurred_at")
    for table in LICENCE_INDEXED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_licence"))
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
