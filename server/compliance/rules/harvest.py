"""Harvest: wet weights from a stable weighing, harvest batches by name."""

from collections.abc import Iterator

from schemas.events import EventEnvelope, HarvestBatchWeighed, PlantHarvested
from server.compliance.rules.base import rule, rule_on
from server.compliance.rules.state import StateView


@rule_on(
    "HARVEST-WET-WEIGHT",
    summary="Each harvested plant's wet weight is recorded at once, from a stable weighing, "
    "greater than zero.",
)
def harvest_wet_weight(state: StateView, event: EventEnvelope, p: PlantHarvested) -> Iterator[str]:
    grams = p.wet_weight.in_grams()
    if grams <= 0:
        yield f"Plant {p.uid}: a wet weight of {p.wet_weight} is not a harvest; weigh the plant"
    reading = p.scale_reading
    if not reading.stable:
        yield (
            f"Plant {p.uid}: the scale reading was not stable; wait for the stable indicator "
            "and weigh again"
        )
    if reading.weight.in_grams() != grams:
        yield (
            f"Plant {p.uid}: the wet weight {p.wet_weight} differs from the scale reading "
            f"{reading.weight}"
        )


@rule(
    "HARVEST-BATCH-NAME",
    summary="Each harvest batch has a unique name, associated with every plant UID in it.",
    kinds=["plant.harvested", "harvest_batch.weighed"],
)
def harvest_batch_name(state: StateView, event: EventEnvelope) -> Iterator[str]:
    p = event.payload
    if isinstance(p, HarvestBatchWeighed):
        if state.harvest_batch(p.harvest_batch) is None:
            yield f"No harvest batch is named {p.harvest_batch}"
        return
    assert isinstance(p, PlantHarvested)
    existing = state.harvest_batch(p.harvest_batch)
    plant = state.plant(p.uid)
    if existing is None or plant is None:
        return
    if existing.strain != plant.strain:
        yield (
            f"Harvest batch {p.harvest_batch} holds {existing.strain}; plant {p.uid} is "
            f"{plant.strain}: use a harvest batch name of its own"
        )
    if existing.dry_weight_grams is not None or existing.net_weight_grams is not None:
        yield (f"Harvest batch {p.harvest_batch} is already weighed dry; start a new harvest batch")
