"""What rules may know of the current state: a read-only view, and the records it returns.

The ingest pipeline passes a database-backed view (:mod:`server.store.state`); tests pass an
in-memory one. Weights are grams, exact; times are aware UTC datetimes.

Set reads (``tags``, ``plants``, ``harvest_batches``, ``packages``) answer for many keys in one
query: a rule about a list of UIDs reads them once, not once per UID. The mappings they return
hold only the keys that exist.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol
from zoneinfo import ZoneInfo

ENDED_STATUSES = frozenset({"surrendered", "expired", "revoked"})


@dataclass(frozen=True, slots=True)
class BatchState:
    """A cultivation batch: ``untagged_count`` items not yet tagged, of which
    ``unsprouted_count`` are seeds or tissue cultures that are not plants yet."""

    batch_id: str
    strain: str
    untagged_count: int
    tagged_count: int
    unsprouted_count: int = 0

    @property
    def untagged_plants(self) -> int:
        """The batch's plants not yet tagged: what BATCH-MAX-100 counts."""
        return self.untagged_count - self.unsprouted_count


@dataclass(frozen=True, slots=True)
class PlantState:
    uid: str
    batch_id: str
    strain: str
    phase: str
    harvest_batch: str | None


@dataclass(frozen=True, slots=True)
class TagState:
    uid: str
    tag_type: str  # plant | package
    status: str  # available | assigned | retired
    item_type: str | None
    item_id: str | None


@dataclass(frozen=True, slots=True)
class HarvestBatchState:
    name: str
    strain: str
    plant_count: int
    wet_weight_grams: Decimal
    dry_weight_grams: Decimal | None
    net_weight_grams: Decimal | None
    packaged_grams: Decimal = Decimal(0)

    @property
    def weight_grams(self) -> Decimal:
        """What the batch weighs now: net once known, else dry, else wet."""
        return latest_weight(self.wet_weight_grams, self.dry_weight_grams, self.net_weight_grams)

    @property
    def has_left(self) -> bool:
        """Whether anything is left to package (``harvest_batches.has_left``)."""
        return has_left(
            self.wet_weight_grams, self.dry_weight_grams, self.net_weight_grams, self.packaged_grams
        )


def latest_weight(wet: Decimal, dry: Decimal | None, net: Decimal | None) -> Decimal:
    """A harvest batch's latest recorded weight in grams: net once known, else dry, else wet."""
    if net is not None:
        return net
    return wet if dry is None else dry


def has_left(wet: Decimal, dry: Decimal | None, net: Decimal | None, packaged: Decimal) -> bool:
    """Whether a harvest batch has grams left to package: its latest recorded weight less what
    went into packages is above zero (PRODUCT-FROM-HARVEST's "left", exact grams). Waste is
    not taken off: waste recorded while the batch was wet is already out of its dry and net
    weights, and the row does not say when it was recorded, so a batch is never called
    finished while it may still hold something."""
    return latest_weight(wet, dry, net) - packaged > 0


@dataclass(frozen=True, slots=True)
class LicenceState:
    """The licence's own records. ``status`` None: no ``licence.updated`` said it yet."""

    licence: str
    jurisdiction: str
    licence_type: str | None = None
    status: str | None = None
    closed_out_at: datetime | None = None
    timezone: str = "UTC"  # the premises' IANA zone (licensees.timezone)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class UserState:
    user_id: str
    full_name: str
    role: str  # account_manager | administrator | user
    first_trained_on: date | None  # the earliest training record's date; None: untrained
    cancelled_at: datetime | None


@dataclass(frozen=True, slots=True)
class LocationState:
    name: str
    kind: str  # room | canopy | drying_room | storage | other


@dataclass(frozen=True, slots=True)
class PackageState:
    uid: str
    source: str  # created | received
    category: str | None  # None for a package received from another licensee
    strain: str | None
    status: str  # on_hand | manifested | departed
    manifest_id: str | None


