"""The mass balance of each harvest batch, from its accepted events (pure: no database).

A harvest batch's weight comes in as the wet weights of its plants (``plant.harvested``) and
leaves as weighed waste (``waste.recorded`` naming the batch), as water lost in drying, and
into packages (``package.created`` sources). The dry and net weights (``harvest_batch.weighed``)
are the checkpoints between:

    wet in = waste + moisture loss + final weight      (final: the net weight, else the dry)
    final weight = packaged + on hand

Moisture loss is the one figure nobody weighs: it is what is left of the wet weight once the
waste and the final weight are accounted for, so weight that left a drying room in a bag shows
up there, as a loss larger than the licensee's and its peers' harvests lose
(:mod:`server.analytics.signals`). Product packaged beyond what the batch weighed is
unexplained outright.

Every figure keeps the events behind it (:class:`Movement`), so a regulator goes from a number
to the records in the audit trail. Weights are exact ``Decimal`` grams
(:meth:`schemas.weights.Weight.in_grams`), summed without rounding.

A correction (``record.corrected``) puts its replacement in the original's place, as the
projections do: the original's movements are taken out and the replacement's put in under the
original's event id, noting the correction.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from schemas.commerce import (
    PackageCreated,
    Quantity,
    SaleRecorded,
    TransferManifested,
    TransferReceived,
)
from schemas.events import (
    EventEnvelope,
    HarvestBatchWeighed,
    Payload,
    PlantBatchCreated,
    PlantHarvested,
    PlantsTagged,
    RecordCorrected,
    WasteRecorded,
    WeightType,
)

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Movement:
    """Grams that entered or left a harvest batch, and the event that says so.

    ``event_id`` is the event the figure stands in (for a corrected event, the original's, with
    ``corrected_by`` naming the correction); ``note`` says what moved, in a few words."""

    event_id: str
    kind: str
    occurred_at: datetime
    grams: Decimal
    note: str
    corrected_by: str | None = None


@dataclass(slots=True)
class HarvestBalance:
    """One harvest batch's weight in and out, each list in log order."""

    licence: str
    name: str
    strain: str | None = None
    wet: list[Movement] = field(default_factory=list)
    waste: list[Movement] = field(default_factory=list)
    dry: list[Movement] = field(default_factory=list)  # every dry weighing; the last counts
    net: list[Movement] = field(default_factory=list)
    packaged: list[Movement] = field(default_factory=list)
    # Plants harvested into it, when known without their movements (a peer's stored figures).
    plant_count: int | None = None

    @property
    def plants(self) -> int:
        """Plants harvested into the batch."""
        return len(self.wet) if self.plant_count is None else self.plant_count

    @property
    def wet_grams(self) -> Decimal:
        return sum((m.grams for m in self.wet), ZERO)

    @property
    def waste_grams(self) -> Decimal:
        return sum((m.grams for m in self.waste), ZERO)

    @property
    def packaged_grams(self) -> Decimal:
        return sum((m.grams for m in self.packaged), ZERO)

    @property
    def final(self) -> Movement | None:
        """The last net weighing, else the last dry one; None before either."""
        if self.net:
            return self.net[-1]
        if self.dry:
            return self.dry[-1]
        return None

    @property
    def final_type(self) -> str | None:
        """``net`` or ``dry``: which weighing :attr:`final` is."""
        if self.net:
            return "net"
        return "dry" if self.dry else None

    @property
    def moisture_loss_grams(self) -> Decimal | None:
        """Wet in less waste less the final weight; None until the batch is weighed dry or
        net. Negative when the batch weighs more dry than it did wet: a record in error."""
        final = self.final
        if final is None:
            return None
        return self.wet_grams - self.waste_grams - final.grams

    @property
    def moisture_loss_ratio(self) -> Decimal | None:
        """The moisture loss as a share of the wet weight (0.7 is 70 %); None without a final
        weight or with no wet weight to divide by."""
        loss = self.moisture_loss_grams
        wet = self.wet_grams
        if loss is None or wet == 0:
            return None
        return loss / wet

    @property
    def on_hand_grams(self) -> Decimal | None:
        """The final weight less what went into packages; None before the batch is weighed."""
        final = self.final
        return None if final is None else final.grams - self.packaged_grams

    @property
    def unexplained_grams(self) -> Decimal:
        """Packaged beyond what the batch had: beyond its final weight once weighed, beyond
        its wet weight less waste before. Zero when every gram is accounted for."""
        final = self.final
        available = final.grams if final is not None else self.wet_grams - self.waste_grams
        return max(ZERO, self.packaged_grams - available)


@dataclass(slots=True)
class PackageBalance:
    """One package's grams in (made here from harvest batches, or received from another
    licensee) and out (put on a manifest to another licensee, sold), each list in log order.
    A quantity given as a count of units is its count times the unit weight."""

    licence: str
    uid: str
    filled: list[Movement] = field(default_factory=list)
    transferred: list[Movement] = field(default_factory=list)
    sold: list[Movement] = field(default_factory=list)

    @property
    def in_grams(self) -> Decimal:
        return sum((m.grams for m in self.filled), ZERO)

    @property
    def out_grams(self) -> Decimal:
        return sum((m.grams for m in [*self.transferred, *self.sold]), ZERO)

    @property
    def on_hand_grams(self) -> Decimal:
        return self.in_grams - self.out_grams

    @property
    def overdrawn_grams(self) -> Decimal:
        """Grams sold or sent beyond what the package held; zero when within it."""
        return max(ZERO, -self.on_hand_grams)


