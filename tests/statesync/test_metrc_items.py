"""The Metrc simulator's items: a package names one of the facility's items, and Metrc
refuses a package of an unknown item, or an item made twice."""

from decimal import Decimal

import pytest

from server.statesync.errors import StateRefused
from server.statesync.metrc_client import HttpMetrcClient
from server.statesync.metrc_models import HarvestPackage, HarvestPackageIngredient, ItemCreate
from tests.statesync.conftest import LICENCE, PACKAGE_TAGS, PLANT_TAGS
from tests.statesync.metrc_flow import DAY, ITEM, flower, harvest, plant_batch, tag_plants


def test_a_package_of_an_unknown_item_is_refused(client: HttpMetrcClient) -> None:
    plant_batch(client)
    tag_plants(client, 2)
    flower(client, PLANT_TAGS[:2])
    harvest_id = harvest(client, PLANT_TAGS[:2])
    row = HarvestPackage(
        tag=PACKAGE_TAGS[0],
        location="Vault",
        item="Sour Diesel Shake",
        unit_of_weight="Grams",
        ingredients=[
            HarvestPackageIngredient(
                harvest_id=harvest_id, weight=Decimal("10"), unit_of_weight="Grams"
            )
        ],
        actual_date=DAY,
    )
    with pytest.raises(StateRefused) as refused:
        client.create_packages(LICENCE, [row])
    assert list(refused.value.messages) == [
        f"Item Sour Diesel Shake does not exist or is not active at facility {LICENCE}."
    ]
    assert client.package(LICENCE, PACKAGE_TAGS[0]) is None  # nothing kept
    client.create_items(
        LICENCE,
        [
            ItemCreate(
                item_category="Shake/Trim",
                name="Sour Diesel Shake",
                unit_of_measure="Grams",
                strain="Sour Diesel",
            )
        ],
    )
    client.create_packages(LICENCE, [row])
    made = client.package(LICENCE, PACKAGE_TAGS[0])
    assert made is not None
    assert made.item_name == "Sour Diesel Shake"


def test_an_item_is_made_once_and_listed(client: HttpMetrcClient) -> None:
    item = ItemCreate(item_category="Buds", name=ITEM, unit_of_measure="Grams", strain="Blue Dream")
    client.create_items(LICENCE, [item])
    with pytest.raises(StateRefused) as again:
        client.create_items(LICENCE, [item])
    assert list(again.value.messages) == [f"Item {ITEM} already exists."]
    with pytest.raises(StateRefused) as bad:
        client.create_items(
            LICENCE, [item.model_copy(update={"name": "X", "item_category": "Flowers"})]
        )
    assert "ItemCategory 'Flowers' is not one of" in bad.value.messages[0]
    (listed,) = client.items(LICENCE).data
    assert (listed.name, listed.product_category_name, listed.unit_of_measure_name) == (
        ITEM,
        "Buds",
        "Grams",
    )
