"""The tables. Two kinds:

- The **event log** (``event_log``) is the legal record (RETAIN-7Y, NO-FALSIFICATION): every
  event a registered licensee's station sent, accepted or rejected, in the order it was
  decided. The database refuses UPDATE and DELETE on it (triggers, see the first migration),
  and on SQLite an insert that would REPLACE a stored row (migration 0007). Each licensee's
  rows form a SHA-256 hash chain (``chain_index``, ``prev_hash``, ``row_hash``;
  :mod:`server.store.chain`), so a change made with the triggers bypassed is still found
  (``seedtrace db verify``, ``docs/integrity.md``).
- **Projections** (:data:`PROJECTION_TABLES`: cultivation, the tag ledger, packages and
  transfers, the licence, its people and its compliance records) hold the current state. They
  change only in the same transaction as a log append, and can be rebuilt from the accepted
  events of the log (:mod:`server.store.rebuild`). Every projection row has a ``licence``
  column: a correction rebuilds one licensee's rows.

Ingest bookkeeping (``stations``: the next expected sequence number per station;
``held_events``: events that arrived ahead of a gap) is neither: it is derived from the log or
waiting to enter it. ``event_items`` (which items each logged event names, for an item's
audit trail: :mod:`server.store.items`) is an index of the log, written with its rows and
derived from them alone.

Weights are stored once, exactly, in grams (:class:`~server.db.types.ExactDecimal`), next to
the value and unit the station reported where a plant's wet weight is concerned.
``licensees`` is registration (who may send events at all); ``licence_details`` is what the
licence's own events say about it.
"""

from datetime import date, datetime, time
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.db.types import ExactDecimal, grams_column, time_column

# SQLite autoincrements only an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# Partial index predicates, written as the queries that use them write them (a query must
# name the predicate for SQLite to use the index): see Batch and HarvestBatch.
HOLDING = "untagged_count > 0"
HAS_LEFT = "has_left"
NO_NET = "net_weight_grams IS NULL"


def newest_first(table: str) -> tuple[sa.Index]:
    """The index of a licensee's rows in log order, ``ix_<table>_licence_position``, for a
    table listed newest first per licensee (the API's lists): it serves a lookup by licence as
    the licence's own index did, and the order too. Without the order, PostgreSQL walks the
    primary key backwards through every licensee's newer rows to reach a quiet licensee's
    (docs/performance.md, Scale, change 12)."""
    return (sa.Index(f"ix_{table}_licence_position", "licence", "position"),)


class Licensee(SQLModel, table=True):
    __tablename__ = "licensees"

    licence: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    jurisdiction: str = Field(max_length=2)  # OR, CA, CT
    timezone: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=time_column())


class Station(SQLModel, table=True):
    __tablename__ = "stations"

    licence: str = Field(primary_key=True, foreign_key="licensees.licence", max_length=40)
    station_id: str = Field(primary_key=True, max_length=64)
    next_sequence: int = Field(default=1, sa_type=sa.BigInteger)
    last_event_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))


class EventLog(SQLModel, table=True):
    __tablename__ = "event_log"
    __table_args__ = (
        sa.UniqueConstraint("licence", "station_id", "sequence", name="uq_event_log_station_seq"),
        # TRANSFER-AFTER-OUTAGE counts a licensee's events recorded during a loss of access.
        sa.Index("ix_event_log_licence_occurred_at", "licence", "occurred_at"),
        # One row per place in a licensee's chain; the ingest reads the head from it.
        sa.Index("ux_event_log_licence_chain", "licence", "chain_index", unique=True),
    )

    position: int | None = Field(default=None, sa_column=sa.Column(BigId, primary_key=True))
    event_id: str = Field(max_length=36, unique=True)
    licence: str = Field(foreign_key="licensees.licence", max_length=40, index=True)
    station_id: str = Field(max_length=64)
    sequence: int = Field(sa_type=sa.BigInteger)
    kind: str = Field(max_length=40)
    operator_id: str = Field(max_length=64)
    device_id: str | None = Field(default=None, max_length=64)
    occurred_at: datetime = Field(sa_column=time_column())
    received_at: datetime = Field(sa_column=time_column())
    outcome: str = Field(max_length=10)  # accepted | rejected
    violations: str = Field(sa_type=sa.Text)  # JSON list of schemas.Violation
    body: str = Field(sa_type=sa.Text)  # the canonical JSON of the EventEnvelope
    body_sha256: str = Field(max_length=64)
    # The hash chain (server.store.chain). Nullable only because the database cannot tell a
    # row written outside seedtrace from one written by it: ``db verify`` names such a row.
    chain_index: int | None = Field(default=None, sa_type=sa.BigInteger)
    prev_hash: str | None = Field(default=None, max_length=64)
    row_hash: str | None = Field(default=None, max_length=64)


