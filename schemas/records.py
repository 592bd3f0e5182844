"""Compliance records that are not plants or product: the licence, its premises, its people,
its tag orders, losses of access, diversion reports, the daily reconciliation and physical
inventory audits.

They travel in the same envelope as floor events, so each is attributed to its operator
(ACCOUNTABLE) and kept in the append-only log (NO-FALSIFICATION). A station sends some of them
(``access.lost``, ``access.restored``); the ops console writes the rest under the pseudo-station
``console`` (see ``docs/mqtt.md``).

Passwords and sessions are never part of an event: they live in the server's accounts tables.
"""

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.ids import EventId, Name, StationId, TagUid, Text, UserId
from schemas.times import Day, Instant, WallTime
from schemas.weights import Weight


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LicenceType(StrEnum):
    PRODUCER = "producer"  # OR producer / CA cultivator
    NURSERY = "nursery"
    PROCESSOR = "processor"
    DISTRIBUTOR = "distributor"
    LABORATORY = "laboratory"
    RETAILER = "retailer"
    MICROBUSINESS = "microbusiness"


class LicenceStatus(StrEnum):
    ACTIVE = "active"
    TEMPORARY = "temporary"
    SURRENDERED = "surrendered"
    EXPIRED = "expired"
    REVOKED = "revoked"


class LicenceUpdated(_Model):
    """The licence's details change; only the fields given change."""

    kind: Literal["licence.updated"] = "licence.updated"
    licence_type: LicenceType | None = None
    status: LicenceStatus | None = None
    close_of_business: WallTime | None = None  # local time in the licensee's time zone
    licensure_date: Day | None = None

    @model_validator(mode="after")
    def _something(self) -> "LicenceUpdated":
        if all(
            v is None
            for v in (self.licence_type, self.status, self.close_of_business, self.licensure_date)
        ):
            raise ValueError("give at least one of licence_type, status, close_of_business, ...")
        return self


class InventoryClosedOut(_Model):
    """A licence that ended (surrendered, expired, revoked) has its inventory closed out
    (CA 8406(c),(d)); after this the licensee records nothing (CLOSED-OUT)."""

    kind: Literal["inventory.closed_out"] = "inventory.closed_out"
    note: Text


class LocationKind(StrEnum):
    ROOM = "room"
    CANOPY = "canopy"
    DRYING_ROOM = "drying_room"
    STORAGE = "storage"
    OTHER = "other"


class LocationAdded(_Model):
    """A room, canopy area or drying room of the licensed premises."""

    kind: Literal["location.added"] = "location.added"
    name: Name
    location_kind: LocationKind
    premises: Text  # the premises' address


class Role(StrEnum):
    ACCOUNT_MANAGER = "account_manager"
    ADMINISTRATOR = "administrator"
    USER = "user"


class UserRegistered(_Model):
    """A person gets a unique log-on for this licensee (UNIQUE-LOGON, USER-ROSTER)."""

    kind: Literal["user.registered"] = "user.registered"
    user_id: UserId
    full_name: Name
    role: Role
    premises: Text | None = None


class UserTrained(_Model):
    """A training record (TRAINED-BEFORE-ACCESS, CA 8400(d)(8)): date, description, trainer,
    trainee. Administrators are trained by the state; users by an administrator."""

    kind: Literal["user.trained"] = "user.trained"
    user_id: UserId
    trained_on: Day
    description: Text
    trainer: Name


class TrainingRegistered(_Model):
    """An account manager registered for the state's training (TRAINING-5BD, CA 8402(b)(2))."""

    kind: Literal["training.registered"] = "training.registered"
    user_id: UserId
    course: Text
    registered_on: Day


class UserCancelled(_Model):
    """A user's access ends at once (USER-ROSTER, CA 8402(b)(5))."""

    kind: Literal["user.cancelled"] = "user.cancelled"
    user_id: UserId
    reason: Text


class TagsOrdered(_Model):
    """UID tags requested from the vendor or department (TAG-REQUEST-5BD, CA 8403(a))."""

    kind: Literal["tags.ordered"] = "tags.ordered"
    tag_type: Literal["plant", "package"]
    quantity: Annotated[int, Field(ge=1, le=1_000_000)]
    order_reference: Name


class AccessLost(_Model):
    """Access to the system was lost (OR CTS Requirements (8); CA 8402(d)). ``station_id``
    names the station that lost it, or is None when the whole premises did."""

    kind: Literal["access.lost"] = "access.lost"
    lost_at: Instant
    cause: Text
    station_id: StationId | None = None


class AccessRestored(_Model):
    """Access came back. ``lost_event_id`` names the ``access.lost`` it ends; ``backlog``
    is how many events were recorded during the loss and are being entered now."""

    kind: Literal["access.restored"] = "access.restored"
    lost_event_id: EventId
    restored_at: Instant
    cause: Text
    backlog: Annotated[int, Field(ge=0)]


class RecordFlagged(_Model):
    """Someone found that an accepted event is wrong (CORRECTION-3BD's 3 business days start
    at ``discovered_at``)."""

    kind: Literal["record.flagged"] = "record.flagged"
    event_id: EventId
    problem: Text
    discovered_at: Instant


