"""Every Metrc simulator endpoint, driven through the real client over loopback HTTP."""

from datetime import datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from schemas.clock import ManualClock
from server.statesync.errors import NotAuthorised, StateRefused
from server.statesync.metrc_client import HttpMetrcClient
from server.statesync.metrc_models import (
    HarvestFinish,
    HarvestWaste,
    OutgoingTransfer,
    PlantBatchDestroy,
    PlantDestroy,
    PlantLocation,
    ReceiptLine,
    SalesReceipt,
    TransferDestination,
    TransferPackage,
)
from server.statesync.simulators import MetrcSimulator
from tests.statesync.conftest import (
    BUYER,
    LICENCE,
    LOCATIONS,
    PACKAGE_TAGS,
    PLANT_TAGS,
    USER_KEY,
    VENDOR_KEY,
)
from tests.statesync.metrc_flow import (
    DAY,
    cut,
    flower,
    grow_to_package,
    harvest,
    package,
    plant_batch,
    tag_plants,
    trim_waste,
)


def test_planting_and_growth_phase_with_starting_tag(client: HttpMetrcClient) -> None:
    batch_id = plant_batch(client, count=10)
    tag_plants(client, 3, first=PLANT_TAGS[4])

    batch = client.plant_batch(LICENCE, batch_id)
    assert batch is not None
    assert (batch.untracked_count, batch.tracked_count) == (7, 3)
    vegetative = client.plants(LICENCE, "vegetative").data
    assert [p.label for p in vegetative] == PLANT_TAGS[4:7]  # counted up from StartingTag
    available = {t.label for t in client.available_tags(LICENCE, "plant", page_size=20).data}
    assert PLANT_TAGS[4] not in available
    assert PLANT_TAGS[3] in available
    assert [b.name for b in client.plant_batches(LICENCE).data] == ["B-1"]


def test_growth_phase_location_and_harvest(client: HttpMetrcClient) -> None:
    plant_batch(client)
    tag_plants(client, 3)
    flower(client, PLANT_TAGS[:2])
    client.move_plants(
        LICENCE, [PlantLocation(label=PLANT_TAGS[2], location="Vault", actual_date=DAY)]
    )
    assert [p.label for p in client.plants(LICENCE, "flowering").data] == PLANT_TAGS[:2]
    moved = client.plant(LICENCE, PLANT_TAGS[2])
    assert moved is not None
    assert (moved.growth_phase, moved.location_name) == ("Vegetative", "Vault")

    harvest_id = client.harvest_plants(
        LICENCE,
        [cut(PLANT_TAGS[0], "500.25"), cut(PLANT_TAGS[1], "1", "Pounds")],
    ).ids[0]
    found = client.harvest(LICENCE, harvest_id)
    assert found is not None
    assert found.name == "H-2026-03"
    assert found.plant_count == 2
    assert found.total_wet_weight == Decimal("500.25") + Decimal("453.59237")  # exact
    plant = client.plant(LICENCE, PLANT_TAGS[0])
    assert plant is not None
    assert (plant.state, plant.harvest_id) == ("Harvested", harvest_id)
    assert plant.harvested_wet_weight == Decimal("500.25")
    assert [h.id for h in client.harvests(LICENCE).data] == [harvest_id]


def test_harvest_waste_packages_and_finish(client: HttpMetrcClient) -> None:
    harvest_id, package_id = grow_to_package(client, PACKAGE_TAGS[0], grams="300")
    client.record_harvest_waste(
        LICENCE,
        [
            HarvestWaste(
                id=harvest_id,
                waste_type="Stems",
                waste_weight=Decimal("0.5"),
                unit_of_weight="Kilograms",
                actual_date=DAY,
            )
        ],
    )
    found = client.harvest(LICENCE, harvest_id)
    assert found is not None
    assert found.total_packaged_weight == Decimal("300")
    assert found.total_waste_weight == Decimal("500")
    assert found.current_weight == Decimal("1000.50") - 300 - 500
    waste = client.harvest_waste(LICENCE, harvest_id).data
    assert [(w.waste_type_name, w.waste_weight) for w in waste] == [("Stems", Decimal("500"))]

    pkg = client.package(LICENCE, PACKAGE_TAGS[0])
    assert pkg is not None
    assert (pkg.id, pkg.quantity, pkg.source_harvest_names) == (package_id, 300, "H-2026-03")
    assert PACKAGE_TAGS[0] not in {t.label for t in client.available_tags(LICENCE, "package").data}

    client.finish_harvests(LICENCE, [HarvestFinish(id=harvest_id, actual_date=DAY)])
    assert client.harvests(LICENCE).data == []
    assert [h.is_finished for h in client.harvests(LICENCE, active=False).data] == [True]


