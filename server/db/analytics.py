"""Tables of the analytics (:mod:`server.analytics`): what the scheduled refresh computed, so
a page view reads rows instead of recomputing a season.

- ``analytics_runs``: per licensee, the last log position the refresh read and when; a
  licensee whose relevant events have not moved since is skipped (unless a day has passed:
  its peers' harvests may have).
- ``harvest_balances``: each harvest batch's mass balance (:mod:`server.analytics.balance`) in
  exact grams, with the ids of the events behind it (JSON list: wet, waste, dry, net, then
  packaged, each in log order).
- ``analytics_signals``: one row per (licensee, kind, subject): raised, last seen, cleared
  when a refresh no longer finds it. Never deleted: a signal that went away is part of the
  story.
- ``strain_history``: per licensee and strain, what its harvested plants say of the crop
  (days of vegetative and flowering growth, wet grams per plant: 10th percentile, median,
  90th), for the statewide figure another licensee's projection may need.
- ``inventory_projections``: each day's projection of each licensee, week by week, kept so
  the weight actually harvested can be set beside it once the week has passed.
- ``signal_reviews``: a person's review of a signal with a note, attributed; rows are only
  ever added.

Derived from the log (but the reviews): a rebuild may empty the first three and refresh.
"""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.db.tables import BigId
from server.db.types import grams_column, time_column


class AnalyticsRun(SQLModel, table=True):
    __tablename__ = "analytics_runs"

    licence: str = Field(primary_key=True, max_length=40)
    through_position: int = Field(sa_type=sa.BigInteger)
    refreshed_at: datetime = Field(sa_column=time_column())


class HarvestBalanceRow(SQLModel, table=True):
    __tablename__ = "harvest_balances"

    licence: str = Field(primary_key=True, max_length=40)
    name: str = Field(primary_key=True, max_length=100)
    strain: str | None = Field(default=None, max_length=100)
    plants: int = 0
    wet_grams: Decimal = Field(sa_column=grams_column())
    waste_grams: Decimal = Field(sa_column=grams_column())
    dry_grams: Decimal | None = Field(default=None, sa_column=grams_column(nullable=True))
    net_grams: Decimal | None = Field(default=None, sa_column=grams_column(nullable=True))
    packaged_grams: Decimal = Field(sa_column=grams_column())
    moisture_loss_grams: Decimal | None = Field(default=None, sa_column=grams_column(nullable=True))
    on_hand_grams: Decimal | None = Field(default=None, sa_column=grams_column(nullable=True))
    unexplained_grams: Decimal = Field(sa_column=grams_column())
    event_ids: str = Field(sa_type=sa.Text)  # JSON list
    refreshed_at: datetime = Field(sa_column=time_column())


class SignalRow(SQLModel, table=True):
    __tablename__ = "analytics_signals"
    __table_args__ = (
        sa.UniqueConstraint("licence", "kind", "subject", name="uq_analytics_signals_subject"),
        sa.Index("ix_analytics_signals_open", "licence", "cleared_at"),
    )

    id: int | None = Field(default=None, sa_column=sa.Column(BigId, primary_key=True))
    licence: str = Field(max_length=40)
    kind: str = Field(max_length=40)
    subject: str = Field(max_length=100)
    score: Decimal = Field(sa_column=grams_column())
    explanation: str = Field(sa_type=sa.Text)
    event_ids: str = Field(sa_type=sa.Text)  # JSON list
    raised_at: datetime = Field(sa_column=time_column())
    last_seen_at: datetime = Field(sa_column=time_column())
    cleared_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))


class SignalReview(SQLModel, table=True):
    __tablename__ = "signal_reviews"

    id: int | None = Field(default=None, sa_column=sa.Column(BigId, primary_key=True))
    signal_id: int = Field(
        sa_column=sa.Column(
            BigId, sa.ForeignKey("analytics_signals.id"), nullable=False, index=True
        )
    )
    reviewed_by: str = Field(max_length=100)  # the account's login
    reviewer_name: str = Field(max_length=200)
    note: str = Field(sa_type=sa.Text)
    reviewed_at: datetime = Field(sa_column=time_column())


class StrainHistory(SQLModel, table=True):
    __tablename__ = "strain_history"

    licence: str = Field(primary_key=True, max_length=40)
    strain: str = Field(primary_key=True, max_length=100)
    veg_days: Decimal = Field(sa_column=grams_column())
    flower_days: Decimal = Field(sa_column=grams_column())
    low_grams: Decimal = Field(sa_column=grams_column())
    grams: Decimal = Field(sa_column=grams_column())
    high_grams: Decimal = Field(sa_column=grams_column())
    refreshed_at: datetime = Field(sa_column=time_column())


class InventoryProjection(SQLModel, table=True):
    __tablename__ = "inventory_projections"

    licence: str = Field(primary_key=True, max_length=40)
    made_on: date = Field(sa_column=sa.Column(sa.Date(), primary_key=True))
    week_start: date = Field(sa_column=sa.Column(sa.Date(), primary_key=True))
    # When it was made: its first week runs 7 days from here, so a plant cut earlier that day
    # is not counted against it.
    made_at: datetime = Field(sa_column=time_column())
    plants: int = 0
    expected_grams: Decimal = Field(sa_column=grams_column())
    low_grams: Decimal = Field(sa_column=grams_column())
    high_grams: Decimal = Field(sa_column=grams_column())
    unprojected: int = 0  # live plants with no history to go by (same on every week's row)