@dataclass(frozen=True, slots=True)
class TransferState:
    """A transfer of this licensee: ``out`` (we sell) or ``in`` (we receive). ``uids`` are the
    items in manifest order; ``decided`` the incoming ones already accepted or rejected."""

    manifest_id: str
    direction: str
    status: str  # manifested | departed | arrived | received
    recorded_at: datetime
    uids: tuple[str, ...]
    decided: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class OutageState:
    """A loss of access (``station_id`` None: the whole premises). ``entered`` counts the
    events the log holds that happened during it (``lost_at`` to ``restored_at``).

    ``system`` names the state system (Metrc, BioTrack) for a loss of access to it, recorded
    by the connector (docs/sync.md): then ``backlog`` and ``entered`` count what waited to be
    filed into it and what was filed (``entered < backlog``: not through yet), and
    ``lost_event_id`` is the connector's record of it."""

    lost_event_id: str
    station_id: str | None
    lost_at: datetime
    restored_at: datetime | None
    backlog: int | None
    entered: int
    system: str | None = None


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """An event of the log, as a correction needs to know it."""

    event_id: str
    licence: str
    kind: str
    outcome: str  # accepted | rejected
    corrected_by: str | None  # the correction that replaced it, if any
    replacement_kind: str | None  # for a ``record.corrected``: the kind it put in place


@dataclass(frozen=True, slots=True)
class InventoryLeft:
    """Inventory still on the books, in the terms of CA 8406(d)(1)-(5): untagged immature
    plants in batches (lots), live tagged plants, harvest batches not yet all packaged,
    packages on hand or not yet departed, and unassigned UIDs."""

    immature_in_batches: int = 0
    plants: int = 0
    harvest_batches: int = 0
    packages: int = 0
    unassigned_uids: int = 0

    def describe(self) -> list[str]:
        """One phrase per kind still held: '2 live tagged plants', '1 unassigned UID'
        (untagged items: plants, seeds or cultures counted in batches)."""
        out = []
        for count, one, many in (
            (self.immature_in_batches, "untagged item", "untagged items"),
            (self.plants, "live tagged plant", "live tagged plants"),
            (
                self.harvest_batches,
                "harvest batch with weight left",
                "harvest batches with weight left",
            ),
            (self.packages, "package not departed", "packages not departed"),
            (self.unassigned_uids, "unassigned UID", "unassigned UIDs"),
        ):
            if count:
                out.append(f"{count} {one if count == 1 else many}")
        return out


class StateView(Protocol):
    """Current state of one licensee."""

    def batch(self, batch_id: str) -> BatchState | None: ...

    def plant(self, uid: str) -> PlantState | None: ...

    def tag(self, uid: str) -> TagState | None: ...

    def harvest_batch(self, name: str) -> HarvestBatchState | None: ...

    def plants(self, uids: Collection[str]) -> Mapping[str, PlantState]: ...

    def tags(self, uids: Collection[str]) -> Mapping[str, TagState]: ...

    def harvest_batches(self, names: Collection[str]) -> Mapping[str, HarvestBatchState]: ...

    def packages(self, uids: Collection[str]) -> Mapping[str, PackageState]: ...

    def licence(self) -> LicenceState: ...

    def user(self, user_id: str) -> UserState | None: ...

    def location(self, name: str) -> LocationState | None: ...

    def transfer(self, direction: str, manifest_id: str) -> TransferState | None: ...

    def outage(self, lost_event_id: str) -> OutageState | None: ...

    def outages(self, at: datetime) -> list[OutageState]:
        """Losses of access still open, restored with fewer events entered than their
        backlog, or whose span contains ``at``."""
        ...

    def logged_event(self, event_id: str) -> LoggedEvent | None: ...

    def received_at(self) -> datetime | None:
        """When the server received the event being decided (from its injected clock); None
        when an event already in the log is judged again (a correction's replay)."""
        ...

    def inventory_left(self) -> "InventoryLeft":
        """What the licensee still holds on the books (CLOSED-OUT, CA 8406(d))."""
        ...
