"""Batches and plants: entry from an origin, batch limits, phase order, tagged before the
canopy."""

from collections.abc import Iterator

from schemas.events import (
    EventEnvelope,
    PlantBatchCreated,
    PlantDestroyed,
    PlantHarvested,
    PlantOrigin,
    PlantsGerminated,
    PlantsMoved,
    PlantsPhaseChanged,
    PlantsTagged,
)
from server.compliance.rules.base import rule, rule_on
from server.compliance.rules.state import StateView

BATCH_LIMIT = 100
# What acts on plants once they exist: ENTRY-FROM-ORIGIN checks each has a batch behind it.
PlantAct = (
    PlantsGerminated
    | PlantsTagged
    | PlantsPhaseChanged
    | PlantsMoved
    | PlantHarvested
    | PlantDestroyed
)
PHASE_RANK = {"immature": 0, "vegetative": 1, "flowering": 2, "harvested": 3}
ENDED = {"harvested", "destroyed"}


@rule_on(
    "BATCH-ID-UNIQUE",
    summary="Every batch has an identifier unique within the licensee.",
)
def batch_id_unique(state: StateView, event: EventEnvelope, p: PlantBatchCreated) -> Iterator[str]:
    if state.batch(p.batch_id) is not None:
        yield f"Batch {p.batch_id} already exists; give the new batch its own identifier"


# A batch may consist of seeds and tissue cultures (OR Cultivation Batches (1)); the limit is
# on plants (OR (2): "marijuana plants less than 8 inches tall"; CA 8403(b)(1): "immature
# plants"). Seeds and cultures are not plants yet: a batch of them is not limited until they
# become plants, which plant_batch.germinated records (or their tagging, one UID each, for
# a seedling whose germination was not recorded). The batch's plants are then its untagged
# items less the seeds and cultures still among them (BatchState.untagged_plants).
NOT_PLANTS_YET = frozenset({PlantOrigin.SEED, PlantOrigin.TISSUE_CULTURE})


@rule_on(
    "BATCH-MAX-100",
    summary="A batch holds at most 100 immature plants at any one time; seeds and tissue "
    "cultures are counted once they are plants (plant_batch.germinated).",
)
def batch_max_100(
    state: StateView, event: EventEnvelope, p: PlantBatchCreated | PlantsGerminated
) -> Iterator[str]:
    if isinstance(p, PlantsGerminated):
        batch = state.batch(p.batch_id)
        if batch is None or p.count > batch.unsprouted_count:
            return  # ENTRY-FROM-ORIGIN reports it
        plants = batch.untagged_plants + p.count
        if plants > BATCH_LIMIT:
            yield (
                f"Batch {p.batch_id} would hold {plants} plants ({batch.untagged_plants} "
                f"already, {p.count} germinated); a batch may hold at most {BATCH_LIMIT}: tag "
                f"or destroy plants of it first ({BATCH_LIMIT - batch.untagged_plants} more "
                "may become plants now)"
            )
        return
    if p.origin in NOT_PLANTS_YET:
        return
    if p.count > BATCH_LIMIT:
        yield (
            f"Batch {p.batch_id} would hold {p.count} plants; a batch may hold at most "
            f"{BATCH_LIMIT}: split it into batches of {BATCH_LIMIT} or fewer"
        )


@rule_on(
    "ENTRY-FROM-ORIGIN",
    summary="Plants enter only from a batch (seed, clone, tissue culture, nursery seedling); "
    "no plant appears from nowhere.",
)
def entry_from_origin(state: StateView, event: EventEnvelope, p: PlantAct) -> Iterator[str]:
    if isinstance(p, PlantsGerminated):
        yield from _germinated_from_batch(state, p)
        return
    if isinstance(p, PlantsTagged | PlantDestroyed) and p.batch_id is not None:
        wanted = len(p.uids) if isinstance(p, PlantsTagged) else (p.count or 0)
        batch = state.batch(p.batch_id)
        if batch is None:
            yield f"Batch {p.batch_id} does not exist; create the batch first"
        elif batch.untagged_count < wanted:
            verb = "tag" if isinstance(p, PlantsTagged) else "destroy"
            yield (
                f"Batch {p.batch_id} has {batch.untagged_count} untagged plants left; "
                f"cannot {verb} {wanted}"
            )
        return
    uids = _plant_uids(event)
    plants = state.plants(uids)
    for uid in uids:
        if uid not in plants:
            yield f"No plant carries UID {uid}; tag it from its batch first"


