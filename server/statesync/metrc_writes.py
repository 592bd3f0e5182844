"""The Metrc simulator's writes: the endpoint table, and the cultivation handlers (plant
batches, plants, harvesting, destruction, plant waste); harvests' waste and packages,
transfers, receipts and locations are in :mod:`server.statesync.metrc_product`.

One handler per row of each POST/PUT/DELETE body.

Each handler reads a row with :class:`server.statesync.metrc_rows.RowCheck`, checks it against
the licence's current state as Metrc would (the tag must be an available tag of the licence,
the location must exist, the plant must be active and in the right phase, a harvest must hold
the weight taken from it, ...) and, when the row is sound, changes the store and returns the
id of the object it made or changed. A row with a problem changes nothing; the caller then
rolls the whole request back (Metrc keeps all rows of a request or none).

**Not idempotent, on purpose, like Metrc**: nothing here recognises a repeated request. A
second identical sales receipt, waste record or transfer makes a second object (or fails for
lack of stock); a second planting of the same batch name, a second harvest of the same plant
or a second use of a tag is refused, as Metrc refuses it.

Weights are kept in grams (``UnitOfWeightName: "Grams"``) whatever unit a row used.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from server.statesync.metrc_product import (
    add_item,
    add_location,
    finish_harvest,
    harvest_package,
    harvest_waste,
    outgoing_transfer,
    sales_receipt,
)
from server.statesync.metrc_rows import RowCheck, next_labels

__all__ = [
    "GROWTH_PHASES",
    "PERMISSIONS",
    "WASTE_METHODS",
    "WASTE_REASONS",
    "WRITES",
    "Handler",
    "Write",
    "next_labels",
]

WASTE_METHODS = ("Grinder", "Compost", "Incinerator", "Other")
WASTE_REASONS = (
    "Contamination",
    "Male Plants",
    "Mandated State Destruction",
    "Pest Infestation",
    "Trimming/Pruning",
    "Other",
)
BATCH_TYPES = ("Seed", "Clone")
GROWTH_PHASES = ("Vegetative", "Flowering")

Handler = Callable[[RowCheck, dict[str, Any]], int | None]


class Write:
    """A write endpoint: the permission its user needs and its per-row handler."""

    def __init__(self, permission: str, handler: Handler) -> None:
        self.permission = permission
        self.handler = handler


def plantings(c: RowCheck, item: dict[str, Any]) -> int | None:
    name = c.text(item, "Name")
    batch_type = c.choice(item, "Type", BATCH_TYPES)
    count = c.count(item, "Count")
    strain = c.text(item, "Strain")
    location = c.location(item, "Location")
    day = c.day(item, "ActualDate")
    if name is not None and c.store.find(c.licence, "plantbatch", name) is not None:
        c.fail(f"Plant Batch {name} already exists.")
        return None
    if None in (name, batch_type, count, strain, location, day) or name is None:
        return None
    data = {
        "Name": name,
        "Type": batch_type,
        "Count": count,
        "UntrackedCount": count,
        "TrackedCount": 0,
        "DestroyedCount": 0,
        "StrainName": strain,
        "LocationName": location,
        "PlantedDate": day,
    }
    return c.store.insert(c.licence, "plantbatch", name, data, c.now)


def batch_growth_phase(c: RowCheck, item: dict[str, Any]) -> int | None:
    name = c.text(item, "Name")
    count = c.count(item, "Count")
    starting = c.text(item, "StartingTag")
    phase = c.choice(item, "GrowthPhase", GROWTH_PHASES)
    location = c.location(item, "NewLocation")
    day = c.day(item, "GrowthDate")
    batch = None if name is None else c.active("plantbatch", name, "Plant Batch")
    if batch is None or count is None or starting is None:
        return None
    if not c.has_untracked(batch, count, f"{count} requested"):
        return None
    try:
        labels = next_labels(starting, count)
    except ValueError as err:
        c.fail(str(err))
        return None
    tags = [c.tag(label, "Plant") for label in labels]
    if None in (phase, location, day) or any(t is None for t in tags):
        return None
    for label, tag in zip(labels, tags, strict=True):
        if tag is not None:
            c.use_tag(tag)
        data = {
            "Label": label,
            "State": "Tracked",
            "GrowthPhase": phase,
            "PlantBatchId": batch.id,
            "PlantBatchName": batch.key,
            "StrainName": batch.data["StrainName"],
            "LocationName": location,
            "PlantedDate": batch.data["PlantedDate"],
            f"{phase}Date": day,
        }
        c.store.insert(c.licence, "plant", label, data, c.now)
    batch.data["UntrackedCount"] -= count
    batch.data["TrackedCount"] += count
    c.store.update(batch, c.now, active=batch.data["UntrackedCount"] > 0)
    return batch.id


def plant_growth_phase(c: RowCheck, item: dict[str, Any]) -> int | None:
    label = c.text(item, "Label")
    phase = c.choice(item, "GrowthPhase", GROWTH_PHASES)
    location = c.location(item, "NewLocation")
    day = c.day(item, "GrowthDate")
    plant = None if label is None else c.active("plant", label, "Plant")
    if plant is None or phase is None or location is None or day is None:
        return None
    if plant.data["GrowthPhase"] == "Flowering" and phase == "Vegetative":
        c.fail(f"Plant {label} is Flowering and cannot go back to Vegetative.")
        return None
    plant.data.update({"GrowthPhase": phase, "LocationName": location, f"{phase}Date": day})
    c.store.update(plant, c.now)
    return plant.id


def plant_location(c: RowCheck, item: dict[str, Any]) -> int | None:
    label = c.text(item, "Label")
    location = c.location(item, "Location")
    day = c.day(item, "ActualDate")
    plant = None if label is None else c.active("plant", label, "Plant")
    if plant is None or location is None or day is None:
        return None
    plant.data["LocationName"] = location
    c.store.update(plant, c.now)
    return plant.id


def harvest_plant(c: RowCheck, item: dict[str, Any]) -> int | None:
    label = c.text(item, "Plant")
    grams = c.grams(item, "Weight", "UnitOfWeight", positive=True)
    drying = c.location(item, "DryingLocation")
    name = c.text(item, "HarvestName")
    day = c.day(item, "ActualDate")
    plant = None if label is None else c.active("plant", label, "Plant")
    if plant is not None and plant.data["GrowthPhase"] != "Flowering":
        c.fail(
            f"Plant {label} is {plant.data['GrowthPhase']}; only Flowering plants are harvested."
        )
        return None
    if plant is None or grams is None or drying is None or name is None or day is None:
        return None
    harvest = c.store.find(c.licence, "harvest", name)
    if harvest is None:
        data: dict[str, Any] = {
            "Name": name,
            "HarvestType": "WholePlant",
            "DryingLocationName": drying,
            "HarvestStartDate": day,
            "PlantCount": 0,
            "TotalWetWeight": Decimal(0),
            "CurrentWeight": Decimal(0),
            "TotalWasteWeight": Decimal(0),
            "TotalPackagedWeight": Decimal(0),
            "UnitOfWeightName": "Grams",
            "IsFinished": False,
            "FinishedDate": None,
        }
        harvest_id = c.store.insert(c.licence, "harvest", name, data, c.now)
        harvest = c.store.get(c.licence, "harvest", harvest_id)
    if harvest is None:
        raise RuntimeError(f"harvest {name} vanished inside its own transaction")
    harvest.data["PlantCount"] += 1
    harvest.data["TotalWetWeight"] += grams
    harvest.data["CurrentWeight"] += grams
    c.store.update(harvest, c.now)
    plant.data.update(
        {
            "State": "Harvested",
            "HarvestId": harvest.id,
            "HarvestedWetWeight": grams,
            "HarvestedDate": day,
        }
    )
    c.store.update(plant, c.now, active=False)
    return harvest.id


def _waste_fields(c: RowCheck, item: dict[str, Any], unit: str) -> dict[str, Any] | None:
    method = c.choice(item, "WasteMethodName", WASTE_METHODS)
    mixed = c.text(item, "WasteMaterialMixed")
    reason = c.choice(item, "WasteReasonName", WASTE_REASONS)
    note = c.text(item, "ReasonNote")
    grams = c.grams(item, "WasteWeight", unit)
    day = c.day(item, "ActualDate")
    if None in (method, mixed, reason, note, grams, day):
        return None
    return {
        "WasteMethodName": method,
        "WasteMaterialMixed": mixed,
        "WasteReasonName": reason,
        "ReasonNote": note,
        "WasteWeight": grams,
        "WasteUnitOfMeasureName": "Grams",
        "DestroyedDate": day,
    }


def destroy_plant(c: RowCheck, item: dict[str, Any]) -> int | None:
    label = c.text(item, "Label")
    waste = _waste_fields(c, item, "WasteUnitOfMeasureName")
    plant = None if label is None else c.active("plant", label, "Plant")
    if plant is None or waste is None:
        return None
    plant.data.update({"State": "Destroyed"} | waste)
    c.store.update(plant, c.now, active=False)
    return plant.id


def destroy_batch_plants(c: RowCheck, item: dict[str, Any]) -> int | None:
    name = c.text(item, "PlantBatch")
    count = c.count(item, "Count")
    waste = _waste_fields(c, item, "WasteUnitOfMeasure")
    batch = None if name is None else c.active("plantbatch", name, "Plant Batch")
    if batch is None or count is None or waste is None:
        return None
    if not c.has_untracked(batch, count, f"cannot destroy {count}"):
        return None
    batch.data["UntrackedCount"] -= count
    batch.data["DestroyedCount"] += count
    c.store.update(batch, c.now, active=batch.data["UntrackedCount"] > 0)
    record = {"PlantBatchName": batch.key, "PlantCount": count} | waste
    return c.store.insert(c.licence, "plantwaste", batch.key, record, c.now)


def plant_waste(c: RowCheck, item: dict[str, Any]) -> int | None:
    method = c.choice(item, "WasteMethodName", WASTE_METHODS)
    mixed = c.text(item, "MixedMaterial")
    reason = c.choice(item, "ReasonName", WASTE_REASONS)
    note = c.text(item, "Note", required=False)
    grams = c.grams(item, "WasteWeight", "UnitOfMeasureName", positive=True)
    day = c.day(item, "WasteDate")
    location = c.location(item, "LocationName")
    labels = item.get("PlantLabels") or []
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        c.fail("PlantLabels must be a list of plant tags.")
        return None
    for label in labels:
        c.active("plant", label, "Plant")
    if None in (method, mixed, reason, grams, day, location):
        return None
    record = {
        "WasteMethodName": method,
        "MixedMaterial": mixed,
        "ReasonName": reason,
        "Note": note,
        "WasteWeight": grams,
        "UnitOfMeasureName": "Grams",
        "WasteDate": day,
        "LocationName": location,
        "PlantLabels": labels,
    }
    return c.store.insert(c.licence, "plantwaste", day or "", record, c.now)


# (method, path) -> the endpoint. Permissions are named as Metrc's user screens name them.
WRITES: dict[tuple[str, str], Write] = {
    ("POST", "/plantbatches/v2/plantings"): Write("Manage Immature Plants", plantings),
    ("POST", "/plantbatches/v2/growthphase"): Write("Manage Immature Plants", batch_growth_phase),
    ("DELETE", "/plantbatches/v2"): Write("Destroy Immature Plants", destroy_batch_plants),
    ("PUT", "/plants/v2/growthphase"): Write("Manage Veg/Flower Plants", plant_growth_phase),
    ("PUT", "/plants/v2/location"): Write("Manage Veg/Flower Plants", plant_location),
    ("PUT", "/plants/v2/harvest"): Write("Manicure/Harvest Veg/Flower Plants", harvest_plant),
    ("DELETE", "/plants/v2"): Write("Destroy Veg/Flower Plants", destroy_plant),
    ("POST", "/plants/v2/waste"): Write("Manage Veg/Flower Plants", plant_waste),
    ("POST", "/harvests/v2/waste"): Write("Manage Harvests", harvest_waste),
    ("PUT", "/harvests/v2/finish"): Write("Manage Harvests", finish_harvest),
    ("POST", "/harvests/v2/packages"): Write("Create Packages", harvest_package),
    ("POST", "/transfers/v2/templates/outgoing"): Write("Manage Transfers", outgoing_transfer),
    ("POST", "/sales/v2/receipts"): Write("Manage Sales", sales_receipt),
    ("POST", "/locations/v2"): Write("Manage Locations", add_location),
    ("POST", "/items/v2"): Write("Manage Items", add_item),
}
PERMISSIONS = tuple(sorted({w.permission for w in WRITES.values()}))
