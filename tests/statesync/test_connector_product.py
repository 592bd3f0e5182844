"""Packages, manifests and sales into Metrc, end to end, through lost answers: each is made
once (a package by its label, a manifest by its name, a receipt by our event id)."""

from typing import Any

import pytest
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.statesync.faults import FaultSettings
from tests.server.conftest import LICENCE
from tests.server.domain import grams, manifested, package_created, package_uid
from tests.statesync.linked import (
    calls,
    file_all,
    metrc_client,
    metrc_sim,
    with_package,
)

BUYER = "OR-2002"


def manifest(clock: ManualClock, manifest_id: str, uid: str, g: str) -> dict[str, Any]:
    return manifested(
        manifest_id, [(uid, g)], purchaser=BUYER, purchaser_name="Valley Processing", at=clock.now()
    )


def sale(clock: ManualClock, uid: str, g: str) -> dict[str, Any]:
    return {
        "kind": "sale.recorded",
        "package_uid": uid,
        "quantity": grams(g),
        "price": "35.00",
        "sold_at": clock.now().isoformat(),
    }


@pytest.mark.parametrize("lose_rate", [0.0, 0.5], ids=["calm", "lost-answers"])
def test_packages_manifests_and_sales_reach_metrc_once(
    engine: Engine, clock: ManualClock, tmp_path: object, lose_rate: float
) -> None:
    faults = FaultSettings(lose_rate=lose_rate, seed=4)
    with metrc_sim(tmp_path, clock, faults) as sim:
        floor = with_package(engine, sim, clock, n_tags=10, buyer=BUYER)
        floor.record(package_created(package_uid(2), [("HB-1", "100")]))
        floor.record(manifest(clock, "M-1", package_uid(1), "500"))
        sale_event = floor.record(sale(clock, package_uid(2), "3.5"))
        file_all(engine, clock)
        sim.set_faults(lose_rate=0.0)
        rows = calls(engine, LICENCE)
        assert {r["status"] for r in rows} == {"done"}
        if lose_rate:
            product = ("ensure_item", "create_package", "create_transfer", "create_receipt")
            checked = [r for r in rows if r["action"] in product and r["message"] is not None]
            assert checked, "no product call's answer was lost: pick another seed"
        with metrc_client(sim) as m:
            packages = {p.label: p for p in m.packages(LICENCE).data}
            packages |= {p.label: p for p in m.packages(LICENCE, active=False).data}
            assert set(packages) == {package_uid(1), package_uid(2)}
            assert packages[package_uid(1)].is_in_transit
            assert packages[package_uid(2)].quantity == 100 - 3.5
            (transfer,) = m.outgoing_transfers(LICENCE).data
            assert transfer.name == "M-1"
            (receipt,) = m.receipts(LICENCE).data
            assert receipt.external_receipt_number == sale_event
            (item,) = m.items(LICENCE).data  # made once, named by both packages
            assert (item.name, item.product_category_name) == ("Flower - Blue Dream", "Buds")
            assert {p.item_name for p in packages.values()} == {"Flower - Blue Dream"}