def test_package_more_than_the_harvest_holds_is_refused(client: HttpMetrcClient) -> None:
    harvest_id, _ = grow_to_package(client, PACKAGE_TAGS[0], grams="1000")
    with pytest.raises(StateRefused) as refused:
        package(client, harvest_id, PACKAGE_TAGS[1], "0.51")
    assert refused.value.status == 400
    assert refused.value.messages == ("Harvest H-2026-03 holds 0.5 g; cannot package 0.51 g.",)


def test_destroy_plants_batches_and_waste(client: HttpMetrcClient) -> None:
    plant_batch(client, count=10)
    tag_plants(client, 1)
    client.destroy_plants(
        LICENCE,
        [
            PlantDestroy(
                label=PLANT_TAGS[0],
                waste_method_name="Grinder",
                waste_material_mixed="Soil",
                waste_reason_name="Pest Infestation",
                reason_note="spider mites",
                waste_weight=Decimal("120.5"),
                waste_unit_of_measure_name="Grams",
                actual_date=DAY,
            )
        ],
    )
    gone = client.plants(LICENCE, "inactive").data
    assert [(p.label, p.state) for p in gone] == [(PLANT_TAGS[0], "Destroyed")]
    assert gone[0].model_extra is not None
    assert gone[0].model_extra["WasteMethodName"] == "Grinder"
    assert gone[0].model_extra["WasteReasonName"] == "Pest Infestation"

    client.destroy_batch_plants(
        LICENCE,
        [
            PlantBatchDestroy(
                plant_batch="B-1",
                count=4,
                waste_method_name="Compost",
                waste_material_mixed="None",
                waste_reason_name="Male Plants",
                reason_note="males",
                waste_weight=Decimal("40"),
                waste_unit_of_measure="Grams",
                actual_date=DAY,
            )
        ],
    )
    batch = client.plant_batches(LICENCE).data[0]
    assert (batch.untracked_count, batch.destroyed_count) == (5, 4)

    client.record_plant_waste(LICENCE, [trim_waste("Incinerator", "2.5", "Kilograms")])
    weights = sorted(w.waste_weight for w in client.plant_waste(LICENCE).data)
    assert weights == [Decimal("40"), Decimal("2500")]
    assert "Grinder" in client.names(LICENCE, "/plants/v2/waste/methods/all")
    assert "Male Plants" in client.names(LICENCE, "/plants/v2/waste/reasons")
    assert "Stems" in client.names(LICENCE, "/harvests/v2/waste/types")


def test_transfer_manifest_and_sales_receipt(client: HttpMetrcClient, clock: ManualClock) -> None:
    grow_to_package(client, PACKAGE_TAGS[0], grams="300")
    grow_second_package(client)
    leave = clock.now() + timedelta(hours=2)
    client.create_transfers(
        LICENCE,
        [
            OutgoingTransfer(
                name="To Valley",
                destinations=[
                    TransferDestination(
                        recipient_license_number=BUYER,
                        transfer_type_name="Wholesale",
                        planned_route="I-5 north",
                        estimated_departure_date_time=leave,
                        estimated_arrival_date_time=leave + timedelta(hours=3),
                        packages=[TransferPackage(package_label=PACKAGE_TAGS[0])],
                    )
                ],
            )
        ],
    )
    outgoing = client.outgoing_transfers(LICENCE).data
    assert [t.name for t in outgoing] == ["To Valley"]
    incoming = client.incoming_transfers(BUYER).data
    assert [t.manifest_number for t in incoming] == [outgoing[0].manifest_number]
    sent = client.package(LICENCE, PACKAGE_TAGS[0])
    assert sent is not None
    assert sent.is_in_transit

    client.create_receipts(LICENCE, [receipt(PACKAGE_TAGS[1], "3.5", clock.now())])
    sold = client.package(LICENCE, PACKAGE_TAGS[1])
    assert sold is not None
    assert sold.quantity == Decimal("96.5")
    receipts = client.receipts(LICENCE).data
    assert [(r.total_price, r.total_packages) for r in receipts] == [(Decimal("35.00"), 1)]


def grow_second_package(client: HttpMetrcClient) -> tuple[int, int]:
    tag_plants(client, 1, first=PLANT_TAGS[2])
    flower(client, [PLANT_TAGS[2]])
    harvest_id = harvest(client, [PLANT_TAGS[2]], grams="100")
    return harvest_id, package(client, harvest_id, PACKAGE_TAGS[1], "100")


