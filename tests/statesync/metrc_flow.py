"""Steps of a grow cycle through the Metrc client, shared by the Metrc tests."""

from datetime import date
from decimal import Decimal

from server.statesync.metrc_client import HttpMetrcClient
from server.statesync.metrc_models import (
    HarvestPackage,
    HarvestPackageIngredient,
    ItemCreate,
    PlantBatchGrowthPhase,
    PlantBatchPlanting,
    PlantGrowthPhase,
    PlantHarvest,
    PlantWaste,
)
from tests.statesync.conftest import LICENCE, PLANT_TAGS

DAY = date(2026, 3, 2)


def plant_batch(client: HttpMetrcClient, name: str = "B-1", count: int = 10) -> int:
    result = client.create_plantings(
        LICENCE,
        [
            PlantBatchPlanting(
                name=name,
                type="Clone",
                count=count,
                strain="Blue Dream",
                location="Clone Room",
                actual_date=DAY,
            )
        ],
    )
    return result.ids[0]


def tag_plants(client: HttpMetrcClient, count: int, first: str = PLANT_TAGS[0]) -> None:
    client.change_batch_growth_phase(
        LICENCE,
        [
            PlantBatchGrowthPhase(
                name="B-1",
                count=count,
                starting_tag=first,
                growth_phase="Vegetative",
                new_location="Clone Room",
                growth_date=DAY,
            )
        ],
    )


def flower(client: HttpMetrcClient, labels: list[str]) -> None:
    client.change_growth_phase(
        LICENCE,
        [
            PlantGrowthPhase(
                label=x, growth_phase="Flowering", new_location="Flower Room", growth_date=DAY
            )
            for x in labels
        ],
    )


def cut(label: str, weight: str, unit: str = "Grams") -> PlantHarvest:
    """Plant ``label`` cut into harvest H-2026-03, drying in the Dry Room, weighing ``weight``
    in ``unit`` (a Metrc unit name)."""
    return PlantHarvest(
        plant=label,
        weight=Decimal(weight),
        unit_of_weight=unit,
        drying_location="Dry Room",
        harvest_name="H-2026-03",
        actual_date=DAY,
    )


def harvest(client: HttpMetrcClient, labels: list[str], grams: str = "500.25") -> int:
    return client.harvest_plants(LICENCE, [cut(x, grams) for x in labels]).ids[0]


def trim_waste(method: str, weight: str, unit: str) -> PlantWaste:
    """Trimmings of the Flower Room, not mixed with other material, disposed of by ``method``
    (a Metrc waste method name), weighing ``weight`` in ``unit`` (a Metrc unit name)."""
    return PlantWaste(
        waste_method_name=method,
        mixed_material="None",
        waste_weight=Decimal(weight),
        unit_of_measure_name=unit,
        reason_name="Trimming/Pruning",
        waste_date=DAY,
        location_name="Flower Room",
    )


ITEM = "Blue Dream Flower"


def ensure_item(client: HttpMetrcClient) -> None:
    """The facility's item the packages name (Metrc refuses a package of an unknown item)."""
    if any(i.name == ITEM for i in client.items(LICENCE).data):
        return
    client.create_items(
        LICENCE,
        [ItemCreate(item_category="Buds", name=ITEM, unit_of_measure="Grams", strain="Blue Dream")],
    )


def package(client: HttpMetrcClient, harvest_id: int, tag: str, grams: str) -> int:
    ensure_item(client)
    result = client.create_packages(
        LICENCE,
        [
            HarvestPackage(
                tag=tag,
                location="Vault",
                item=ITEM,
                unit_of_weight="Grams",
                ingredients=[
                    HarvestPackageIngredient(
                        harvest_id=harvest_id, weight=Decimal(grams), unit_of_weight="Grams"
                    )
                ],
                actual_date=DAY,
            )
        ],
    )
    return result.ids[0]


def grow_to_package(client: HttpMetrcClient, tag: str, grams: str = "300") -> tuple[int, int]:
    """Batch -> 2 tagged plants -> flowering -> harvested -> one package: (harvest, package)."""
    plant_batch(client)
    tag_plants(client, 2)
    flower(client, PLANT_TAGS[:2])
    harvest_id = harvest(client, PLANT_TAGS[:2])
    return harvest_id, package(client, harvest_id, tag, grams)
