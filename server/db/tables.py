"""The tables. Two kinds:

- The **event log** (``event_log``) is the legal record (RETAIN-7Y, NO-FALSIFICATION): every
  event a registered licensee's station sent, accepted or rejected, in the order it was
  decided. The database refuses UPDATE and DELETE on it (triggers, see the first migration).
- **Projections** (``batches``, ``plants``, ``tags``, ``harvest_batches``, ``waste``) hold the
  current state. They change only in the same transaction as a log append, and can be rebuilt
  from the accepted events of the log (:mod:`server.store.rebuild`).

Ingest bookkeeping (``stations``: the next expected sequence number per station;
``held_events``: events that arrived ahead of a gap) is neither: it is derived from the log or
waiting to enter it.

Weights are stored once, exactly, in grams (:class:`~server.db.types.ExactDecimal`), next to
the value and unit the station reported.
"""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.db.types import ExactDecimal, UtcDateTime

# SQLite autoincrements only an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _time(nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(UtcDateTime(), nullable=nullable)


def _grams(nullable: bool = True) -> sa.Column[Decimal]:
    return sa.Column(ExactDecimal(), nullable=nullable)


class Licensee(SQLModel, table=True):
    __tablename__ = "licensees"

    licence: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    jurisdiction: str = Field(max_length=2)  # OR, CA, CT
    timezone: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=_time())


class Station(SQLModel, table=True):
    __tablename__ = "stations"

    licence: str = Field(primary_key=True, foreign_key="licensees.licence", max_length=40)
    station_id: str = Field(primary_key=True, max_length=64)
    next_sequence: int = Field(default=1, sa_type=sa.BigInteger)
    last_event_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))


class EventLog(SQLModel, table=True):
    __tablename__ = "event_log"
    __table_args__ = (
        sa.UniqueConstraint("licence", "station_id", "sequence", name="uq_event_log_station_seq"),
    )

    position: int | None = Field(default=None, sa_column=sa.Column(BigId, primary_key=True))
    event_id: str = Field(max_length=36, unique=True)
    licence: str = Field(foreign_key="licensees.licence", max_length=40, index=True)
    station_id: str = Field(max_length=64)
    sequence: int = Field(sa_type=sa.BigInteger)
    kind: str = Field(max_length=40)
    operator_id: str = Field(max_length=64)
    device_id: str | None = Field(default=None, max_length=64)
    occurred_at: datetime = Field(sa_column=_time())
    received_at: datetime = Field(sa_column=_time())
    outcome: str = Field(max_length=10)  # accepted | rejected
    violations: str = Field(sa_type=sa.Text)  # JSON list of schemas.Violation
    body: str = Field(sa_type=sa.Text)  # the canonical JSON of the EventEnvelope
    body_sha256: str = Field(max_length=64)


class HeldEvent(SQLModel, table=True):
    """An event that arrived before an earlier sequence number of its station."""

    __tablename__ = "held_events"

    licence: str = Field(primary_key=True, max_length=40)
    station_id: str = Field(primary_key=True, max_length=64)
    sequence: int = Field(primary_key=True, sa_type=sa.BigInteger)
    event_id: str = Field(max_length=36, unique=True)
    body: str = Field(sa_type=sa.Text)
    body_sha256: str = Field(max_length=64)
    received_at: datetime = Field(sa_column=_time())


class Batch(SQLModel, table=True):
    __tablename__ = "batches"

    licence: str = Field(primary_key=True, max_length=40)
    batch_id: str = Field(primary_key=True, max_length=64)
    origin: str = Field(max_length=20)
    strain: str = Field(max_length=100)
    location: str = Field(max_length=100)
    initial_count: int
    untagged_count: int  # immature plants still counted in the batch, not yet tagged
    tagged_count: int = 0
    destroyed_count: int = 0
    created_at: datetime = Field(sa_column=_time())
    created_position: int = Field(sa_type=sa.BigInteger)


class Tag(SQLModel, table=True):
    """The UID tag ledger: one row per UID received by the licensee."""

    __tablename__ = "tags"

    licence: str = Field(primary_key=True, max_length=40)
    uid: str = Field(primary_key=True, max_length=24)
    tag_type: str = Field(max_length=10)  # plant | package
    status: str = Field(max_length=10)  # available | assigned | retired
    item_type: str | None = Field(default=None, max_length=20)
    item_id: str | None = Field(default=None, max_length=100)
    received_at: datetime = Field(sa_column=_time())
    assigned_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    retired_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    retired_reason: str | None = Field(default=None, max_length=500)


class Plant(SQLModel, table=True):
    __tablename__ = "plants"

    licence: str = Field(primary_key=True, max_length=40)
    uid: str = Field(primary_key=True, max_length=24)
    batch_id: str = Field(max_length=64)
    strain: str = Field(max_length=100)
    phase: str = Field(max_length=12)
    location: str = Field(max_length=100)
    tagged_at: datetime = Field(sa_column=_time())
    harvest_batch: str | None = Field(default=None, max_length=100)
    wet_weight_value: Decimal | None = Field(default=None, sa_column=_grams())
    wet_weight_unit: str | None = Field(default=None, max_length=2)
    wet_weight_grams: Decimal | None = Field(default=None, sa_column=_grams())
    harvested_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    destroyed_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))


class HarvestBatch(SQLModel, table=True):
    __tablename__ = "harvest_batches"

    licence: str = Field(primary_key=True, max_length=40)
    name: str = Field(primary_key=True, max_length=100)
    strain: str = Field(max_length=100)
    location: str | None = Field(default=None, max_length=100)
    plant_count: int = 0
    wet_weight_grams: Decimal = Field(sa_column=_grams(nullable=False))
    dry_weight_grams: Decimal | None = Field(default=None, sa_column=_grams())
    net_weight_grams: Decimal | None = Field(default=None, sa_column=_grams())
    waste_grams: Decimal = Field(sa_column=_grams(nullable=False))
    first_harvest_at: datetime = Field(sa_column=_time())


class Waste(SQLModel, table=True):
    """Weighed waste: destroyed plants and other cannabis waste, one row per event."""

    __tablename__ = "waste"

    position: int = Field(primary_key=True, sa_type=sa.BigInteger)
    licence: str = Field(max_length=40, index=True)
    source: str = Field(max_length=20)  # plant | batch | harvest_batch | location
    source_id: str = Field(max_length=100)
    plant_count: int = 0
    weight_grams: Decimal = Field(sa_column=_grams(nullable=False))
    method: str = Field(max_length=20)
    reason: str = Field(max_length=500)
    occurred_at: datetime = Field(sa_column=_time())


PROJECTION_TABLES = ("batches", "tags", "plants", "harvest_batches", "waste")