def receipt(label: str, grams: str, at: datetime) -> SalesReceipt:
    return SalesReceipt(
        sales_date_time=at,
        sales_customer_type="Consumer",
        transactions=[
            ReceiptLine(
                package_label=label,
                quantity=Decimal(grams),
                unit_of_measure="Grams",
                total_amount=Decimal("35.00"),
            )
        ],
    )


def test_a_bad_row_refuses_the_whole_request(client: HttpMetrcClient) -> None:
    plant_batch(client)
    tag_plants(client, 2)
    with pytest.raises(StateRefused) as refused:
        client.move_plants(
            LICENCE,
            [
                PlantLocation(label=PLANT_TAGS[0], location="Vault", actual_date=DAY),
                PlantLocation(label=PLANT_TAGS[1], location="Nowhere", actual_date=DAY),
            ],
        )
    assert refused.value.messages == (f"Location 'Nowhere' does not exist at facility {LICENCE}.",)
    kept = client.plant(LICENCE, PLANT_TAGS[0])
    assert kept is not None
    assert kept.location_name == "Clone Room"  # row 0 was sound, and still not kept


def test_validation_errors_come_back_as_the_states_messages(metrc: MetrcSimulator) -> None:
    with httpx.Client(base_url=metrc.url, auth=(VENDOR_KEY, USER_KEY)) as raw:
        answer = raw.put(
            "/plants/v2/harvest", params={"licenseNumber": LICENCE}, json=[{"Plant": "X"}]
        )
        no_licence = raw.get("/plants/v2/vegetative")
    assert answer.status_code == 400
    messages = [m["message"] for m in answer.json()]
    assert "HarvestName is required." in messages
    assert "Weight is required." in messages
    assert no_licence.status_code == 400
    assert no_licence.json() == [{"row": 0, "message": "licenseNumber is required."}]


def test_credentials_and_permissions(metrc: MetrcSimulator, client: HttpMetrcClient) -> None:
    metrc.app.add_user("user-ivan-1", "Ivan Intern", [LICENCE], ["Manage Locations"])
    with (
        HttpMetrcClient(metrc.url, "wrong-vendor", USER_KEY) as wrong_vendor,
        pytest.raises(NotAuthorised) as denied,
    ):
        wrong_vendor.locations(LICENCE)
    assert denied.value.status == 401
    with (
        HttpMetrcClient(metrc.url, VENDOR_KEY, "no-such-key") as stranger,
        pytest.raises(NotAuthorised),
    ):
        stranger.locations(LICENCE)
    with HttpMetrcClient(metrc.url, VENDOR_KEY, "user-ivan-1") as intern:
        assert len(intern.locations(LICENCE).data) == len(LOCATIONS)  # reading is allowed
        with pytest.raises(NotAuthorised) as forbidden:
            plant_batch(intern)
        with pytest.raises(NotAuthorised):
            intern.locations(BUYER)  # a facility the key was not given
    assert forbidden.value.status == 403
    assert forbidden.value.messages == (
        "Ivan Intern lacks the permission 'Manage Immature Plants'.",
    )
    assert client.plant_batches(LICENCE).data == []  # nothing was made by the refused call


def test_lists_of_what_is_used_up_and_lookups_of_what_is_not_there(
    client: HttpMetrcClient, clock: ManualClock
) -> None:
    plant_batch(client, count=2)
    tag_plants(client, 2)  # every plant of the batch tagged: the batch is used up
    assert client.plant_batches(LICENCE).data == []
    assert [b.name for b in client.plant_batches(LICENCE, active=False).data] == ["B-1"]

    flower(client, PLANT_TAGS[:2])
    harvest_id = harvest(client, PLANT_TAGS[:2], grams="50")
    package(client, harvest_id, PACKAGE_TAGS[0], "100")
    assert [p.label for p in client.packages(LICENCE).data] == [PACKAGE_TAGS[0]]
    client.create_receipts(LICENCE, [receipt(PACKAGE_TAGS[0], "100", clock.now())])
    assert client.packages(LICENCE).data == []  # sold out
    assert [p.quantity for p in client.packages(LICENCE, active=False).data] == [0]

    assert client.plant(LICENCE, "1A4FF0100000022999999999") is None
    assert client.package(LICENCE, "1A4FF0300000022999999999") is None
    assert client.harvest(LICENCE, 999_999) is None
    assert client.plant_batch(LICENCE, 999_999) is None