class EventItem(SQLModel, table=True):
    """One item a logged event names (a UID, batch, harvest batch, manifest, user, audit or
    event ID; :mod:`server.store.items`), by the event's place in its licensee's hash chain
    (``event_log.chain_index``, known before the row is inserted, in log order): the audit
    trail of an item reads its own rows, however long the log."""

    __tablename__ = "event_items"

    licence: str = Field(primary_key=True, max_length=40)
    item: str = Field(primary_key=True, max_length=100)
    chain_index: int = Field(primary_key=True, sa_type=sa.BigInteger)


class HeldEvent(SQLModel, table=True):
    """An event that arrived before an earlier sequence number of its station."""

    __tablename__ = "held_events"

    licence: str = Field(primary_key=True, max_length=40)
    station_id: str = Field(primary_key=True, max_length=64)
    sequence: int = Field(primary_key=True, sa_type=sa.BigInteger)
    event_id: str = Field(max_length=36, unique=True)
    body: str = Field(sa_type=sa.Text)
    body_sha256: str = Field(max_length=64)
    received_at: datetime = Field(sa_column=time_column())


class Batch(SQLModel, table=True):
    __tablename__ = "batches"
    # The batches that still hold untagged plants, seeds or cultures (BATCH-MAX-100 counts the
    # plants): the console's inventory page and its rooms read these, not every batch the
    # licensee ever started (docs/performance.md, Scale, change 19).
    __table_args__ = (
        sa.Index(
            "ix_batches_holding",
            "licence",
            postgresql_where=sa.text(HOLDING),
            sqlite_where=sa.text(HOLDING),
        ),
    )

    licence: str = Field(primary_key=True, max_length=40)
    batch_id: str = Field(primary_key=True, max_length=64)
    origin: str = Field(max_length=20)
    strain: str = Field(max_length=100)
    location: str = Field(max_length=100)
    initial_count: int
    untagged_count: int  # items still counted in the batch, not yet tagged
    # Of those, seeds and tissue cultures not yet plants (BATCH-MAX-100 does not count them):
    # lowered by plant_batch.germinated, by tagging beyond the batch's plants, and first by
    # a destruction of untagged items. Always 0 for clones and nursery seedlings.
    unsprouted_count: int = 0
    tagged_count: int = 0
    destroyed_count: int = 0
    created_at: datetime = Field(sa_column=time_column())
    created_position: int = Field(sa_type=sa.BigInteger)


class Tag(SQLModel, table=True):
    """The UID tag ledger: one row per UID received by the licensee. A retired UID keeps its
    row, with the date and reason, for good (RETAIN-7Y asks for 6 months after retirement):
    nothing deletes from the ledger, and TAG-ONE-ITEM reads it to refuse the UID again."""

    __tablename__ = "tags"
    __table_args__ = (
        # The deadline sweep's tag stock (TAG-SUPPLY, server.compliance.deadlines.due): the
        # tags on hand and those assigned in the rate window, read without the rest of the
        # ledger (docs/performance.md, Scale, change 17).
        sa.Index(
            "ix_tags_available",
            "licence",
            "tag_type",
            postgresql_where=sa.text("status = 'available'"),
            sqlite_where=sa.text("status = 'available'"),
        ),
        sa.Index(
            "ix_tags_assigned_at",
            "assigned_at",
            "licence",
            "tag_type",
            postgresql_where=sa.text("assigned_at IS NOT NULL"),
            sqlite_where=sa.text("assigned_at IS NOT NULL"),
        ),
    )

    licence: str = Field(primary_key=True, max_length=40)
    uid: str = Field(primary_key=True, max_length=24)
    tag_type: str = Field(max_length=10)  # plant | package
    status: str = Field(max_length=10)  # available | assigned | retired
    item_type: str | None = Field(default=None, max_length=20)
    item_id: str | None = Field(default=None, max_length=100)
    received_at: datetime = Field(sa_column=time_column())
    # When the roll physically arrived, when the receipt says it was earlier (TAG-RECEIPT-3BD).
    delivered_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    assigned_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    retired_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    retired_reason: str | None = Field(default=None, max_length=500)


