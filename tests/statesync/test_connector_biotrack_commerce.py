"""After the harvest into BioTrack, end to end, through lost answers: the harvest's dry weight
as one plant_cure per plant (shared by wet weight, adding up exactly), packages made from the
flower lots the cure gave (inventory_convert), a manifest of a package and a sale from one;
each made once (nonces), and BioTrack's inventory then holds what ours does."""

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.statesync.biotrack_commerce import shares
from server.statesync.faults import FaultSettings
from tests.server.desk import weighed
from tests.server.domain import (
    manifested,
    package_created,
    package_tags_received,
    package_uid,
)
from tests.statesync.cultivation import receive_tags, story
from tests.statesync.linked import (
    CT_LICENCE,
    Floor,
    biotrack_client,
    biotrack_floor,
    calls,
    connector,
    drain,
)
from tests.statesync.test_connector_product import sale

BUYER = "CT-4004"


def test_shares_add_up_to_the_whole_and_follow_the_wet_weights() -> None:
    parts = shares(Decimal("400"), [Decimal("812.5"), Decimal("790")])
    assert sum(parts) == Decimal("400")
    assert parts[0] == Decimal("202.8081")  # 400 * 812.5 / 1602.5, to 0.0001 g
    assert shares(Decimal("10"), [Decimal("1")] * 3) == [
        Decimal("3.3333"),
        Decimal("3.3333"),
        Decimal("3.3334"),
    ]


def _manifest(clock: ManualClock, uid: str) -> dict[str, Any]:
    return manifested(
        "M-CT-1",
        [(uid, "300")],
        seller=CT_LICENCE,
        purchaser=BUYER,
        purchaser_name="Charter Oak Dispensary",
        at=clock.now(),
    )


def _sale(clock: ManualClock, uid: str) -> dict[str, Any]:
    return sale(clock, uid, "3.5")


def cured_and_packaged(floor: Floor) -> None:
    """Plants 1 and 2 of B-1 harvested into HB-1, 400 g dry; packages 1 (300 g) and 2 (50 g)
    made of it."""
    for payload in [receive_tags(50), *story("B-1", 1, harvest_batch="HB-1")[:6]]:
        floor.record(payload)
    floor.record(weighed("HB-1", "dry") | {"weight": {"value": "400", "unit": "g"}})
    floor.record(package_tags_received(1, 10))
    floor.record(package_created(package_uid(1), [("HB-1", "300")]))
    floor.record(package_created(package_uid(2), [("HB-1", "50")]))


@pytest.mark.parametrize("lose_rate", [0.0, 0.5], ids=["calm", "lost-answers"])
def test_cure_packages_manifest_and_sale_reach_biotrack_once(
    engine: Engine, clock: ManualClock, tmp_path: object, lose_rate: float
) -> None:
    faults = FaultSettings(lose_rate=lose_rate, seed=7)
    with biotrack_floor(engine, clock, tmp_path, faults) as (sim, floor):
        cured_and_packaged(floor)
        floor.record(_manifest(clock, package_uid(1)))
        sale_event = floor.record(_sale(clock, package_uid(2)))
        with connector(engine, clock) as c:
            drain(c, clock, step_s=5)
        sim.set_faults(lose_rate=0.0)
        rows = calls(engine, CT_LICENCE)
        assert {r["status"] for r in rows} == {"done"}, [
            (r["action"], r["status"], r["message"]) for r in rows if r["status"] != "done"
        ]
        cures = [r for r in rows if r["action"] == "plant_cure"]
        assert len(cures) == 2  # one per harvested plant, added when the cure was reached
        if lose_rate:
            assert any(r["message"] for r in rows if r["nonce"] is not None), "pick another seed"
        with biotrack_client(sim) as bt:
            inventory = bt.sync("inventory", 0)
            manifests = bt.sync("manifest", 0)
            sales = bt.sync("sale", 0)
    lots = [i for i in inventory if i["inventorytype"] == 6]
    packages = [i for i in inventory if i["inventorytype"] == 28]
    assert len(lots) == 2  # cured once each
    # What the cure gave, less what the packages took: 400 - 300 - 50.
    assert sum(Decimal(str(i["quantity"])) for i in lots) == Decimal("50")
    assert sorted(Decimal(str(p["quantity"])) for p in packages) == [
        Decimal("46.5"),  # 50 less the 3.5 g sold
        Decimal("300"),
    ]
    assert all(p["productname"] == "Flower - Blue Dream" for p in packages)
    (manifest,) = manifests
    big = next(p for p in packages if Decimal(str(p["quantity"])) == 300)
    assert manifest["items"] == [big["id"]]
    assert manifest["vendor_license"] == BUYER
    (sale,) = sales
    assert sale["external_id"] == sale_event
