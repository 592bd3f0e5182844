"""The analytics' tables (server.db.analytics): the scheduled refresh's cursor per licensee
(analytics_runs), each harvest batch's mass balance (harvest_balances), diversion signals
(analytics_signals) and people's reviews of them (signal_reviews), each licensee's crop history
per strain (strain_history) and its daily inventory projections (inventory_projections).
docs/analytics.md.
"""

import sqlalchemy as sa
from alembic import op

from server.migrations.columns import big, big_id, date, decimal, integer, string, text, time
from server.migrations.tables import numbered, per_licensee

revision: str = "0013"
down_revision: str | None = "0012"


def upgrade() -> None:
    per_licensee(
        "analytics_runs",
        [],
        big("through_position"),
        time("refreshed_at"),
    )
    per_licensee(
        "harvest_balances",
        [string("name", 100)],
        string("strain", 100, nullable=True),
        integer("plants"),
        decimal("wet_grams"),
        decimal("waste_grams"),
        decimal("dry_grams", nullable=True),
        decimal("net_grams", nullable=True),
        decimal("packaged_grams"),
        decimal("moisture_loss_grams", nullable=True),
        decimal("on_hand_grams", nullable=True),
        decimal("unexplained_grams"),
        text("event_ids"),
        time("refreshed_at"),
    )
    numbered(
        "analytics_signals",
        string("kind", 40),
        string("subject", 100),
        decimal("score"),
        text("explanation"),
        text("event_ids"),
        time("raised_at"),
        time("last_seen_at"),
        time("cleared_at", nullable=True),
        sa.UniqueConstraint("licence", "kind", "subject", name="uq_analytics_signals_subject"),
    )
    op.create_index("ix_analytics_signals_open", "analytics_signals", ["licence", "cleared_at"])
    per_licensee(
        "strain_history",
        [string("strain", 100)],
        decimal("veg_days"),
        decimal("flower_days"),
        decimal("low_grams"),
        decimal("grams"),
        decimal("high_grams"),
        time("refreshed_at"),
    )
    per_licensee(
        "inventory_projections",
        [date("made_on"), date("week_start")],
        time("made_at"),
        integer("plants"),
        decimal("expected_grams"),
        decimal("low_grams"),
        decimal("high_grams"),
        integer("unprojected"),
    )
    op.create_table(
        "signal_reviews",
        big_id("id"),
        big_id("signal_id"),
        string("reviewed_by", 100),
        string("reviewer_name", 200),
        text("note"),
        time("reviewed_at"),
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
