"""Package, weight and transfer rules as pure functions."""

from datetime import timedelta
from typing import Any

from server.compliance.rules.state import LicenceState, OutageState, TransferState
from tests.rules.memstate import LICENCE, NOW, MemoryState, check, event, package_uid, rejected
from tests.server.domain import grams, package_created

P1, P2, P3 = package_uid(1), package_uid(2), package_uid(3)


_g = grams


def _package(
    uid: str = P1,
    sources: tuple[tuple[str, str], ...] = (("HB-1", "100"),),
    *,
    quantity: dict[str, Any] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """A package of 100 g (unless ``quantity`` says otherwise), whatever its ``sources``."""
    return package_created(
        uid, list(sources), quantity=quantity if quantity is not None else _g("100"), **options
    )


def _party(licence: str) -> dict[str, str]:
    return {"name": "A Farm", "address": "1 Road", "licence": licence}


def _manifest(
    uids: list[str], manifest_id: str = "M-1", seller: str = LICENCE, category: str = "flower"
) -> dict[str, Any]:
    return {
        "kind": "transfer.manifested",
        "manifest_id": manifest_id,
        "seller": _party(seller),
        "purchaser": _party("C11-0000456-LIC"),
        "transfer_date": "2026-11-20",
        "estimated_departure": "2026-11-20T16:00:00Z",
        "estimated_arrival": "2026-11-20T19:00:00Z",
        "items": [
            {
                "uid": u,
                "category": category,
                "strain": "Blue Dream",
                "description": "Blue Dream flower",
                "quantity": _g("100"),
            }
            for u in uids
        ],
    }


def _sale(uid: str, quantity: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "sale.recorded",
        "package_uid": uid,
        "quantity": quantity,
        "price": "35.00",
        "sold_at": "2026-11-20T15:00:00Z",
    }


def test_product_from_harvest_links_a_package_to_batches_that_have_enough() -> None:
    state = MemoryState()
    state.add_harvest("HB-1", "1000", packaged="950")
    state.add_harvest("HB-2", "400")
    assert check("PRODUCT-FROM-HARVEST", state, event(_package(sources=(("HB-2", "400"),)))) == []
    rejected(
        check(
            "PRODUCT-FROM-HARVEST",
            state,
            event(_package(sources=(("HB-1", "60"), ("HB-9", "5")))),
        ),
        "PRODUCT-FROM-HARVEST",
        "Harvest batch HB-1 has 50 g left to package (1000 g in all, 950 g already packaged); "
        f"package {P1} takes 60 g",
        "Harvest batch HB-9 does not exist",
    )


def test_product_from_harvest_sells_only_packages_held_here() -> None:
    state = MemoryState()
    state.add_package(P1)
    state.add_package(P2, status="departed")
    assert check("PRODUCT-FROM-HARVEST", state, event(_sale(P1, _g("3.5")))) == []
    rejected(
        check("PRODUCT-FROM-HARVEST", state, event(_sale(P3, _g("3.5")))),
        "PRODUCT-FROM-HARVEST",
        f"Package {P3} is not a package of this licensee",
    )
    rejected(
        check("PRODUCT-FROM-HARVEST", state, event(_sale(P2, _g("3.5")))),
        "PRODUCT-FROM-HARVEST",
        f"Package {P2} is departed on manifest M-0",
    )


def test_package_identical() -> None:
    state = MemoryState()
    state.add_harvest("HB-1", "500")
    state.add_harvest("HB-2", "500", strain="OG Kush")
    mixed = (("HB-1", "50"), ("HB-2", "50"))
    assert check("PACKAGE-IDENTICAL", state, event(_package(sources=(("HB-1", "50"),)))) == []
    assert (
        check("PACKAGE-IDENTICAL", state, event(_package(sources=mixed, for_processor=True))) == []
    )
    rejected(
        check("PACKAGE-IDENTICAL", state, event(_package(sources=mixed))),
        "PACKAGE-IDENTICAL",
        f"Package {P1} is Blue Dream, but harvest batch HB-2 is OG Kush",
    )


def test_weight_units_by_category() -> None:
    state = MemoryState()
    counted = {"count": 10, "unit_weight": {"value": "1", "unit": "g"}}
    ok_pre_rolls = _package(category="pre_roll", quantity=counted)
    assert check("WEIGHT-UNITS", state, event(ok_pre_rolls)) == []
    assert (
        check(
            "WEIGHT-UNITS",
            state,
            event(_package(quantity={"weight": {"value": "1", "unit": "lb"}})),
        )
        == []
    )
    rejected(
        check("WEIGHT-UNITS", state, event(_package(category="pre_roll"))),
        "WEIGHT-UNITS",
        f"Package {P1}: pre roll is counted in units; give the count and the weight of one unit",
    )
    rejected(
        check("WEIGHT-UNITS", state, event(_package(quantity={"count": 3}))),
        "WEIGHT-UNITS",
        "flower is recorded by weight; give its weight, not a count",
    )
    rejected(
        check("WEIGHT-UNITS", state, event(_package(quantity=_g("0"), sources=(("HB-1", "0"),)))),
        "WEIGHT-UNITS",
        "a quantity weighing 0 g is not a quantity",
        "it takes 0 g from harvest batch HB-1",
    )
    state.add_package(P2, category="cannabinoid_product")
    rejected(
        check("WEIGHT-UNITS", state, event(_sale(P2, _g("10")))),
        "WEIGHT-UNITS",
        f"Sale from package {P2}: cannabinoid product is counted in units",
    )
    rejected(
        check("WEIGHT-UNITS", state, event(_manifest([P1], category="cannabinoid_product"))),
        "WEIGHT-UNITS",
        f"Manifest M-1, item {P1}: cannabinoid product is counted in units",
    )


def test_weight_units_a_recorded_weight_is_the_weight_read() -> None:
    state = MemoryState()
    reading = {
        "device_id": "scale-1",
        "weight": {"value": "400", "unit": "g"},
        "stable": True,
        "raw_hex": "",
        "read_at": "2026-11-20T15:00:00Z",
    }
    weighed = {
        "kind": "harvest_batch.weighed",
        "harvest_batch": "HB-1",
        "weight_type": "dry",
        "weight": {"value": "400", "unit": "g"},
        "scale_reading": reading,
    }
    assert check("WEIGHT-UNITS", state, event(weighed)) == []
    rejected(
        check("WEIGHT-UNITS", state, event({**weighed, "weight": {"value": "0.5", "unit": "kg"}})),
        "WEIGHT-UNITS",
        "Harvest batch HB-1: the weight 0.5 kg differs from the scale reading 400 g",
    )
    empty = {**weighed, "weight": {"value": "0", "unit": "g"}, "scale_reading": None}
    rejected(
        check("WEIGHT-UNITS", state, event(empty)),
        "WEIGHT-UNITS",
        "a dry weight of 0 g is not a weighing",
    )


def test_transfer_manifest_lists_packages_held_here() -> None:
    state = MemoryState()
    state.add_package(P1)
    state.add_package(P2, status="manifested")
    assert check("TRANSFER-MANIFEST", state, event(_manifest([P1]))) == []
    rejected(
        check("TRANSFER-MANIFEST", state, event(_manifest([P2, P3], seller="OR-7777"))),
        "TRANSFER-MANIFEST",
        "names licence OR-7777 as the seller",
        f"Package {P2} is already manifested on manifest M-0",
        f"Item {P3} of manifest M-1 is not a package of this licensee",
    )
    rejected(
        check("TRANSFER-MANIFEST", state, event(_manifest([P1], category="kief"))),
        "TRANSFER-MANIFEST",
        f"Manifest M-1 gives package {P1} category kief; it holds flower",
    )
    state.transfers[("out", "M-1")] = TransferState("M-1", "out", "manifested", NOW, (P1,))
    rejected(
        check("TRANSFER-MANIFEST", state, event(_manifest([P1]))),
        "TRANSFER-MANIFEST",
        "Manifest M-1 was already recorded",
    )


def test_transfer_manifest_is_recorded_before_the_goods_leave() -> None:
    state = MemoryState()
    state.transfers[("out", "M-1")] = TransferState("M-1", "out", "manifested", NOW, (P1,))
    left = {"kind": "transfer.departed", "manifest_id": "M-1"}
    later = (NOW + timedelta(minutes=5)).isoformat()
    earlier = (NOW - timedelta(hours=1)).isoformat()
    assert check("TRANSFER-MANIFEST", state, event({**left, "departed_at": later})) == []
    rejected(
        check("TRANSFER-MANIFEST", state, event({**left, "departed_at": earlier})),
        "TRANSFER-MANIFEST",
        "left at Fri 2026-11-20 14:00 UTC, before the manifest was recorded at "
        "Fri 2026-11-20 15:00 UTC",
    )
    rejected(
        check(
            "TRANSFER-MANIFEST",
            state,
            event({**left, "manifest_id": "M-2", "departed_at": later}),
        ),
        "TRANSFER-MANIFEST",
        "No manifest M-2 was recorded; record the transfer before the goods leave",
    )


def test_transfer_manifest_receipt_covers_exactly_what_arrived() -> None:
    state = MemoryState()
    state.transfers[("in", "M-9")] = TransferState(
        "M-9", "in", "arrived", NOW, (P1, P2), frozenset({P2})
    )
    receipt = {"kind": "transfer.received", "manifest_id": "M-9"}
    assert (
        check(
            "TRANSFER-MANIFEST",
            state,
            event({**receipt, "accepted": [{"uid": P1, "quantity": _g("5")}]}),
        )
        == []
    )
    rejected(
        check(
            "TRANSFER-MANIFEST",
            state,
            event(
                {**receipt, "rejected": [{"uid": P2, "reason": "x"}, {"uid": P3, "reason": "y"}]}
            ),
        ),
        "TRANSFER-MANIFEST",
        f"UID {P2} of transfer M-9 was already accepted or rejected",
        f"UID {P3} is not on transfer M-9",
    )
    arrival = {
        "kind": "transfer.arrived",
        "manifest_id": "M-9",
        "seller": _party("CCL21-0009999"),
        "arrived_at": "2026-11-20T15:00:00Z",
        "uids": [P1],
    }
    rejected(
        check("TRANSFER-MANIFEST", state, event(arrival)), "TRANSFER-MANIFEST", "already arrived"
    )


def _loss(restored: bool, backlog: int | None = None, entered: int = 0) -> OutageState:
    lost_at = NOW - timedelta(hours=3)
    restored_at = lost_at + timedelta(hours=1) if restored else None
    return OutageState(
        "01903a4e-5c00-7a3d-8f21-6b0c2d4e0001", "veg-2", lost_at, restored_at, backlog, entered
    )


def test_transfer_after_outage() -> None:
    state = MemoryState()
    state.add_package(P1)
    manifest = event(_manifest([P1]))
    assert check("TRANSFER-AFTER-OUTAGE", state, manifest) == []
    state.losses = [_loss(restored=True, backlog=4, entered=4)]
    assert check("TRANSFER-AFTER-OUTAGE", state, manifest) == []
    state.losses = [_loss(restored=False)]
    rejected(
        check("TRANSFER-AFTER-OUTAGE", state, manifest),
        "TRANSFER-AFTER-OUTAGE",
        "Access to the system has been lost at station veg-2 since Fri 2026-11-20 12:00 UTC",
    )
    state.losses = [_loss(restored=True, backlog=4, entered=3)]
    rejected(
        check("TRANSFER-AFTER-OUTAGE", state, manifest),
        "TRANSFER-AFTER-OUTAGE",
        "3 of the 4 events recorded at station veg-2 during the loss of access",
    )
    during = event(_manifest([P1]), at=NOW - timedelta(hours=2, minutes=30))
    rejected(
        check("TRANSFER-AFTER-OUTAGE", state, during),
        "TRANSFER-AFTER-OUTAGE",
        "This transfer is dated Fri 2026-11-20 12:30 UTC, while access was lost at station veg-2",
    )


def test_transfer_after_outage_restores_a_recorded_loss_once() -> None:
    state = MemoryState()
    loss = _loss(restored=False)
    state.losses = [loss]
    restored = {
        "kind": "access.restored",
        "lost_event_id": loss.lost_event_id,
        "restored_at": NOW.isoformat(),
        "cause": "Router rebooted",
        "backlog": 2,
    }
    assert check("TRANSFER-AFTER-OUTAGE", state, event(restored)) == []
    rejected(
        check(
            "TRANSFER-AFTER-OUTAGE",
            state,
            event({**restored, "restored_at": "2026-11-20T11:00:00Z"}),
        ),
        "TRANSFER-AFTER-OUTAGE",
        "Access cannot be restored at Fri 2026-11-20 11:00 UTC, before it was lost",
    )
    state.losses = [_loss(restored=True)]
    rejected(
        check("TRANSFER-AFTER-OUTAGE", state, event(restored)),
        "TRANSFER-AFTER-OUTAGE",
        "was already restored",
    )
    state.losses = []
    rejected(
        check("TRANSFER-AFTER-OUTAGE", state, event(restored)),
        "TRANSFER-AFTER-OUTAGE",
        "is not a loss of access recorded by this licensee",
    )


def test_transfer_after_outage_speaks_the_premises_clock() -> None:
    """Times in the message are the premises' (issue 16 item 10), as in every other message:
    12:00 UTC is 04:00 in Los Angeles, and an Oregon licensee is cited Oregon's provision."""
    state = MemoryState(licence_state=LicenceState(LICENCE, "OR", timezone="America/Los_Angeles"))
    state.add_package(P1)
    state.losses = [_loss(restored=False)]
    (v,) = check("TRANSFER-AFTER-OUTAGE", state, event(_manifest([P1])))
    assert "since Fri 2026-11-20 04:00 PST; no transfer until it is restored" in v.message
    assert "UTC" not in v.message
    assert v.citation == "OR CTS Requirements (8)(c)"