def quantity_grams(quantity: Quantity) -> Decimal | None:
    """A package quantity in grams: its weight, or its count times its unit weight; None for
    a count without a unit weight (nothing to weigh it by)."""
    if quantity.weight is not None:
        return quantity.weight.in_grams()
    if quantity.count is not None and quantity.unit_weight is not None:
        return quantity.unit_weight.in_grams() * quantity.count
    return None


@dataclass(slots=True)
class _Placed:
    balance: HarvestBalance | PackageBalance
    bucket: str  # wet | waste | dry | net | packaged; filled | transferred | sold
    movement: Movement


class HarvestLedger:
    """Feed a licensee's accepted events in log order; read :meth:`balances`.

    Events of other kinds are skipped, but plant batches and taggings are followed so that a
    harvest batch knows its strain (the strain of its first harvested plant's batch)."""

    def __init__(self, licence: str) -> None:
        self.licence = licence
        self._batches: dict[str, HarvestBalance] = {}
        self._packages: dict[str, PackageBalance] = {}
        self._placed: dict[str, list[_Placed]] = {}  # event id -> where its movements went
        self._batch_strain: dict[str, str] = {}  # plant batch id -> strain
        self._plant_batch: dict[str, str] = {}  # plant UID -> plant batch id
        # Scale readings with hundredths: the licensee's scales resolve 0.01 g, so whole-gram
        # weights in bulk look typed in (server.analytics.signals.round_weights).
        self.fractional_readings = 0

    def feed(self, event: EventEnvelope) -> None:
        """Take one accepted event of this licensee. Raises ``ValueError`` for another
        licensee's event: mixing two licensees' balances would hide what each one lost."""
        if event.licence != self.licence:
            raise ValueError(
                f"event {event.event_id} is licensee {event.licence}'s, not {self.licence}'s"
            )
        payload = event.payload
        if isinstance(payload, RecordCorrected):
            undone = self._placed.pop(payload.corrects, None)
            if undone is None:
                return  # the corrected event moved no weight of a harvest batch
            for placed in undone:
                bucket: list[Movement] = getattr(placed.balance, placed.bucket)
                bucket.remove(placed.movement)
            self._apply(payload.corrects, payload.replacement, event.occurred_at, event.event_id)
            return
        self._apply(event.event_id, payload, event.occurred_at, None)

    def balances(self) -> list[HarvestBalance]:
        """Every harvest batch seen, by name."""
        return [self._batches[name] for name in sorted(self._batches)]

    def packages(self) -> list[PackageBalance]:
        """Every package seen, by UID."""
        return [self._packages[uid] for uid in sorted(self._packages)]

    def _apply(
        self, event_id: str, payload: Payload, at: datetime, corrected_by: str | None
    ) -> None:
        def put(
            balance: HarvestBalance | PackageBalance, bucket: str, grams: Decimal, note: str
        ) -> None:
            movement = Movement(event_id, payload.kind, at, grams, note, corrected_by)
            getattr(balance, bucket).append(movement)
            self._placed.setdefault(event_id, []).append(_Placed(balance, bucket, movement))

        def place(batch: str, bucket: str, grams: Decimal, note: str) -> None:
            balance = self._batches.get(batch)
            if balance is None:
                balance = self._batches[batch] = HarvestBalance(self.licence, batch)
            put(balance, bucket, grams, note)

        def package(uid: str, bucket: str, quantity: Quantity, note: str) -> None:
            grams = quantity_grams(quantity)
            if grams is None:
                return
            balance = self._packages.get(uid)
            if balance is None:
                balance = self._packages[uid] = PackageBalance(self.licence, uid)
            put(balance, bucket, grams, note)

        if isinstance(payload, PlantBatchCreated):
            self._batch_strain[payload.batch_id] = payload.strain
        elif isinstance(payload, PlantsTagged):
            for uid in payload.uids:
                self._plant_batch[uid] = payload.batch_id
        elif isinstance(payload, PlantHarvested):
            read = payload.scale_reading.weight.in_grams()
            if read != read.to_integral_value():
                self.fractional_readings += 1
            place(
                payload.harvest_batch,
                "wet",
                payload.wet_weight.in_grams(),
                f"plant {payload.uid}, wet",
            )
            balance = self._batches[payload.harvest_batch]
            if balance.strain is None:
                balance.strain = self._batch_strain.get(self._plant_batch.get(payload.uid, ""))
        elif isinstance(payload, WasteRecorded) and payload.harvest_batch is not None:
            note = f"waste ({payload.method.value}): {payload.reason}"
            place(payload.harvest_batch, "waste", payload.weight.in_grams(), note)
        elif isinstance(payload, HarvestBatchWeighed):
            bucket = "dry" if payload.weight_type is WeightType.DRY else "net"
            place(payload.harvest_batch, bucket, payload.weight.in_grams(), f"{bucket} weight")
        elif isinstance(payload, PackageCreated):
            for source in payload.sources:
                note = f"into package {payload.uid}"
                place(source.harvest_batch, "packaged", source.weight.in_grams(), note)
            package(payload.uid, "filled", payload.quantity, "packaged here")
        elif isinstance(payload, TransferReceived):
            for item in payload.accepted:
                package(item.uid, "filled", item.quantity, f"received on {payload.manifest_id}")
        elif isinstance(payload, TransferManifested):
            for line in payload.items:
                note = f"to {payload.purchaser.licence} on {payload.manifest_id}"
                package(line.uid, "transferred", line.quantity, note)
        elif isinstance(payload, SaleRecorded):
            package(payload.package_uid, "sold", payload.quantity, "sold")


def harvest_balances(licence: str, events: Iterable[EventEnvelope]) -> list[HarvestBalance]:
    """The balances of ``licence``'s harvest batches from its accepted events in log order."""
    ledger = HarvestLedger(licence)
    for event in events:
        ledger.feed(event)
    return ledger.balances()