class Plant(SQLModel, table=True):
    __tablename__ = "plants"
    # The live plants of a licensee by phase, without its harvested and destroyed ones: the
    # console's plants by room (docs/performance.md, Scale, change 16). Not the location: a
    # move (most floor events) then changes no indexed column.
    __table_args__ = (sa.Index("ix_plants_licence_phase", "licence", "phase"),)

    licence: str = Field(primary_key=True, max_length=40)
    uid: str = Field(primary_key=True, max_length=24)
    batch_id: str = Field(max_length=64)
    strain: str = Field(max_length=100)
    phase: str = Field(max_length=12)
    location: str = Field(max_length=100)
    tagged_at: datetime = Field(sa_column=time_column())
    harvest_batch: str | None = Field(default=None, max_length=100)
    wet_weight_value: Decimal | None = Field(default=None, sa_column=grams_column(nullable=True))
    wet_weight_unit: str | None = Field(default=None, max_length=2)
    wet_weight_grams: Decimal | None = Field(default=None, sa_column=grams_column(nullable=True))
    harvested_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    destroyed_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))


class HarvestBatch(SQLModel, table=True):
    __tablename__ = "harvest_batches"
    # The open harvest batches, in order of their first harvest (NET-WEIGHT-60D's clock): those
    # with something left to package, and those without a net weight (where the pack has
    # NET-WEIGHT-60D, the rule is open for them). The console's inventory page reads these,
    # not every batch the licensee ever harvested (docs/performance.md, Scale, change 19).
    __table_args__ = (
        sa.Index(
            "ix_harvest_batches_left",
            "licence",
            "first_harvest_at",
            postgresql_where=sa.text(HAS_LEFT),
            sqlite_where=sa.text(HAS_LEFT),
        ),
        sa.Index(
            "ix_harvest_batches_no_net",
            "licence",
            "first_harvest_at",
            postgresql_where=sa.text(NO_NET),
            sqlite_where=sa.text(NO_NET),
        ),
    )

    licence: str = Field(primary_key=True, max_length=40)
    name: str = Field(primary_key=True, max_length=100)
    strain: str = Field(max_length=100)
    location: str | None = Field(default=None, max_length=100)
    plant_count: int = 0
    wet_weight_grams: Decimal = Field(sa_column=grams_column())
    dry_weight_grams: Decimal | None = Field(default=None, sa_column=grams_column(nullable=True))
    net_weight_grams: Decimal | None = Field(default=None, sa_column=grams_column(nullable=True))
    waste_grams: Decimal = Field(sa_column=grams_column())
    # Taken into packages so far (PRODUCT-FROM-HARVEST: a batch gives no more than it has).
    packaged_grams: Decimal = Field(sa_column=grams_column())
    # Grams left to package: the latest recorded weight less packaged_grams is above zero
    # (server.compliance.rules.state.has_left), kept by the projections with the weights
    # because the exact decimal text cannot be compared in SQL.
    has_left: bool = True
    first_harvest_at: datetime = Field(sa_column=time_column())


class Waste(SQLModel, table=True):
    """Weighed waste: destroyed plants and other cannabis waste, one row per event."""

    __tablename__ = "waste"
    __table_args__ = newest_first("waste")

    position: int = Field(primary_key=True, sa_type=sa.BigInteger)
    licence: str = Field(max_length=40)
    source: str = Field(max_length=20)  # plant | batch | harvest_batch | location
    source_id: str = Field(max_length=100)
    plant_count: int = 0
    weight_grams: Decimal = Field(sa_column=grams_column())
    method: str = Field(max_length=20)
    reason: str = Field(max_length=500)
    occurred_at: datetime = Field(sa_column=time_column())


# --- The licence, its premises and its people -------------------------------------------------


class LicenceDetails(SQLModel, table=True):
    """What ``licence.updated`` and ``inventory.closed_out`` say about a licence. No row: the
    licence has recorded none yet (its status is then unknown, not "ended")."""

    __tablename__ = "licence_details"

    licence: str = Field(primary_key=True, max_length=40)
    licence_type: str | None = Field(default=None, max_length=20)
    status: str | None = Field(default=None, max_length=12)
    close_of_business: time | None = Field(default=None, sa_type=sa.Time)  # local time
    licensure_date: date | None = Field(default=None, sa_type=sa.Date)
    closed_out_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    closed_out_note: str | None = Field(default=None, max_length=500)
    updated_at: datetime = Field(sa_column=time_column())


