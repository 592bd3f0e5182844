"""Reconciliation of Metrc's incoming transfers and BioTrack's inventory with ours: every
difference both ways, with what to do, filed as notifications like the others; nothing is
changed on either side."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.statesync.biotrack_client import InventoryTake, SaleLine
from server.statesync.daily import file_report
from server.statesync.metrc_client import HttpMetrcClient
from server.statesync.queue import configure_link, get_link
from server.statesync.reconcile import Report, reconcile_biotrack, reconcile_metrc
from tests.server.conftest import LICENCE, add_staffed_licensee
from tests.server.domain import package_created, package_uid, party
from tests.statesync.linked import (
    CT_LICENCE,
    VENDOR_KEY,
    Floor,
    biotrack_client,
    biotrack_floor,
    file_all,
    metrc_sim,
    sync_notes,
    with_package,
)
from tests.statesync.test_connector_biotrack_commerce import cured_and_packaged
from tests.statesync.test_connector_product import BUYER, manifest

BUYER_KEY = "metrc-key-of-valley-77e0"


def _arrived(clock: ManualClock, manifest_id: str, uids: list[str]) -> dict[str, Any]:
    return {
        "kind": "transfer.arrived",
        "manifest_id": manifest_id,
        "seller": party(LICENCE),
        "arrived_at": clock.now().isoformat(),
        "uids": uids,
    }


def _found(report: Report) -> dict[tuple[str, str], Any]:
    return {(d.subject_id, d.what): d for d in report.differences}


def test_metrc_incoming_transfers_against_ours(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    """LICENCE ships M-1 (package 1) and M-2 (package 2) to BUYER through Metrc. BUYER records
    M-1 as arrived with a package Metrc's manifest does not list, and M-9, which is on no
    Metrc manifest; M-2 is on its way until its estimated arrival has passed."""
    with metrc_sim(tmp_path, clock) as sim:
        floor = with_package(engine, sim, clock, n_tags=10, buyer=BUYER)
        floor.record(package_created(package_uid(2), [("HB-1", "100")]))
        floor.record(manifest(clock, "M-1", package_uid(1), "500"))
        floor.record(manifest(clock, "M-2", package_uid(2), "100"))
        file_all(engine, clock)
        sim.app.add_user(BUYER_KEY, "Val Ortiz", [BUYER])
        add_staffed_licensee(engine, BUYER, "Valley Processing", "OR", clock)
        configure_link(engine, BUYER, sim.url, now=clock.now())
        buyer = Floor(engine, clock, BUYER)
        buyer.record(_arrived(clock, "M-1", [package_uid(1), package_uid(4)]))
        buyer.record(_arrived(clock, "M-9", [package_uid(3)]))
        with HttpMetrcClient(sim.url, VENDOR_KEY, BUYER_KEY) as m:
            on_the_way = _found(reconcile_metrc(engine, m, BUYER, now=clock.now()))
            clock.advance(timedelta(hours=5))
            overdue = reconcile_metrc(engine, m, BUYER, now=clock.now())
    assert set(on_the_way) == {("M-1", "packages"), ("M-9", "missing at Metrc")}
    packages = on_the_way[("M-1", "packages")]
    assert (packages.ours, packages.theirs) == (
        f"{package_uid(1)}, {package_uid(4)}",
        package_uid(1),
    )
    assert LICENCE in on_the_way[("M-9", "missing at Metrc")].advice
    found = _found(overdue)
    assert set(found) == set(on_the_way) | {("M-2", "missing here")}
    assert "transfer.arrived" in found[("M-2", "missing here")].advice
    assert LICENCE in str(found[("M-2", "missing here")].theirs)
    # Filed as notifications, one per difference, about the transfer.
    with engine.begin() as conn:
        opened, _ = file_report(conn, get_link(conn, BUYER), overdue, clock.now())
    notes = [(n.subject_type, n.subject_id) for n in sync_notes(engine, BUYER) if n.state == "open"]
    assert opened == 3
    assert sorted(notes) == [("transfer", "M-1"), ("transfer", "M-2"), ("transfer", "M-9")]


def test_biotrack_inventory_against_ours(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    """Filed as recorded, BioTrack's packages and cured flower agree with ours. Then at
    BioTrack by hand: 10 g of a flower lot packaged, 5 g of package 1 sold."""
    with biotrack_floor(engine, clock, tmp_path) as (sim, floor):
        cured_and_packaged(floor)
        file_all(engine, clock)
        with biotrack_client(sim) as bt:
            assert reconcile_biotrack(engine, bt, CT_LICENCE).differences == []
            inventory = {i["id"]: i for i in bt.sync("inventory", 0)}
            lot = next(
                i
                for i in inventory.values()
                if i["inventorytype"] == 6 and Decimal(str(i["quantity"])) >= 10
            )
            package_1 = next(
                i
                for i in inventory.values()
                if i["inventorytype"] == 28 and Decimal(str(i["quantity"])) == 300
            )
            made = bt.convert_inventory(
                [InventoryTake(barcodeid=lot["id"], grams=Decimal(10))],
                "Flower - Blue Dream",
                Decimal(10),
            )
            sold = bt.dispense(
                [
                    SaleLine(
                        barcodeid=package_1["id"], quantity=Decimal(5), uom="g", price=Decimal(50)
                    )
                ],
                int(clock.now().timestamp()),
            )
            report = reconcile_biotrack(engine, bt, CT_LICENCE)
    found = _found(report)
    assert set(found) == {
        (made.barcode_ids[0], "missing here"),
        (str(sold.sale_id), "missing here"),  # sold at BioTrack, not here
        ("HB-1", "cured flower left (g)"),
        (package_uid(1), "quantity (g)"),
    }
    assert (
        found[("HB-1", "cured flower left (g)")].ours,
        found[("HB-1", "cured flower left (g)")].theirs,
    ) == ("50", "40")
    assert (
        found[(package_uid(1), "quantity (g)")].ours,
        found[(package_uid(1), "quantity (g)")].theirs,
    ) == ("300", "295")
