"""Product: packages come from harvest batches, hold identical items, and are weighed or
counted as their category requires."""

from collections.abc import Iterator
from decimal import Decimal

from schemas.commerce import (
    COUNTED_CATEGORIES,
    ItemCategory,
    PackageCreated,
    Quantity,
    SaleRecorded,
    TransferManifested,
    TransferReceived,
)
from schemas.events import (
    EventEnvelope,
    HarvestBatchWeighed,
    PlantDestroyed,
    ScaleReading,
    WasteRecorded,
)
from schemas.weights import Weight
from server.compliance.rules.base import rule_on
from server.compliance.rules.state import StateView
from server.compliance.rules.text import grams

# What carries a weight or a quantity: WEIGHT-UNITS checks how each is recorded.
Weighed = (
    PackageCreated
    | TransferManifested
    | TransferReceived
    | SaleRecorded
    | HarvestBatchWeighed
    | PlantDestroyed
    | WasteRecorded
)


def _taken(p: PackageCreated) -> dict[str, Decimal]:
    """Grams taken from each harvest batch (a batch named twice counts once, summed)."""
    taken: dict[str, Decimal] = {}
    for source in p.sources:
        name = source.harvest_batch
        taken[name] = taken.get(name, Decimal(0)) + source.weight.in_grams()
    return taken


@rule_on(
    "PRODUCT-FROM-HARVEST",
    summary="Every package / product UID links to the harvest batch it derives from; a harvest "
    "batch gives no more than it weighs, and a sale comes from a package held here.",
)
def product_from_harvest(
    state: StateView, event: EventEnvelope, p: PackageCreated | SaleRecorded
) -> Iterator[str]:
    if isinstance(p, SaleRecorded):
        package = state.packages([p.package_uid]).get(p.package_uid)
        if package is None:
            yield (
                f"Package {p.package_uid} is not a package of this licensee; a sale comes from a "
                "package made from a harvest batch here or received from another licensee"
            )
        elif package.status != "on_hand":
            yield (
                f"Package {p.package_uid} is {package.status} on manifest {package.manifest_id}; "
                "it cannot be sold here"
            )
        return
    taken = _taken(p)
    batches = state.harvest_batches(taken)
    for name, wanted in taken.items():
        batch = batches.get(name)
        if batch is None:
            yield (
                f"Harvest batch {name} does not exist; package {p.uid} must come from a recorded "
                "harvest batch"
            )
            continue
        left = batch.weight_grams - batch.packaged_grams
        if wanted > left:
            weighs, packaged = grams(batch.weight_grams), grams(batch.packaged_grams)
            yield (
                f"Harvest batch {name} has {grams(left)} left to package ({weighs} in all, "
                f"{packaged} already packaged); package {p.uid} takes {grams(wanted)}"
            )


@rule_on(
    "PACKAGE-IDENTICAL",
    summary="Only identical items (one category, one strain) are packaged together, except "
    "mixed lots going to a processor.",
)
def package_identical(state: StateView, event: EventEnvelope, p: PackageCreated) -> Iterator[str]:
    if p.for_processor:
        return
    batches = state.harvest_batches(_taken(p))
    for name, batch in sorted(batches.items()):
        if batch.strain != p.strain:
            yield (
                f"Package {p.uid} is {p.strain}, but harvest batch {name} is {batch.strain}: only "
                "identical items go in one package (a mixed lot only for a processor)"
            )


def _shape(what: str, category: ItemCategory | str | None, q: Quantity) -> Iterator[str]:
    total = q.total_grams()
    if category is not None:
        counted = ItemCategory(category) in COUNTED_CATEGORIES
        name = ItemCategory(category).value.replace("_", " ")
        if counted and (q.count is None or q.unit_weight is None):
            yield f"{what}: {name} is counted in units; give the count and the weight of one unit"
        elif not counted and q.weight is None:
            yield f"{what}: {name} is recorded by weight; give its weight, not a count"
    if total is not None and total <= 0:
        yield f"{what}: a quantity weighing {grams(total)} is not a quantity; weigh it"


def _reading(what: str, weight: Weight, reading: ScaleReading | None) -> Iterator[str]:
    if reading is not None and reading.weight.in_grams() != weight.in_grams():
        yield f"{what}: the weight {weight} differs from the scale reading {reading.weight}"


@rule_on(
    "WEIGHT-UNITS",
    summary="Weights in SI or US units, stored exactly; seeds, usable cannabis and "
    "concentrates by weight, cannabinoid products and pre-rolls by count plus weight per unit; "
    "a recorded weight is the weight read.",
)
def weight_units(state: StateView, event: EventEnvelope, p: Weighed) -> Iterator[str]:
    if isinstance(p, PackageCreated):
        yield from _shape(f"Package {p.uid}", p.category, p.quantity)
        for name, taken in _taken(p).items():
            if taken <= 0:
                yield f"Package {p.uid}: it takes {grams(taken)} from harvest batch {name}"
    elif isinstance(p, TransferManifested):
        for item in p.items:
            what = f"Manifest {p.manifest_id}, item {item.uid}"
            yield from _shape(what, item.category, item.quantity)
    elif isinstance(p, TransferReceived):
        for accepted in p.accepted:
            what = f"Transfer {p.manifest_id}, item {accepted.uid}"
            yield from _shape(what, None, accepted.quantity)
    elif isinstance(p, SaleRecorded):
        package = state.packages([p.package_uid]).get(p.package_uid)
        category = None if package is None else package.category
        yield from _shape(f"Sale from package {p.package_uid}", category, p.quantity)
    elif isinstance(p, HarvestBatchWeighed):
        what = f"Harvest batch {p.harvest_batch}"
        if p.weight.in_grams() <= 0:
            yield f"{what}: a {p.weight_type.value} weight of {p.weight} is not a weighing"
        yield from _reading(what, p.weight, p.scale_reading)
    elif isinstance(p, PlantDestroyed):
        what = f"Plant {p.uid}" if p.uid is not None else f"Batch {p.batch_id}"
        yield from _reading(f"{what} waste", p.waste_weight, p.scale_reading)
    elif isinstance(p, WasteRecorded):
        yield from _reading(f"Waste at {p.location}", p.weight, p.scale_reading)
