"""Station events: one envelope, a payload chosen by its ``kind``.

Every event is made at a station, written to the station's outbox, and published to
``seedtrace/v1/{licence}/{station}/events``. The envelope carries who, where and when; the
payload carries what happened. ``event_id`` is made once at the station and never changes,
so a redelivered event is recognised; ``sequence`` counts the station's events from 1, with no
gaps, across restarts, so the server can apply them in order.

Schema versioning: ``schema_version`` is 1 for everything here. A change that an old reader
could misread gets a new version number; adding an optional field does not.
"""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from schemas.commerce import (
    InvoiceAcknowledged,
    PackageCreated,
    SaleRecorded,
    TransferArrived,
    TransferDeparted,
    TransferManifested,
    TransferReceived,
)
from schemas.ids import (
    BatchId,
    DeviceId,
    EventId,
    LicenceNumber,
    Name,
    StationId,
    TagUid,
    Text,
    UserId,
)
from schemas.records import RecordPayload
from schemas.times import Instant
from schemas.weights import Weight

SCHEMA_VERSION: Final = 1
# A roll of tags delivered at once; a range longer than this is a typo, not a delivery.
MAX_TAGS_PER_RECEIPT = 10_000


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


class PlantOrigin(StrEnum):
    """How plants enter the system (ENTRY-FROM-ORIGIN, CA 8403(a)(4))."""

    SEED = "seed"
    CLONE = "clone"
    TISSUE_CULTURE = "tissue_culture"
    NURSERY_SEEDLING = "nursery_seedling"


class PlantPhase(StrEnum):
    """A plant's growth phase (PHASE-ORDER): immature -> vegetative -> flowering -> harvested;
    destroyed from any live phase."""

    IMMATURE = "immature"
    VEGETATIVE = "vegetative"
    FLOWERING = "flowering"
    HARVESTED = "harvested"
    DESTROYED = "destroyed"


class TagType(StrEnum):
    PLANT = "plant"
    PACKAGE = "package"


class WeightType(StrEnum):
    DRY = "dry"
    NET = "net"


class DestroyMethod(StrEnum):
    """How cannabis waste is rendered unusable."""

    GRIND_AND_MIX = "grind_and_mix"
    COMPOST = "compost"
    INCINERATE = "incinerate"
    OTHER = "other"


class ScaleReading(_Model):
    """The scale reading a weight came from, kept as evidence (HARVEST-WET-WEIGHT).

    ``raw_hex`` is the frame exactly as the scale sent it, as lowercase hex pairs, so binary
    protocols (Toledo continuous output starts with STX) survive JSON.
    """

    device_id: DeviceId
    weight: Weight
    stable: bool
    raw_hex: Annotated[str, Field(pattern=r"^(?:[0-9a-f]{2})*$", max_length=512)]
    read_at: Instant

    _read_at_utc = field_validator("read_at")(_utc)


class PlantBatchCreated(_Model):
    """A new cultivation batch / immature lot of untagged plants (or seeds, or cultures)."""

    kind: Literal["plant_batch.created"] = "plant_batch.created"
    batch_id: BatchId
    origin: PlantOrigin
    count: Annotated[int, Field(ge=1, le=10_000)]
    strain: Name
    location: Name
    source_licence: LicenceNumber | None = None
    mother_uid: TagUid | None = None


class PlantsGerminated(_Model):
    """Seeds or tissue cultures of a batch have become plants (BATCH-MAX-100).

    ``count`` is how many of the batch's seeds or cultures became plants since the last
    record, 0 to 10,000; 0 is a record too ("checked: none came up"). A batch's seeds and
    cultures are not plants, so the batch limit counts them from this record on (or from their
    tagging, whichever is first). More than the batch still holds as seeds or cultures is
    refused (ENTRY-FROM-ORIGIN).
    """

    kind: Literal["plant_batch.germinated"] = "plant_batch.germinated"
    batch_id: BatchId
    count: Annotated[int, Field(ge=0, le=10_000)]