def _germinated_from_batch(state: StateView, p: PlantsGerminated) -> Iterator[str]:
    batch = state.batch(p.batch_id)
    if batch is None:
        yield f"Batch {p.batch_id} does not exist; create the batch first"
    elif p.count > batch.unsprouted_count:
        yield (
            f"Batch {p.batch_id} holds {batch.unsprouted_count} seeds or tissue cultures that "
            f"are not plants yet; {p.count} cannot have germinated"
        )


def _plant_uids(event: EventEnvelope) -> list[str]:
    p = event.payload
    if isinstance(p, PlantsPhaseChanged | PlantsMoved):
        return list(p.uids)
    if isinstance(p, PlantHarvested):
        return [p.uid]
    if isinstance(p, PlantDestroyed) and p.uid is not None:
        return [p.uid]
    return []


@rule(
    "PHASE-ORDER",
    summary="A plant goes immature -> vegetative -> flowering -> harvested, may be destroyed "
    "from any live phase, and nothing happens to a harvested or destroyed plant.",
    kinds=["plants.phase_changed", "plants.moved", "plant.harvested", "plant.destroyed"],
)
def phase_order(state: StateView, event: EventEnvelope) -> Iterator[str]:
    p = event.payload
    uids = _plant_uids(event)
    plants = state.plants(uids)
    for uid in uids:
        plant = plants.get(uid)
        if plant is None:
            continue  # ENTRY-FROM-ORIGIN reports it
        if plant.phase in ENDED:
            yield f"Plant {uid} was already {plant.phase}; nothing more can happen to it"
        elif isinstance(p, PlantsPhaseChanged):
            if PHASE_RANK[p.phase.value] <= PHASE_RANK[plant.phase]:
                yield f"Plant {uid} is {plant.phase}; it cannot go back or stay at {p.phase.value}"
        elif isinstance(p, PlantHarvested) and plant.phase != "flowering":
            yield f"Plant {uid} is {plant.phase}; only a flowering plant is harvested"


@rule(
    "PLANT-TAGGED-TO-FLOWER",
    summary="A plant carries its own UID before it flowers or enters a canopy area (OR: by 8 "
    "inches tall; height is not recorded, so the phase and the canopy are what is checked).",
    kinds=["plant_batch.created", "plants.phase_changed", "plants.moved"],
)
def plant_tagged_to_flower(state: StateView, event: EventEnvelope) -> Iterator[str]:
    p = event.payload
    if isinstance(p, PlantBatchCreated):
        place = state.location(p.location)
        if place is not None and place.kind == "canopy":
            yield (
                f"Batch {p.batch_id} would put untagged plants in canopy area {p.location}; "
                "tag each plant with its own UID before it goes to the canopy"
            )
        return
    assert isinstance(p, PlantsPhaseChanged | PlantsMoved)
    flowering = isinstance(p, PlantsPhaseChanged) and p.phase.value == "flowering"
    place = None if p.location is None else state.location(p.location)
    to_canopy = place is not None and place.kind == "canopy"
    if not (flowering or to_canopy):
        return
    plants, tags = state.plants(p.uids), state.tags(p.uids)
    for uid in p.uids:
        plant, tag = plants.get(uid), tags.get(uid)
        if plant is None or plant.phase in ENDED:
            continue  # ENTRY-FROM-ORIGIN or PHASE-ORDER reports it
        if tag is None or tag.status != "assigned" or tag.item_id != uid:
            doing = "flower" if flowering else f"enter canopy area {p.location}"
            yield f"Plant {uid} no longer carries its own UID; it may not {doing} untagged"
