"""The BioTrack simulator's inventory actions through the real client: packages from flower
lots (inventory_convert), manifests, sales; BioTrack's refusals for each."""

from decimal import Decimal

import pytest

from server.statesync.biotrack_client import (
    HttpBioTrackClient,
    InventoryTake,
    ManifestStop,
    SaleLine,
    WeightNode,
)
from server.statesync.errors import StateRefused
from tests.statesync.test_biotrack_api import rooms

STOP = ManifestStop(
    approximate_departure="2026-03-02T18:00:00+00:00",
    approximate_arrival="2026-03-02T20:00:00+00:00",
    approximate_route="I-84 east",
)


def flower_lot(bt: HttpBioTrackClient, dry: str = "200") -> str:
    veg, dry_room = rooms(bt)
    plant = bt.new_plants(1, "Blue Dream", veg).barcode_ids[0]
    bt.harvest_plant(plant, [WeightNode(amount=Decimal("800"), invtype=6, uom="g")])
    cured = bt.cure_plant(plant, [WeightNode(amount=Decimal(dry), invtype=6, uom="g")], dry_room)
    return cured.barcode_ids[0]


def _inventory(bt: HttpBioTrackClient) -> dict[str, dict[str, object]]:
    return {str(i["id"]): i for i in bt.sync("inventory", 0)}


def test_a_package_takes_from_its_lot_and_a_sale_from_the_package(
    bt: HttpBioTrackClient,
) -> None:
    lot = flower_lot(bt)
    made = bt.convert_inventory(
        [InventoryTake(barcodeid=lot, grams=Decimal("120.5"))],
        "Flower - Blue Dream",
        Decimal("120.5"),
    )
    (package,) = made.barcode_ids
    assert len(package) == 16
    held = _inventory(bt)
    assert held[lot]["quantity"] == Decimal("79.5")
    assert held[package]["quantity"] == Decimal("120.5")
    assert held[package]["inventorytype"] == 28
    line = SaleLine(barcodeid=package, quantity=Decimal("3.5"), uom="g", price=Decimal("35"))
    first = bt.dispense([line], 1_772_470_800, external_id="evt-1")
    second = bt.dispense([line], 1_772_470_800, external_id="evt-1")  # not idempotent
    assert first.sale_id != second.sale_id
    assert _inventory(bt)[package]["quantity"] == Decimal("113.5")
    assert len(bt.sync("sale", 0)) == 2


def test_taking_more_than_a_lot_holds_is_refused_and_changes_nothing(
    bt: HttpBioTrackClient,
) -> None:
    lot = flower_lot(bt, dry="50")
    with pytest.raises(StateRefused) as refused:
        bt.convert_inventory(
            [InventoryTake(barcodeid=lot, grams=Decimal("60"))],
            "Flower - Blue Dream",
            Decimal("60"),
        )
    assert refused.value.code == 5
    assert "holds 50 g" in str(refused.value)
    with pytest.raises(StateRefused) as more:  # a package may not hold more than was taken
        bt.convert_inventory(
            [InventoryTake(barcodeid=lot, grams=Decimal("10"))],
            "Flower - Blue Dream",
            Decimal("11"),
        )
    assert more.value.code == 1
    assert _inventory(bt)[lot]["quantity"] == Decimal("50")
    assert [i for i in _inventory(bt).values() if i["inventorytype"] == 28] == []


def test_a_package_goes_on_one_manifest_only(bt: HttpBioTrackClient) -> None:
    lot = flower_lot(bt)
    take = [InventoryTake(barcodeid=lot, grams=Decimal("100"))]
    package = bt.convert_inventory(take, "Flower - Blue Dream", Decimal("100")).barcode_ids[0]
    made = bt.manifest("CT-RETAIL-9", STOP, [package])
    assert made.manifest_id is not None
    with pytest.raises(StateRefused) as again:
        bt.manifest("CT-RETAIL-9", STOP, [package])
    assert again.value.code == 5
    (manifest,) = bt.sync("manifest", 0)
    assert manifest["items"] == [package]
    assert manifest["approximate_route"] == "I-84 east"


def test_a_sale_by_count_needs_a_package_of_units(bt: HttpBioTrackClient) -> None:
    lot = flower_lot(bt)
    take = [InventoryTake(barcodeid=lot, grams=Decimal("35"))]
    units = bt.convert_inventory(take, "Pre-roll - Blue Dream", Decimal("35"), units=10)
    weighed = bt.convert_inventory(take, "Flower - Blue Dream", Decimal("35"))
    bt.dispense(
        [SaleLine(barcodeid=units.barcode_ids[0], quantity=2, uom=None, price=Decimal("20"))],
        1_772_470_800,
    )
    assert _inventory(bt)[units.barcode_ids[0]]["units"] == 8
    with pytest.raises(StateRefused) as refused:
        bt.dispense(
            [SaleLine(barcodeid=weighed.barcode_ids[0], quantity=1, uom=None, price=Decimal("5"))],
            1_772_470_800,
        )
    assert refused.value.code == 5