class Location(SQLModel, table=True):
    """A room, canopy area, drying room or storage area of the licensed premises."""

    __tablename__ = "locations"

    licence: str = Field(primary_key=True, max_length=40)
    name: str = Field(primary_key=True, max_length=100)
    location_kind: str = Field(max_length=12)
    premises: str = Field(max_length=500)
    added_at: datetime = Field(sa_column=time_column())


class User(SQLModel, table=True):
    """The roster (USER-ROSTER): one row per log-on ever registered; a cancelled user stays."""

    __tablename__ = "users"

    licence: str = Field(primary_key=True, max_length=40)
    user_id: str = Field(primary_key=True, max_length=64)
    full_name: str = Field(max_length=100)
    role: str = Field(max_length=20)
    premises: str | None = Field(default=None, max_length=500)
    registered_at: datetime = Field(sa_column=time_column())
    registered_by: str = Field(max_length=64)
    first_trained_on: date | None = Field(default=None, sa_type=sa.Date)
    cancelled_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    cancel_reason: str | None = Field(default=None, max_length=500)


class TrainingRecord(SQLModel, table=True):
    """A training record (TRAINED-BEFORE-ACCESS, CA 8400(d)(8)): date, description, trainer,
    trainee; ``recorded_by`` is who entered it."""

    __tablename__ = "training_records"

    position: int = Field(primary_key=True, sa_type=sa.BigInteger)
    licence: str = Field(max_length=40, index=True)
    user_id: str = Field(max_length=64)
    trained_on: date = Field(sa_type=sa.Date)
    description: str = Field(max_length=500)
    trainer: str = Field(max_length=100)
    recorded_by: str = Field(max_length=64)
    recorded_at: datetime = Field(sa_column=time_column())


class TrainingRegistration(SQLModel, table=True):
    """An account manager registered for the state's training (TRAINING-5BD)."""

    __tablename__ = "training_registrations"

    position: int = Field(primary_key=True, sa_type=sa.BigInteger)
    licence: str = Field(max_length=40, index=True)
    user_id: str = Field(max_length=64)
    course: str = Field(max_length=500)
    registered_on: date = Field(sa_type=sa.Date)
    recorded_at: datetime = Field(sa_column=time_column())


class TagOrder(SQLModel, table=True):
    """UID tags requested from the vendor or department (TAG-REQUEST-5BD)."""

    __tablename__ = "tag_orders"
    __table_args__ = newest_first("tag_orders")

    position: int = Field(primary_key=True, sa_type=sa.BigInteger)
    licence: str = Field(max_length=40)
    tag_type: str = Field(max_length=10)
    quantity: int
    order_reference: str = Field(max_length=100)
    ordered_at: datetime = Field(sa_column=time_column())
    ordered_by: str = Field(max_length=64)


# --- Packages, transfers, sales ---------------------------------------------------------------


class Package(SQLModel, table=True):
    """A package UID and what it holds. ``source`` is ``created`` (packaged here from harvest
    batches) or ``received`` (accepted from another licensee: category and strain unknown
    here). ``status``: ``on_hand``, ``manifested`` (on an outgoing manifest), ``departed``."""

    __tablename__ = "packages"

    licence: str = Field(primary_key=True, max_length=40)
    uid: str = Field(primary_key=True, max_length=24)
    source: str = Field(max_length=10)
    category: str | None = Field(default=None, max_length=20)
    strain: str | None = Field(default=None, max_length=100)
    # the total
    quantity_grams: Decimal | None = Field(default=None, sa_column=grams_column(nullable=True))
    quantity_count: int | None = None
    unit_weight_grams: Decimal | None = Field(default=None, sa_column=grams_column(nullable=True))
    for_processor: bool = False
    location: str | None = Field(default=None, max_length=100)
    status: str = Field(max_length=12)
    manifest_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_column=time_column())


class PackageSource(SQLModel, table=True):
    """How much of one harvest batch went into a package (PRODUCT-FROM-HARVEST)."""

    __tablename__ = "package_sources"

    licence: str = Field(primary_key=True, max_length=40)
    package_uid: str = Field(primary_key=True, max_length=24)
    harvest_batch: str = Field(primary_key=True, max_length=100)
    weight_grams: Decimal = Field(sa_column=grams_column())


