"""Reconciliation of what we shipped and sold: our outgoing transfers against Metrc's outgoing
manifests and BioTrack's manifests, BioTrack's sales and its untagged plants per batch against
ours. Filed as recorded, both sides agree; each difference made at the state by hand, or left
unfiled by a refusal, is found, with what to do, and filed as a notification."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.statesync.biotrack_client import ManifestStop, SaleLine
from server.statesync.daily import file_report
from server.statesync.metrc_models import (
    OutgoingTransfer,
    ReceiptLine,
    SalesReceipt,
    TransferDestination,
    TransferPackage,
)
from server.statesync.queue import get_link
from server.statesync.reconcile import WAITING, Report, reconcile_biotrack, reconcile_metrc
from tests.server.conftest import LICENCE
from tests.server.domain import package_created, package_uid
from tests.statesync.linked import (
    CT_LICENCE,
    biotrack_client,
    biotrack_floor,
    biotrack_object,
    calls,
    file_all,
    metrc_client,
    metrc_sim,
    sync_notes,
    with_package,
)
from tests.statesync.test_connector_biotrack_commerce import BUYER as CT_BUYER
from tests.statesync.test_connector_biotrack_commerce import _manifest as ct_manifest
from tests.statesync.test_connector_biotrack_commerce import _sale as ct_sale
from tests.statesync.test_connector_biotrack_commerce import cured_and_packaged
from tests.statesync.test_connector_product import BUYER, manifest, sale


def _found(report: Report) -> dict[tuple[str, str], Any]:
    return {(d.subject_id, d.what): d for d in report.differences}


def _open_notes(engine: Engine, licence: str) -> list[tuple[str, str]]:
    notes = sync_notes(engine, licence)
    return sorted((n.subject_type, n.subject_id) for n in notes if n.state == "open")


def test_metrc_outgoing_transfers_and_receipts_against_ours(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    """M-1 (package 1, 500 g) and a sale of 3.5 g of package 4 filed as recorded: no
    difference. Then M-3 recorded here as 40 g of package 3, which holds 50 g at Metrc; M-7
    made at Metrc by hand with package 2; M-2 of package 2 recorded here, refused by Metrc
    (already on M-7); M-5 of package 5 made at Metrc by hand due an hour earlier than ours,
    which Metrc refuses; 1 g of package 4 sold at Metrc by hand."""
    with metrc_sim(tmp_path, clock) as sim:
        floor = with_package(engine, sim, clock, n_tags=10, buyer=BUYER)
        floor.record(package_created(package_uid(2), [("HB-1", "100")]))
        floor.record(package_created(package_uid(3), [("HB-1", "50")]))
        floor.record(package_created(package_uid(4), [("HB-1", "20")]))
        floor.record(package_created(package_uid(5), [("HB-1", "10")]))
        floor.record(manifest(clock, "M-1", package_uid(1), "500"))
        sold_here = floor.record(sale(clock, package_uid(4), "3.5"))
        file_all(engine, clock)
        with metrc_client(sim) as m:
            clean = reconcile_metrc(engine, m, LICENCE, now=clock.now())
            now = clock.now()
            by_hand = OutgoingTransfer(
                name="M-7",
                destinations=[
                    TransferDestination(
                        recipient_license_number=BUYER,
                        transfer_type_name="Wholesale Manifest",
                        planned_route="I-5 north",
                        estimated_departure_date_time=now + timedelta(hours=1),
                        estimated_arrival_date_time=now + timedelta(hours=3),
                        packages=[TransferPackage(package_label=package_uid(2))],
                    )
                ],
            )
            m.create_transfers(LICENCE, [by_hand])
            destination = by_hand.destinations[0].model_copy(
                update={"packages": [TransferPackage(package_label=package_uid(5))]}
            )
            m.create_transfers(LICENCE, [OutgoingTransfer(name="M-5", destinations=[destination])])
            floor.record(manifest(clock, "M-5", package_uid(5), "10"))  # due at now + 4 h
            floor.record(manifest(clock, "M-2", package_uid(2), "100"))
            floor.record(manifest(clock, "M-3", package_uid(3), "40"))
            queued = _found(reconcile_metrc(engine, m, LICENCE, now=clock.now()))
            file_all(engine, clock)
            line = ReceiptLine(
                package_label=package_uid(4),
                quantity=Decimal(1),
                unit_of_measure="Grams",
                total_amount=Decimal(9),
            )
            receipt = SalesReceipt(
                sales_date_time=clock.now(), sales_customer_type="Consumer", transactions=[line]
            )
            m.create_receipts(LICENCE, [receipt])
            receipts = {r.external_receipt_number: r for r in m.receipts(LICENCE).data}
            report = reconcile_metrc(engine, m, LICENCE, now=clock.now())
    assert clean.differences == []
    # Before the connector ran, M-2 and M-3 are only waiting in our queue.
    assert queued[("M-2", "missing at Metrc")].advice == WAITING
    refused = [c for c in calls(engine, LICENCE) if c["status"] == "refused"]
    assert [c["action"] for c in refused] == ["create_transfer", "create_transfer"]
    found = _found(report)
    by_hand_receipt = receipts[None].receipt_number
    assert sold_here in receipts  # filed with our event id: it matches, no difference
    assert set(found) == {
        ("M-2", "missing at Metrc"),
        ("M-7", "missing here"),
        ("M-3", f"quantity of {package_uid(3)}"),
        ("M-5", "estimated arrival"),
        (by_hand_receipt, "missing here"),
        (package_uid(4), "quantity (g)"),  # 16.5 g here, 15.5 g at Metrc
    }
    assert found[(by_hand_receipt, "missing here")].theirs == f"1 of {package_uid(4)}"
    assert "file the manifest at Metrc" in found[("M-2", "missing at Metrc")].advice
    assert BUYER in str(found[("M-7", "missing here")].theirs)
    quantity = found[("M-3", f"quantity of {package_uid(3)}")]
    assert (quantity.ours, quantity.theirs) == ("40", "50")
    arrival = found[("M-5", "estimated arrival")]
    assert (arrival.ours, arrival.theirs) == (
        (now + timedelta(hours=4)).isoformat(),
        (now + timedelta(hours=3)).isoformat(),
    )
    with engine.begin() as conn:
        opened, _ = file_report(conn, get_link(conn, LICENCE), report, clock.now())
    assert opened == 6
    # Beside the refusal of M-2's call (about the event), one per difference.
    assert [n for n in _open_notes(engine, LICENCE) if n[0] != "event"] == [
        ("package", package_uid(4)),
        ("sale", by_hand_receipt),
        ("transfer", "M-2"),
        ("transfer", "M-3"),
        ("transfer", "M-5"),
        ("transfer", "M-7"),
    ]


def test_biotrack_manifests_sales_and_untagged_plants_against_ours(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    """Filed as recorded (B-1's 6 untagged plants, manifest M-CT-1 of package 1, a sale of
    3.5 g of package 2), BioTrack agrees with us. Then at BioTrack by hand: package 2 on a
    manifest, 1 g of it sold, one untagged plant of B-1 destroyed."""
    with biotrack_floor(engine, clock, tmp_path) as (sim, floor):
        cured_and_packaged(floor)
        floor.record(ct_manifest(clock, package_uid(1)))
        floor.record(ct_sale(clock, package_uid(2)))
        file_all(engine, clock)
        with biotrack_client(sim) as bt:
            clean = reconcile_biotrack(engine, bt, CT_LICENCE)
            package_2 = next(
                i
                for i in bt.sync("inventory", 0)
                if i["inventorytype"] == 28 and Decimal(str(i["quantity"])) == Decimal("46.5")
            )
            now = clock.now()
            stop = ManifestStop(
                approximate_departure=(now + timedelta(hours=1)).isoformat(),
                approximate_arrival=(now + timedelta(hours=2)).isoformat(),
                approximate_route="Route 9",
            )
            shipped = bt.manifest(CT_BUYER, stop, [package_2["id"]])
            sold = bt.dispense(
                [
                    SaleLine(
                        barcodeid=package_2["id"], quantity=Decimal(1), uom="g", price=Decimal(9)
                    )
                ],
                int(now.timestamp()),
            )
            _, batch = biotrack_object(engine, clock, "batch", "B-1")
            plant = batch["untagged"][0]
            bt.schedule_destroy([plant], "Unhealthy or contaminated plant")
            clock.advance(timedelta(hours=73))
            bt.destroy_plants([plant])
            report = reconcile_biotrack(engine, bt, CT_LICENCE)
    assert clean.differences == []
    found = _found(report)
    assert set(found) == {
        (str(shipped.manifest_id), "missing here"),
        (str(sold.sale_id), "missing here"),
        ("B-1", "untagged count"),
        (package_uid(2), "quantity (g)"),  # 45.5 g left at BioTrack
    }
    assert CT_BUYER in str(found[(str(shipped.manifest_id), "missing here")].theirs)
    assert package_uid(2) in str(found[(str(sold.sale_id), "missing here")].theirs)
    count = found[("B-1", "untagged count")]
    assert (count.ours, count.theirs) == ("6", "5")
    with engine.begin() as conn:
        opened, _ = file_report(conn, get_link(conn, CT_LICENCE), report, clock.now())
    assert opened == 4
    assert ("sale", str(sold.sale_id)) in _open_notes(engine, CT_LICENCE)
    assert ("transfer", str(shipped.manifest_id)) in _open_notes(engine, CT_LICENCE)
