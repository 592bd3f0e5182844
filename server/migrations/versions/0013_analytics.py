"""The analytics' tables (server.db.analytics): the scheduled refresh's cursor per licensee
(analytics_runs), each harvest batch's mass balance (harvest_balances), diversion signals
(analytics_signals) and people's reviews of them (signal_reviews), each licensee's crop history
per strain (strain_history) and its daily inventory projections (inventory_projections).
docs/analytics.md.
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _grams(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=48), nullable=nullable)


def _time(name: str, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "analytics_runs",
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("through_position", sa.BigInteger(), nullable=False),
        _time("refreshed_at"),
        sa.PrimaryKeyConstraint("licence"),
    )
    op.create_table(
        "harvest_balances",
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("strain", sa.String(length=100), nullable=True),
        sa.Column("plants", sa.Integer(), nullable=False),
        _grams("wet_grams"),
        _grams("waste_grams"),
        _grams("dry_grams", nullable=True),
        _grams("net_grams", nullable=True),
        _grams("packaged_grams"),
        _grams("moisture_loss_grams", nullable=True),
        _grams("on_hand_grams", nullable=True),
        _grams("unexplained_grams"),
        sa.Column("event_ids", sa.Text(), nullable=False),
        _time("refreshed_at"),
        sa.PrimaryKeyConstraint("licence", "name"),
    )
    op.create_table(
        "analytics_signals",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        _grams("score"),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("event_ids", sa.Text(), nullable=False),
        _time("raised_at"),
        _time("last_seen_at"),
        _time("cleared_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("licence", "kind", "subject", name="uq_analytics_signals_subject"),
    )
    op.create_index("ix_analytics_signals_open", "analytics_signals", ["licence", "cleared_at"])
    op.create_table(
        "strain_history",
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("strain", sa.String(length=100), nullable=False),
        _grams("veg_days"),
        _grams("flower_days"),
        _grams("low_grams"),
        _grams("grams"),
        _grams("high_grams"),
        _time("refreshed_at"),
        sa.PrimaryKeyConstraint("licence", "strain"),
    )
    op.create_table(
        "inventory_projections",
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        _time("made_at"),
        sa.Column("plants", sa.Integer(), nullable=False),
        _grams("expected_grams"),
        _grams("low_grams"),
        _grams("high_grams"),
        sa.Column("unprojected", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("licence", "made_on", "week_start"),
    )
    op.create_table(
        "signal_reviews",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("signal_id", BIG_ID, nullable=False),
        sa.Column("reviewed_by", sa.String(length=100), nullable=False),
        sa.Column("reviewer_name", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _time("reviewed_at"),
        sa.ForeignKeyConstraint(["signal_id"], ["analytics_signals.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_signal_reviews_signal_id", "signal_reviews", ["signal_id"])


def downgrade() -> None:
    op.drop_index("ix_signal_reviews_signal_id", table_name="signal_reviews")
    op.drop_table("signal_reviews")
    op.drop_index("ix_analytics_signals_open", table_name="analytics_signals")
    op.drop_table("analytics_signals")
    op.drop_table("inventory_projections")
    op.drop_table("strain_history")
    op.drop_table("harvest_balances")
    op.drop_table("analytics_runs")