class Transfer(SQLModel, table=True):
    """A transfer as this licensee sees it: ``out`` (we are the seller: manifested, departed)
    or ``in`` (goods from another licensee: arrived, received)."""

    __tablename__ = "transfers"

    licence: str = Field(primary_key=True, max_length=40)
    direction: str = Field(primary_key=True, max_length=3)  # out | in
    manifest_id: str = Field(primary_key=True, max_length=64)
    status: str = Field(max_length=10)  # manifested | departed | arrived | received
    seller_name: str = Field(max_length=100)
    seller_address: str = Field(max_length=500)
    seller_licence: str = Field(max_length=40)
    purchaser_name: str | None = Field(default=None, max_length=100)
    purchaser_address: str | None = Field(default=None, max_length=500)
    purchaser_licence: str | None = Field(default=None, max_length=40)
    distributor_name: str | None = Field(default=None, max_length=100)
    distributor_address: str | None = Field(default=None, max_length=500)
    distributor_licence: str | None = Field(default=None, max_length=40)
    transfer_date: date | None = Field(default=None, sa_type=sa.Date)
    estimated_departure: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    estimated_arrival: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    departed_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    arrived_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    recorded_at: datetime = Field(sa_column=time_column())
    # The invoice of an ``out`` transfer (SALES-INVOICE, CA 8401): who recorded the manifest
    # (the seller's signature, 8401(h)), the discount off the items' prices in US dollars
    # (8401(f)), and the purchaser's signed acknowledgement (8401(i), ``invoice.acknowledged``).
    recorded_by: str | None = Field(default=None, max_length=64)
    discount: Decimal | None = Field(default=None, sa_column=sa.Column(ExactDecimal()))
    purchaser_signed_by: str | None = Field(default=None, max_length=100)
    purchaser_signed_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    purchaser_signature_recorded_by: str | None = Field(default=None, max_length=64)


class TransferItem(SQLModel, table=True):
    """One UID of a transfer; for incoming goods, whether it was accepted or rejected."""

    __tablename__ = "transfer_items"

    licence: str = Field(primary_key=True, max_length=40)
    direction: str = Field(primary_key=True, max_length=3)
    manifest_id: str = Field(primary_key=True, max_length=64)
    uid: str = Field(primary_key=True, max_length=24)
    category: str | None = Field(default=None, max_length=20)
    strain: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    quantity_grams: Decimal | None = Field(default=None, sa_column=grams_column(nullable=True))
    quantity_count: int | None = None
    decision: str | None = Field(default=None, max_length=8)  # accepted | rejected
    received_grams: Decimal | None = Field(default=None, sa_column=grams_column(nullable=True))
    received_count: int | None = None
    reject_reason: str | None = Field(default=None, max_length=500)
    price: Decimal | None = Field(default=None, sa_column=sa.Column(ExactDecimal()))  # US $


class Sale(SQLModel, table=True):
    """A retail sale from a package (RETAIL-SALES-EOD). ``price`` in US dollars."""

    __tablename__ = "sales"
    __table_args__ = newest_first("sales")

    position: int = Field(primary_key=True, sa_type=sa.BigInteger)
    licence: str = Field(max_length=40)
    package_uid: str = Field(max_length=24)
    quantity_grams: Decimal | None = Field(default=None, sa_column=grams_column(nullable=True))
    quantity_count: int | None = None
    price: Decimal = Field(sa_column=sa.Column(ExactDecimal(), nullable=False))  # exact
    sold_at: datetime = Field(sa_column=time_column())


# --- Compliance records -----------------------------------------------------------------------


class AccessLoss(SQLModel, table=True):
    """A loss of access and, once recorded, its restoration (OR CTS Requirements (8); CA
    8402(d)). ``station_id`` None: the whole premises lost access."""

    __tablename__ = "access_losses"

    lost_event_id: str = Field(primary_key=True, max_length=36)
    licence: str = Field(max_length=40, index=True)
    station_id: str | None = Field(default=None, max_length=64)
    lost_at: datetime = Field(sa_column=time_column())
    cause: str = Field(max_length=500)
    reported_by: str = Field(max_length=64)
    restored_event_id: str | None = Field(default=None, max_length=36)
    restored_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    restore_cause: str | None = Field(default=None, max_length=500)
    backlog: int | None = None
    restored_by: str | None = Field(default=None, max_length=64)


class FlaggedRecord(SQLModel, table=True):
    """An accepted event someone found to be wrong (CORRECTION-3BD starts at discovery)."""

    __tablename__ = "flagged_records"
    __table_args__ = newest_first("flagged_records")

    position: int = Field(primary_key=True, sa_type=sa.BigInteger)
    licence: str = Field(max_length=40)
    event_id: str = Field(max_length=36)
    problem: str = Field(max_length=500)
    discovered_at: datetime = Field(sa_column=time_column())
    flagged_by: str = Field(max_length=64)


