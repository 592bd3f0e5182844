"""Compliance records that are not plants or product: the licence, its premises, its people,
its tag orders, losses of access, diversion reports and the daily reconciliation.

They travel in the same envelope as floor events, so each is attributed to its operator
(ACCOUNTABLE) and kept in the append-only log (NO-FALSIFICATION). A station sends some of them
(``access.lost``, ``access.restored``); the ops console writes the rest under the pseudo-station
``console`` (see ``docs/mqtt.md``).

Passwords and sessions are never part of an event: they live in the server's accounts tables.
"""

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.ids import EventId, Name, StationId, TagUid, Text, UserId
from schemas.times import Day, Instant, WallTime


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
