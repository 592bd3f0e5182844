"""The Metrc simulator's writes after the harvest: harvest waste and finish, items, packages
from harvests, outgoing transfers (manifests), sales receipts; and locations.

A package names one of the facility's **items** (``POST /items/v2``: name, category, unit,
strain); an unknown item refuses the package, as Metrc does.

Handlers as in :mod:`server.statesync.metrc_writes`: read and check a row with
:class:`server.statesync.metrc_rows.RowCheck`, change the store only when the row is sound,
return the id made or changed. Not idempotent, like Metrc: a repeated receipt sells again, a
repeated transfer is refused because its packages are already on a manifest.
"""

from decimal import Decimal
from typing import Any

from server.statesync.metrc_rows import UNIT_GRAMS, RowCheck
from server.statesync.simstore import SimObject

__all__ = [
    "CUSTOMER_TYPES",
    "ITEM_CATEGORIES",
    "WASTE_TYPES",
    "add_item",
    "add_location",
    "finish_harvest",
    "harvest_package",
    "harvest_waste",
    "outgoing_transfer",
    "sales_receipt",
]

WASTE_TYPES = ("Plant Material", "Stems", "Other")
ITEM_CATEGORIES = (
    "Buds",
    "Shake/Trim",
    "Leaf",
    "Kief",
    "Pre-Roll Flower",
    "Concentrate",
    "Infused Edible",
    "Seeds",
    "Immature Plants",
)
ITEM_UNITS = ("Grams", "Each")
CUSTOMER_TYPES = ("Consumer", "Patient", "Caregiver", "ExternalPatient")


def harvest_waste(c: RowCheck, item: dict[str, Any]) -> int | None:
    harvest = c.harvest_by_id(item)
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
    harvest = c.harvest_by_id(item)
    day = c.day(item, "ActualDate")
    if harvest is None or day is None:
        return None
    harvest.data.update({"IsFinished": True, "FinishedDate": day})
    c.store.update(harvest, c.now, active=False)
    return harvest.id


def harvest_package(c: RowCheck, item: dict[str, Any]) -> int | None:
    label = c.text(item, "Tag")
    location = c.location(item, "Location")
    item_name = c.text(item, "Item")
    if item_name is not None:
        c.active("item", item_name, "Item")
    unit = c.choice(item, "UnitOfWeight", tuple(UNIT_GRAMS))
    day = c.day(item, "ActualDate")
    tag = None if label is None else c.tag(label, "Package")
    takes: list[tuple[SimObject, Decimal]] = []
    for ingredient in c.rows(item, "Ingredients"):
        by_id = ingredient.get("HarvestId")
        by_name = ingredient.get("HarvestName")
        if by_id is not None:
            harvest = c.harvest_by_id(ingredient, "HarvestId")
        elif isinstance(by_name, str):
            harvest = c.active("harvest", by_name, "Harvest")
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
    c.use_tag(tag)
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
            package = None if label is None else c.active("package", label, "Package")
            if package is not None and package.data["IsInTransit"]:
                c.fail(f"Package {label} is already on a manifest.")
            elif package is not None:
                packages.append(package)
                # What was shipped is what the package held then, as Metrc lists it.
                line["ShippedQuantity"] = package.data["Quantity"]
                line["ShippedUnitOfMeasureName"] = package.data["UnitOfMeasureName"]
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
        package = None if label is None else c.active("package", label, "Package")
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


def add_item(c: RowCheck, item: dict[str, Any]) -> int | None:
    name = c.text(item, "Name")
    category = c.choice(item, "ItemCategory", ITEM_CATEGORIES)
    unit = c.choice(item, "UnitOfMeasure", ITEM_UNITS)
    strain = c.text(item, "Strain", required=False)
    if name is not None and c.store.find(c.licence, "item", name) is not None:
        c.fail(f"Item {name} already exists.")
        return None
    if name is None or category is None or unit is None:
        return None
    data = {
        "Name": name,
        "ProductCategoryName": category,
        "UnitOfMeasureName": unit,
        "StrainName": strain,
    }
    return c.store.insert(c.licence, "item", name, data, c.now)