class DiversionCategory(StrEnum):
    DIVERSION = "diversion"
    THEFT = "theft"
    LOSS = "loss"
    CRIMINAL_ACTIVITY = "criminal_activity"


class DiversionDiscovered(_Model):
    """Diversion, theft, loss or criminal activity was discovered (CA 8409)."""

    kind: Literal["diversion.discovered"] = "diversion.discovered"
    category: DiversionCategory
    discovered_at: Instant
    description: Text
    uids: Annotated[list[TagUid], Field(max_length=500)] = []


class DiversionReported(_Model):
    """The discovery was reported to the department and to law enforcement (CA 8409)."""

    kind: Literal["diversion.reported"] = "diversion.reported"
    discovery_event_id: EventId
    reported_at: Instant
    department_reference: Name
    law_enforcement_agency: Name
    law_enforcement_reference: Name


class ReconciliationRecorded(_Model):
    """The day's inventory was reconciled at close of business (DAILY-RECONCILE)."""

    kind: Literal["reconciliation.recorded"] = "reconciliation.recorded"
    business_date: Day
    note: Text | None = None


class AuditItem(StrEnum):
    """What a physical audit counts: a tagged plant (UID), a batch's untagged plants (batch
    id), a harvest batch (name), a package (UID)."""

    PLANT = "plant"
    BATCH = "batch"
    HARVEST_BATCH = "harvest_batch"
    PACKAGE = "package"


# Lines of one inventory.audited event: 150 lines of the longest form stay under the ingest's
# 64 KiB limit (docs/mqtt.md, Size limit); a longer audit is recorded in parts.
MAX_AUDITED_LINES = 150


class AuditedLine(_Model):
    """One item of a physical audit: what the system expected when the audit was compared and
    what was found. ``expected_*`` is null for an item the system does not know, ``counted_*``
    for one the system holds that the audit did not find; a count and a weight are each
    given where the item has one. ``usable_cannabis`` (flower, leaf, shake; a harvest batch):
    a weight within the audit's moisture tolerance is not a variance."""

    item_type: AuditItem
    item_id: Name
    usable_cannabis: bool = False
    expected_count: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    counted_count: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    expected_weight: Weight | None = None
    counted_weight: Weight | None = None

    @model_validator(mode="after")
    def _something(self) -> "AuditedLine":
        given = (self.expected_count, self.counted_count, self.expected_weight, self.counted_weight)
        if all(v is None for v in given):
            raise ValueError("give what was expected, what was counted, or both")
        return self

    def differs(self, tolerance_pct: Decimal) -> bool:
        """Whether this line is a variance (AUDIT-VARIANCE): an item the system does not know,
        one it holds that was not found, a count that differs, or a weight that differs (for
        usable cannabis: by more than ``tolerance_pct`` percent of the expected weight)."""
        expected = (self.expected_count, self.expected_weight)
        counted = (self.counted_count, self.counted_weight)
        if all(v is None for v in expected) or all(v is None for v in counted):
            return True
        counts = (self.expected_count, self.counted_count)
        if None not in counts and counts[0] != counts[1]:
            return True
        if self.expected_weight is None or self.counted_weight is None:
            return False
        want, got = self.expected_weight.in_grams(), self.counted_weight.in_grams()
        if want == got:
            return False
        if not self.usable_cannabis or want == 0:
            return True
        return abs(got - want) * 100 > tolerance_pct * want


class InventoryAudited(_Model):
    """A physical inventory audit, compared with the system (AUDIT-VARIANCE; OR Inventory
    Audits; CA 8408): every item counted or expected, with both quantities as they stood.
    ``moisture_tolerance_pct`` is the share of a usable-cannabis weight that counted as
    moisture, not variance. An audit of more than :data:`MAX_AUDITED_LINES` lines is recorded
    as ``parts`` events sharing ``audit_id``, numbered by ``part`` from 1."""

    kind: Literal["inventory.audited"] = "inventory.audited"
    audit_id: Name
    part: Annotated[int, Field(ge=1, le=10_000)] = 1
    parts: Annotated[int, Field(ge=1, le=10_000)] = 1
    audited_by: Name
    moisture_tolerance_pct: Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
    lines: Annotated[list[AuditedLine], Field(min_length=1, max_length=MAX_AUDITED_LINES)]

    @model_validator(mode="after")
    def _part_of_parts(self) -> "InventoryAudited":
        if self.part > self.parts:
            raise ValueError(f"part {self.part} of {self.parts}: a part beyond the last")
        return self

    def variances(self) -> list[AuditedLine]:
        """The lines that are variances (:meth:`AuditedLine.differs`), in order."""
        return [line for line in self.lines if line.differs(self.moisture_tolerance_pct)]


# The record-keeping kinds of this module, in the order the event payload lists them
# (schemas.events.Payload).
RecordPayload = (
    LicenceUpdated
    | InventoryClosedOut
    | LocationAdded
    | UserRegistered
    | UserTrained
    | TrainingRegistered
    | UserCancelled
    | TagsOrdered
    | AccessLost
    | AccessRestored
    | RecordFlagged
    | DiversionDiscovered
    | DiversionReported
    | ReconciliationRecorded
    | InventoryAudited
)
