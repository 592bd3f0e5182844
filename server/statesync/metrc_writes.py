"""The Metrc simulator's writes: one handler per row of each POST/PUT/DELETE body.

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

from server.statesync.metrc_rows import UNIT_GRAMS, RowCheck
from server.statesync.simstore import SimObject

__all__ = ["GROWTH_PHASES", "WASTE_METHODS", "WASTE_REASONS", "WASTE_TYPES", "WRITES", "Write"]

WASTE_METHODS = ("Grinder", "Compost", "Incinerator", "Other")
WASTE_REASONS = (
    "Contamination",
    "Male Plants",
    "Mandated State Destruction",
    "Pest Infestation",
    "Trimming/Pruning",
    "Other",
)
WASTE_TYPES = ("Plant Material", "Stems", "Other")
BATCH_TYPES = ("Seed", "Clone")
GROWTH_PHASES = ("Vegetative", "Flowering")
CUSTOMER_TYPES = ("Consumer", "Patient", "Caregiver", "ExternalPatient")

Handler = Callable[[RowCheck, dict[str, Any]], int | None]


class Write:
    """A write endpoint: the permission its user needs and its per-row handler."""

    def __init__(self, permission: str, handler: Handler) -> None:
        self.permission = permission
        self.handler = handler


def _location(c: RowCheck, item: dict[str, Any], name: str) -> str | None:
    value = c.text(item, name)
    if value is not None and c.store.find(c.licence, "location", value) is None:
        c.fail(f"Location '{value}' does not exist at facility {c.licence}.")
        return None
    return value


def _tag(c: RowCheck, label: str, tag_type: str) -> SimObject | None:
    tag = c.store.find(c.licence, "tag", label, active_only=False)
    if tag is None or tag.data["TagTypeName"] != tag_type:
        c.fail(f"{tag_type} tag {label} is not a tag of facility {c.licence}.")
        return None
    if not tag.active:
        c.fail(f"Tag {label} has already been used.")
        return None
    return tag


def _use_tag(c: RowCheck, tag: SimObject) -> None:
    tag.data["StatusName"] = "Used"
    tag.data["UsedDateTime"] = c.now.isoformat()
    c.store.update(tag, c.now, active=False)


def next_labels(first: str, count: int) -> list[str]:
    """``count`` tag labels from ``first``, counting up its trailing digits (a tag roll)."""
    digits = len(first) - len(first.rstrip("0123456789"))
    if digits == 0:
        raise ValueError(f"tag {first} has no trailing digits to count up")
    prefix, start = first[:-digits], int(first[-digits:])
    return [f"{prefix}{n:0{digits}d}" for n in range(start, start + count)]


def _active(c: RowCheck, kind: str, key: str, what: str) -> SimObject | None:
    obj = c.store.find(c.licence, kind, key)
    if obj is None:
        c.fail(f"{what} {key} does not exist or is not active at facility {c.licence}.")
    return obj


def _harvest_by_id(c: RowCheck, item: dict[str, Any], name: str = "Id") -> SimObject | None:
    value = item.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        c.fail(f"{name} must be a harvest id; got {value!r}.")
        return None
    harvest = c.store.get(c.licence, "harvest", value)
    if harvest is None or not harvest.active:
        c.fail(f"Harvest {value} does not exist or is finished at facility {c.licence}.")
        return None
    return harvest


def plantings(c: RowCheck, item: dict[str, Any]) -> int | None:
    name = c.text(item, "Name")
    batch_type = c.choice(item, "Type", BATCH_TYPES)
    count = c.count(item, "Count")
    strain = c.text(item, "Strain")
    location = _location(c, item, "Location")
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
    location = _location(c, item, "NewLocation")
    day = c.day(item, "GrowthDate")
    batch = None if name is None else _active(c, "plantbatch", name, "Plant Batch")
    if batch is None or count is None or starting is None:
        return None
    if count > batch.data["UntrackedCount"]:
        c.fail(
            f"Plant Batch {name} has {batch.data['UntrackedCount']} untracked plants; "
            f"{count} requested."
        )
        return None
    try:
        labels = next_labels(starting, count)
    except ValueError as err:
        c.fail(str(err))
        return None
    tags = [_tag(c, label, "Plant") for label in labels]
    if None in (phase, location, day) or any(t is None for t in tags):
        return None
    for label, tag in zip(labels, tags, strict=True):
        if tag is not None:
            _use_tag(c, tag)
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
    location = _location(c, item, "NewLocation")
    day = c.day(item, "GrowthDate")
    plant = None if label is None else _active(c, "plant", label, "Plant")
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
    location = _location(c, item, "Location")
    day = c.day(item, "ActualDate")
    plant = None if label is None else _active(c, "plant", label, "Plant")
    if plant is None or location is None or day is None:
        return None
    plant.data["LocationName"] = location
    c.store.update(plant, c.now)
    return plant.id


def harvest_plant(c: RowCheck, item: dict[str, Any]) -> int | None:
    label = c.text(item, "Plant")
    grams = c.grams(item, "Weight", "UnitOfWeight", positive=True)
    drying = _location(c, item, "DryingLocation")
    name = c.text(item, "HarvestName")
    day = c.day(item, "ActualDate")
    plant = None if label is None else _active(c, "plant", label, "Plant")
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
    plant = None if label is None else _active(c, "plant", label, "Plant")
    if plant is None or waste is None:
        return None
    plant.data.update({"State": "Destroyed"} | waste)
    c.store.update(plant, c.now, active=False)
    return plant.id


def destroy_batch_plants(c: RowCheck, item: dict[str, Any]) -> int | None:
    name = c.text(item, "PlantBatch")
    count = c.count(item, "Count")
    waste = _waste_fields(c, item, "WasteUnitOfMeasure")
    batch = None if name is None else _active(c, "plantbatch", name, "Plant Batch")
    if batch is None or count is None or waste is None:
        return None
    if count > batch.data["UntrackedCount"]:
        c.fail(
            f"Plant Batch {name} has {batch.data['UntrackedCount']} untracked plants; "
            f"cannot destroy {count}."
        )
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
    location = _location(c, item, "LocationName")
    labels = item.get("PlantLabels") or []
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        c.fail("PlantLabels must be a list of plant tags.")
        return None
    for label in labels:
        _active(c, "plant", label, "Plant")
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


def harvest_waste(c: RowCheck, item: dict[str, Any]) -> int | None:
    harvest = _harvest_by_id(c, item)
    waste_type = c.choice(item, "WasteType", WASTE_TYPES)
    grams = c.grams(item, "WasteWeight", "UnitOfWeight", positive=True)
    day = c.day(item, "ActualDate")
    if harvest is None or waste_type is None or grams is None or day is None:
        return None
    if grams > harvest.data["CurrentWeight"]:
        c.fail(
            f"Harvest {harvest.key} holds {harvest.data['CurrentWeight']} g; "
            f"cannot waste {grams} g."
        )
        return None
    harvest.data["CurrentWeight"] -= grams
    harvest.data["TotalWasteWeight"] += grams
    c.store.update(harvest, c.now)
    record = {
        "HarvestId": harvest.id,
        "HarvestName": harvest.key,
        "WasteTypeName": waste_type,
        "WasteWeight": grams,
        "UnitOfWeightName": "Grams",
        "ActualDate": day,
    }
    return c.store.insert(c.licence, "harvestwaste", harvest.key, record, c.now)


def finish_harvest(c: RowCheck, item: dict[str, Any]) -> int | None:
    harvest = _harvest_by_id(c, item)
    day = c.day(item, "ActualDate")
    if harvest is None or day is None:
        return None
    harvest.data.update({"IsFinished": True, "FinishedDate": day})
    c.store.update(harvest, c.now, active=False)
    return harvest.id


def harvest_package(c: RowCheck, item: dict[str, Any]) -> int | None:
    label = c.text(item, "Tag")
    location = _location(c, item, "Location")
    item_name = c.text(item, "Item")
    unit = c.choice(item, "UnitOfWeight", tuple(UNIT_GRAMS))
    day = c.day(item, "ActualDate")
    tag = None if label is None else _tag(c, label, "Package")
    takes: list[tuple[SimObject, Decimal]] = []
    for ingredient in c.rows(item, "Ingredients"):
        by_id = ingredient.get("HarvestId")
        by_name = ingredient.get("HarvestName")
        if by_id is not None:
            harvest = _harvest_by_id(c, ingredient, "HarvestId")
        elif isinstance(by_name, str):
            harvest = _active(c, "harvest", by_name, "Harvest")
        else:
            c.fail("Each ingredient needs HarvestId or HarvestName.")
            continue
        grams = c.grams(ingredient, "Weight", "UnitOfWeight", positive=True)
        if harvest is not None and grams is not None:
            if grams > harvest.data["CurrentWeight"]:
                c.fail(
                    f"Harvest {harvest.key} holds {harvest.data['CurrentWeight']} g; "
                    f"cannot package {grams} g."
                )
            takes.append((harvest, grams))
    if tag is None or label is None or None in (location, item_name, unit, day) or c.errors:
        return None
    total = Decimal(0)
    for harvest, grams in takes:
        harvest.data["CurrentWeight"] -= grams
        harvest.data["TotalPackagedWeight"] += grams
        c.store.update(harvest, c.now)
        total += grams
    _use_tag(c, tag)
    data = {
        "Label": label,
        "ItemName": item_name,
        "Quantity": total / UNIT_GRAMS[unit or "Grams"],
        "UnitOfMeasureName": unit,
        "PackagedDate": day,
        "LocationName": location,
        "SourceHarvestNames": ", ".join(h.key for h, _ in takes),
        "IsInTransit": False,
        "IsFinished": False,
    }
    return c.store.insert(c.licence, "package", label, data, c.now)


def outgoing_transfer(c: RowCheck, item: dict[str, Any]) -> int | None:
    name = c.text(item, "Name")
    destinations = c.rows(item, "Destinations")
    packages: list[SimObject] = []
    for destination in destinations:
        c.text(destination, "RecipientLicenseNumber")
        c.text(destination, "TransferTypeName")
        c.instant(destination, "EstimatedDepartureDateTime")
        c.instant(destination, "EstimatedArrivalDateTime")
        for line in c.rows(destination, "Packages"):
            label = c.text(line, "PackageLabel")
            package = None if label is None else _active(c, "package", label, "Package")
            if package is not None and package.data["IsInTransit"]:
                c.fail(f"Package {label} is already on a manifest.")
            elif package is not None:
                packages.append(package)
    if name is None or c.errors:
        return None
    manifest = f"{c.store.next_value('manifest', 1):010d}"
    data = {
        "Name": name,
        "ManifestNumber": manifest,
        "ShipperFacilityLicenseNumber": c.licence,
        "CreatedByUserName": c.user,
        "CreatedDateTime": c.now.isoformat(),
        "Destinations": destinations,
    }
    transfer_id = c.store.insert(c.licence, "transfer", manifest, data, c.now)
    for package in packages:
        package.data["IsInTransit"] = True
        c.store.update(package, c.now)
    for destination in destinations:
        recipient = destination["RecipientLicenseNumber"]
        incoming = data | {"Id": transfer_id, "Destinations": [destination]}
        c.store.insert(recipient, "incoming", manifest, incoming, c.now)
    return transfer_id


def sales_receipt(c: RowCheck, item: dict[str, Any]) -> int | None:
    sold_at = c.instant(item, "SalesDateTime")
    customer = c.choice(item, "SalesCustomerType", CUSTOMER_TYPES)
    external = c.text(item, "ExternalReceiptNumber", required=False)
    lines = c.rows(item, "Transactions")
    takes: list[tuple[SimObject, Decimal]] = []
    total_price = Decimal(0)
    for line in lines:
        label = c.text(line, "PackageLabel")
        quantity = c.amount(line, "Quantity", positive=True)
        unit = c.text(line, "UnitOfMeasure")
        price = c.amount(line, "TotalAmount")
        package = None if label is None else _active(c, "package", label, "Package")
        if package is None or quantity is None or unit is None or price is None:
            continue
        if unit != package.data["UnitOfMeasureName"]:
            c.fail(
                f"Package {label} is counted in {package.data['UnitOfMeasureName']}, not {unit}."
            )
            continue
        held = package.data["Quantity"] - sum(q for p, q in takes if p.id == package.id)
        if quantity > held:
            c.fail(f"Package {label} holds {held} {unit}; cannot sell {quantity}.")
            continue
        takes.append((package, quantity))
        total_price += price
    if sold_at is None or customer is None or c.errors:
        return None
    for package, quantity in takes:
        package.data["Quantity"] -= quantity
        c.store.update(package, c.now, active=package.data["Quantity"] > 0)
    receipt = f"{c.store.next_value('receipt', 1):010d}"
    data = {
        "ReceiptNumber": receipt,
        "ExternalReceiptNumber": external,
        "SalesDateTime": sold_at,
        "SalesCustomerType": customer,
        "TotalPackages": len(lines),
        "TotalPrice": total_price,
        "Transactions": lines,
        "IsFinal": False,
        "RecordedByUserName": c.user,
    }
    return c.store.insert(c.licence, "receipt", receipt, data, c.now)


def add_location(c: RowCheck, item: dict[str, Any]) -> int | None:
    name = c.text(item, "Name")
    location_type = c.text(item, "LocationTypeName")
    if name is not None and c.store.find(c.licence, "location", name) is not None:
        c.fail(f"Location {name} already exists.")
        return None
    if name is None or location_type is None:
        return None
    data = {"Name": name, "LocationTypeName": location_type}
    return c.store.insert(c.licence, "location", name, data, c.now)


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
}
PERMISSIONS = tuple(sorted({w.permission for w in WRITES.values()}))