def _distinct_uids(uids: list[str]) -> list[str]:
    seen: set[str] = set()
    for uid in uids:
        if uid in seen:
            raise ValueError(f"UID {uid} is listed twice")
        seen.add(uid)
    return uids


# The plants an event names, each once: up to 100 tagged at once, 500 moved or changed.
TaggedUids = Annotated[
    list[TagUid], Field(min_length=1, max_length=100), AfterValidator(_distinct_uids)
]
PlantUids = Annotated[
    list[TagUid], Field(min_length=1, max_length=500), AfterValidator(_distinct_uids)
]


class PlantsTagged(_Model):
    """Plants of a batch each get their own UID and become vegetative plants."""

    kind: Literal["plants.tagged"] = "plants.tagged"
    batch_id: BatchId
    uids: TaggedUids
    location: Name | None = None


class PlantsPhaseChanged(_Model):
    """Tagged plants move to a later growth phase (harvest and destruction have their own
    events)."""

    kind: Literal["plants.phase_changed"] = "plants.phase_changed"
    uids: PlantUids
    phase: Literal[PlantPhase.VEGETATIVE, PlantPhase.FLOWERING]
    location: Name | None = None


class PlantsMoved(_Model):
    """Tagged plants move to another room or area of the premises."""

    kind: Literal["plants.moved"] = "plants.moved"
    uids: PlantUids
    location: Name


class PlantHarvested(_Model):
    """One plant is cut and weighed wet into a named harvest batch."""

    kind: Literal["plant.harvested"] = "plant.harvested"
    uid: TagUid
    harvest_batch: Name
    wet_weight: Weight
    scale_reading: ScaleReading
    location: Name | None = None


class HarvestBatchWeighed(_Model):
    """The dry or net weight of a whole harvest batch, once drying/curing is done."""

    kind: Literal["harvest_batch.weighed"] = "harvest_batch.weighed"
    harvest_batch: Name
    weight_type: WeightType
    weight: Weight
    scale_reading: ScaleReading | None = None


class PlantDestroyed(_Model):
    """A tagged plant, or ``count`` untagged plants of a batch, destroyed; the waste weighed.

    Exactly one of ``uid`` or ``batch_id`` (with ``count``) is given.
    """

    kind: Literal["plant.destroyed"] = "plant.destroyed"
    uid: TagUid | None = None
    batch_id: BatchId | None = None
    count: Annotated[int, Field(ge=1, le=10_000)] | None = None
    waste_weight: Weight
    method: DestroyMethod
    reason: Text
    scale_reading: ScaleReading | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> "PlantDestroyed":
        if self.uid is not None:
            if self.batch_id is not None or self.count is not None:
                raise ValueError("give either uid, or batch_id with count, not both")
        elif self.batch_id is None or self.count is None:
            raise ValueError("give uid, or batch_id with count")
        return self


class WasteRecorded(_Model):
    """Cannabis waste that is not a whole plant (trim, stems, failed product), weighed."""

    kind: Literal["waste.recorded"] = "waste.recorded"
    harvest_batch: Name | None = None
    location: Name
    weight: Weight
    method: DestroyMethod
    reason: Text
    scale_reading: ScaleReading | None = None


class TagsReceived(_Model):
    """UID tags physically received from the vendor: a list, or a roll from first to last.

    A roll's UIDs share every character but a trailing run of digits, which counts up from
    ``first`` to ``last``; :meth:`expand` lists them.
    """

    kind: Literal["tags.received"] = "tags.received"
    tag_type: TagType
    uids: Annotated[list[TagUid], Field(min_length=1, max_length=MAX_TAGS_PER_RECEIPT)] | None = (
        None
    )
    first: TagUid | None = None
    last: TagUid | None = None
    # When the tags physically arrived, if earlier than this record (TAG-RECEIPT-3BD).
    delivered_at: Instant | None = None

    @model_validator(mode="after")
    def _list_or_range(self) -> "TagsReceived":
        if self.uids is not None:
            if self.first is not None or self.last is not None:
                raise ValueError("give either uids, or first and last, not both")
            _distinct_uids(self.uids)
        elif self.first is None or self.last is None:
            raise ValueError("give uids, or both first and last")
        else:
            tag_range(self.first, self.last)
        return self

    def expand(self) -> list[str]:
        """Every UID received, in order."""
        if self.uids is not None:
            return list(self.uids)
        if self.first is None or self.last is None:  # the validator refuses this; for mypy
            raise ValueError("give uids, or both first and last")
        return tag_range(self.first, self.last)


