"""Initial schema: event log, ingest bookkeeping, projections.

The event log is append-only in the database itself: triggers refuse UPDATE and DELETE
(and TRUNCATE on PostgreSQL), so no application bug or hand-typed SQL can silently change the
legal record (NO-FALSIFICATION, RETAIN-7Y).
"""

import sqlalchemy as sa
from alembic import op

# Weights are exact decimal text in String(48) columns (server.db.types.ExactDecimal).


revision: str = "0001"
down_revision: str | None = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("batch_id", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("strain", sa.String(length=100), nullable=False),
        sa.Column("location", sa.String(length=100), nullable=False),
        sa.Column("initial_count", sa.Integer(), nullable=False),
        sa.Column("untagged_count", sa.Integer(), nullable=False),
        sa.Column("tagged_count", sa.Integer(), nullable=False),
        sa.Column("destroyed_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("licence", "batch_id"),
    )
    op.create_table(
        "harvest_batches",
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("strain", sa.String(length=100), nullable=False),
        sa.Column("location", sa.String(length=100), nullable=True),
        sa.Column("plant_count", sa.Integer(), nullable=False),
        sa.Column("wet_weight_grams", sa.String(length=48), nullable=False),
        sa.Column("dry_weight_grams", sa.String(length=48), nullable=True),
        sa.Column("net_weight_grams", sa.String(length=48), nullable=True),
        sa.Column("waste_grams", sa.String(length=48), nullable=False),
        sa.Column("first_harvest_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("licence", "name"),
    )
    op.create_table(
        "held_events",
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("licence", "station_id", "sequence"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_table(
        "licensees",
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("jurisdiction", sa.String(length=2), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("licence"),
    )
    op.create_table(
        "plants",
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("uid", sa.String(length=24), nullable=False),
        sa.Column("batch_id", sa.String(length=64), nullable=False),
        sa.Column("strain", sa.String(length=100), nullable=False),
        sa.Column("phase", sa.String(length=12), nullable=False),
        sa.Column("location", sa.String(length=100), nullable=False),
        sa.Column("tagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("harvest_batch", sa.String(length=100), nullable=True),
        sa.Column("wet_weight_value", sa.String(length=48), nullable=True),
        sa.Column("wet_weight_unit", sa.String(length=2), nullable=True),
        sa.Column("wet_weight_grams", sa.String(length=48), nullable=True),
        sa.Column("harvested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("licence", "uid"),
    )
    op.create_table(
        "tags",
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("uid", sa.String(length=24), nullable=False),
        sa.Column("tag_type", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("item_type", sa.String(length=20), nullable=True),
        sa.Column("item_id", sa.String(length=100), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_reason", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("licence", "uid"),
    )
    op.create_table(
        "waste",
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("plant_count", sa.Integer(), nullable=False),
        sa.Column("weight_grams", sa.String(length=48), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("position"),
    )
    with op.batch_alter_table("waste", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_waste_licence"), ["licence"], unique=False)

    op.create_table(
        "event_log",
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("operator_id", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("violations", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["licence"],
            ["licensees.licence"],
        ),
        sa.PrimaryKeyConstraint("position"),
        sa.UniqueConstraint("event_id"),
        sa.UniqueConstraint("licence", "station_id", "sequence", name="uq_event_log_station_seq"),
    )
    with op.batch_alter_table("event_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_log_licence"), ["licence"], unique=False)

    op.create_table(
        "stations",
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("next_sequence", sa.BigInteger(), nullable=False),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["licence"],
            ["licensees.licence"],
        ),
        sa.PrimaryKeyConstraint("licence", "station_id"),
    )
    _append_only_triggers()


def downgrade() -> None:
    _drop_append_only_triggers()
    op.drop_table("stations")
    with op.batch_alter_table("event_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_log_licence"))

    op.drop_table("event_log")
    with op.batch_alter_table("waste", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_waste_licence"))

    op.drop_table("waste")
    op.drop_table("tags")
    op.drop_table("plants")
    op.drop_table("licensees")
    op.drop_table("held_events")
    op.drop_table("harvest_batches")
    op.drop_table("batches")


REFUSAL = "event_log is append-only: the legal record cannot be changed (NO-FALSIFICATION)"


def _append_only_triggers() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION event_log_refuse_change() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'insufficient_privilege';
            END;
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER event_log_no_update_delete BEFORE UPDATE OR DELETE ON event_log "
            "FOR EACH ROW EXECUTE FUNCTION event_log_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER event_log_no_truncate BEFORE TRUNCATE ON event_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION event_log_refuse_change()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER event_log_no_{action.lower()} BEFORE {action} ON event_log "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )


def _drop_append_only_triggers() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS event_log_no_truncate ON event_log")
        op.execute("DROP TRIGGER IF EXISTS event_log_no_update_delete ON event_log")
        op.execute("DROP FUNCTION IF EXISTS event_log_refuse_change()")
    else:
        op.execute("DROP TRIGGER IF EXISTS event_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS event_log_no_delete")