class Correction(SQLModel, table=True):
    """A ``record.corrected``: ``corrects`` is the event it replaces (itself possibly a
    correction), ``root_event_id`` the first event of that chain, whose place the replacement
    takes in the replayed log."""

    __tablename__ = "corrections"

    event_id: str = Field(primary_key=True, max_length=36)
    licence: str = Field(max_length=40, index=True)
    corrects: str = Field(max_length=36, unique=True)
    root_event_id: str = Field(max_length=36)
    replacement_kind: str = Field(max_length=40)
    reason: str = Field(max_length=500)
    discovered_at: datetime = Field(sa_column=time_column())
    corrected_at: datetime = Field(sa_column=time_column())
    corrected_by: str = Field(max_length=64)


class Diversion(SQLModel, table=True):
    """Diversion, theft, loss or criminal activity discovered (CA 8409); ``uids`` is a JSON
    list."""

    __tablename__ = "diversions"

    event_id: str = Field(primary_key=True, max_length=36)
    licence: str = Field(max_length=40, index=True)
    category: str = Field(max_length=20)
    discovered_at: datetime = Field(sa_column=time_column())
    description: str = Field(max_length=500)
    uids: str = Field(sa_type=sa.Text)
    recorded_by: str = Field(max_length=64)


class DiversionReport(SQLModel, table=True):
    """A discovery reported to the department and law enforcement (DIVERSION-REPORT-3BD)."""

    __tablename__ = "diversion_reports"

    position: int = Field(primary_key=True, sa_type=sa.BigInteger)
    licence: str = Field(max_length=40, index=True)
    discovery_event_id: str = Field(max_length=36)
    reported_at: datetime = Field(sa_column=time_column())
    department_reference: str = Field(max_length=100)
    law_enforcement_agency: str = Field(max_length=100)
    law_enforcement_reference: str = Field(max_length=100)


class Reconciliation(SQLModel, table=True):
    """A day's inventory reconciled at close of business (DAILY-RECONCILE)."""

    __tablename__ = "reconciliations"
    __table_args__ = newest_first("reconciliations")

    position: int = Field(primary_key=True, sa_type=sa.BigInteger)
    licence: str = Field(max_length=40)
    business_date: date = Field(sa_type=sa.Date)
    note: str | None = Field(default=None, max_length=500)
    recorded_at: datetime = Field(sa_column=time_column())
    recorded_by: str = Field(max_length=64)


class InventoryAudit(SQLModel, table=True):
    """One recorded physical inventory audit (AUDIT-VARIANCE), or one part of a long one:
    how many items it lists and how many of them differ from what the system expected (a
    count, or a weight beyond the moisture tolerance for usable cannabis)."""

    __tablename__ = "inventory_audits"

    position: int = Field(primary_key=True, sa_type=sa.BigInteger)
    licence: str = Field(max_length=40, index=True)
    audit_id: str = Field(max_length=100)
    part: int
    parts: int
    audited_by: str = Field(max_length=100)
    audited_at: datetime = Field(sa_column=time_column())
    recorded_by: str = Field(max_length=64)
    lines: int
    variances: int


class PlantPhaseDay(SQLModel, table=True):
    """Live plants per phase at the end of one of a licensee's local days (in its
    ``licensees.timezone``), for the console's phase chart (:mod:`server.store.phase_days`).
    A row exists for each day on which an event that can change the counts was accepted; a
    day without a row has the counts of the licensee's latest row before it. ``immature``:
    untagged items of its batches that are plants (seeds and cultures not yet germinated
    left out); ``vegetative``, ``flowering``: tagged plants in that phase."""

    __tablename__ = "plant_phase_days"

    licence: str = Field(primary_key=True, max_length=40)
    day: date = Field(primary_key=True, sa_type=sa.Date)
    immature: int
    vegetative: int
    flowering: int


PROJECTION_TABLES = (
    "batches",
    "tags",
    "plants",
    "harvest_batches",
    "waste",
    "licence_details",
    "locations",
    "users",
    "training_records",
    "training_registrations",
    "tag_orders",
    "packages",
    "package_sources",
    "transfers",
    "transfer_items",
    "sales",
    "access_losses",
    "flagged_records",
    "corrections",
    "diversions",
    "diversion_reports",
    "reconciliations",
    "inventory_audits",
    "plant_phase_days",
)