def tag_range(first: str, last: str) -> list[str]:
    """UIDs from ``first`` to ``last`` inclusive, counting up their common trailing digits.

    Raises ValueError when the two do not share a prefix, ``last`` is before ``first``, or the
    range holds more than MAX_TAGS_PER_RECEIPT tags.
    """
    digits = 0
    while digits < len(first) and first[-1 - digits].isdigit() and last[-1 - digits].isdigit():
        digits += 1
    prefix_len = len(first) - digits
    if digits == 0 or first[:prefix_len] != last[:prefix_len]:
        raise ValueError(f"{first} and {last} are not the two ends of one roll")
    lo, hi = int(first[prefix_len:]), int(last[prefix_len:])
    if hi < lo:
        raise ValueError(f"last UID {last} comes before first UID {first}")
    if hi - lo + 1 > MAX_TAGS_PER_RECEIPT:
        raise ValueError(
            f"{first}..{last} is {hi - lo + 1} tags; at most {MAX_TAGS_PER_RECEIPT} per receipt"
        )
    prefix = first[:prefix_len]
    return [f"{prefix}{n:0{digits}d}" for n in range(lo, hi + 1)]


class TagRetired(_Model):
    """A UID is taken out of use (its item destroyed, or the tag damaged or lost)."""

    kind: Literal["tag.retired"] = "tag.retired"
    uid: TagUid
    reason: Text


_Recorded = (
    PlantBatchCreated
    | PlantsGerminated
    | PlantsTagged
    | PlantsPhaseChanged
    | PlantsMoved
    | PlantHarvested
    | HarvestBatchWeighed
    | PlantDestroyed
    | WasteRecorded
    | TagsReceived
    | TagRetired
    | PackageCreated
    | TransferManifested
    | TransferDeparted
    | TransferArrived
    | TransferReceived
    | InvoiceAcknowledged
    | SaleRecorded
    | RecordPayload
)

# What a correction may put in place of an earlier event: any payload but a correction.
CorrectablePayload = Annotated[_Recorded, Field(discriminator="kind")]


class RecordCorrected(_Model):
    """Data entered in error, corrected (CORRECTION-3BD; NO-FALSIFICATION).

    The event ``corrects`` stays in the log as it was. ``replacement`` is what should have been
    recorded instead, of the same kind: the current state becomes what it would be had the
    replacement been recorded in the original's place, and the correction is rejected when that
    state would break a rule. ``discovered_at`` is when the error was found.
    """

    kind: Literal["record.corrected"] = "record.corrected"
    corrects: EventId
    reason: Text
    discovered_at: Instant
    replacement: CorrectablePayload


Payload = Annotated[_Recorded | RecordCorrected, Field(discriminator="kind")]


class EventEnvelope(_Model):
    """One thing that happened on the floor, as a station reports it."""

    schema_version: Literal[1] = SCHEMA_VERSION
    event_id: EventId
    licence: LicenceNumber
    station_id: StationId
    device_id: DeviceId | None = None
    operator_id: UserId
    sequence: Annotated[int, Field(ge=1, le=2**63 - 1)]
    occurred_at: Instant
    payload: Payload

    _occurred_at_utc = field_validator("occurred_at")(_utc)

    @property
    def kind(self) -> str:
        return self.payload.kind
