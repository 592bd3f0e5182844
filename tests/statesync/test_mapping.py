"""The mapping from our events to state calls is pure: plain events in, planned calls out."""

from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.clock import ManualClock
from schemas.events import EventEnvelope
from server.statesync.mapping import BIOTRACK, DESTROY_WAIT_S, METRC, plan, ref, tag_runs
from tests.server.floor import batch_created, flowering, harvested, tagged, tags_received, uid
from tests.statesync.cultivation import destroyed_plant, destroyed_untagged, moved, waste

AT = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


def event(payload: dict[str, Any]) -> EventEnvelope:
    return EventEnvelope.model_validate(
        {
            "event_id": "0190d5e2-7c1a-7000-8000-000000000001",
            "licence": "OR-1001",
            "station_id": "floor-1",
            "operator_id": "maria.lopez",
            "sequence": 1,
            "occurred_at": AT,
            "payload": payload,
        }
    )


def test_consecutive_tags_are_one_row_each_run() -> None:
    assert tag_runs([uid(7), uid(8), uid(10), uid(11), uid(12)]) == [(uid(7), 2), (uid(10), 3)]
    assert tag_runs([uid(3)]) == [(uid(3), 1)]


def test_metrc_planting_and_tagging() -> None:
    ensure, planting = plan(event(batch_created("B-1", 10)), "metrc")
    assert ensure.action == "ensure_location"
    assert ensure.args == {"name": "Veg Room 1"}
    assert planting.action == "plantings"
    assert planting.args["row"] == {
        "Name": "B-1",
        "Type": "Clone",
        "Count": 10,
        "Strain": "Blue Dream",
        "Location": "Veg Room 1",
        "ActualDate": "2026-03-02",
    }
    (tag,) = plan(event(tagged("B-1", [uid(1), uid(2), uid(5)])), "metrc")
    assert [(r["StartingTag"], r["Count"]) for r in tag.args["rows"]] == [
        (uid(1), 2),
        (uid(5), 1),
    ]
    assert tag.args["rows"][0]["NewLocation"] == ref("batch_location", "B-1")


def test_metrc_phase_harvest_destroy_and_waste() -> None:
    _, phase = plan(event(flowering([uid(1)])), "metrc")
    assert phase.args["rows"][0]["GrowthPhase"] == "Flowering"
    (harvest,) = plan(event(harvested(uid(1), "812.5", "HB-1")), "metrc")
    assert harvest.args["row"]["Weight"] == "812.5"
    assert harvest.args["row"]["UnitOfWeight"] == "Grams"
    assert harvest.args["row"]["DryingLocation"] == ref("plant_location", uid(1))
    (destroy,) = plan(event(destroyed_plant(uid(1))), "metrc")
    assert destroy.action == "destroy_plant"
    assert destroy.args["row"]["WasteMethodName"] == "Compost"
    assert "0190d5e2-7c1a-7000-8000-000000000001" in destroy.args["row"]["ReasonNote"]
    (batch,) = plan(event(destroyed_untagged("B-1", 2)), "metrc")
    assert batch.action == "destroy_batch_plants"
    assert batch.args["row"]["Count"] == 2
    (from_harvest,) = plan(event(waste("Flower 1", "4", "HB-1")), "metrc")
    assert from_harvest.args["row"]["Id"] == ref("harvest", "HB-1")
    _, from_room = plan(event(waste("Flower 1", "4")), "metrc")
    assert from_room.action == "plant_waste"


def test_biotrack_plants_are_paired_and_destroyed_after_the_wait() -> None:
    room, new = plan(event(batch_created("B-1", 10)), "biotrack")
    assert (room.action, new.action) == ("ensure_room", "plant_new")
    assert new.args["room"] == ref("room", "Veg Room 1")
    (pair,) = plan(event(tagged("B-1", [uid(1)])), "biotrack")
    assert pair.action == "pair"
    moves = plan(event(moved([uid(1)], "Flower 2")), "biotrack")
    assert [m.action for m in moves] == ["ensure_room", "plant_move"]
    (harvest,) = plan(event(harvested(uid(1), "812.5", "HB-1")), "biotrack")
    assert harvest.args["weights"] == [{"amount": "812.5", "invtype": 6, "uom": "g"}]
    schedule, destroy, weigh = plan(event(destroyed_plant(uid(1))), "biotrack")
    assert schedule.action == "plant_destroy_schedule"
    assert (destroy.action, destroy.wait_s) == ("plant_destroy", DESTROY_WAIT_S)
    assert weigh.action == "plant_waste_weigh"


@pytest.mark.parametrize(
    "payload",
    [tags_received(1, 5), {"kind": "plant_batch.germinated", "batch_id": "B-1", "count": 3}],
)
def test_kinds_the_state_keeps_itself_make_no_call(payload: dict[str, Any]) -> None:
    assert plan(event(payload), "metrc") == []
    assert plan(event(payload), "biotrack") == []


def test_every_mapped_kind_is_an_event_kind() -> None:
    from typing import get_args

    from schemas.events import Payload

    union = get_args(get_args(Payload)[0])
    kinds = {m.model_fields["kind"].default for m in union}
    assert set(METRC) <= kinds
    assert set(BIOTRACK) <= kinds


def test_metrc_package_manifest_and_sale() -> None:
    from tests.server.domain import package_created, package_uid
    from tests.statesync.test_connector_product import manifest, sale

    clock = ManualClock(AT)
    *_, item, package = plan(event(package_created(package_uid(1), [("HB-1", "500")])), "metrc")
    assert (item.action, item.args) == (
        "ensure_item",
        {
            "name": "Flower - Blue Dream",
            "category": "Buds",
            "unit": "Grams",
            "strain": "Blue Dream",
        },
    )
    assert package.action == "create_package"
    assert package.args["row"]["Item"] == "Flower - Blue Dream"
    assert package.args["row"]["Ingredients"] == [
        {"HarvestName": "HB-1", "Weight": "500", "UnitOfWeight": "Grams"}
    ]
    (transfer,) = plan(event(manifest(clock, "M-1", package_uid(1), "500")), "metrc")
    assert transfer.args["row"]["Name"] == "M-1"
    assert transfer.args["row"]["Destinations"][0]["Packages"] == [{"PackageLabel": package_uid(1)}]
    (receipt,) = plan(event(sale(clock, package_uid(1), "3.5")), "metrc")
    assert receipt.args["row"]["ExternalReceiptNumber"] == "0190d5e2-7c1a-7000-8000-000000000001"
    assert receipt.args["row"]["Transactions"][0]["Quantity"] == "3.5"


def test_biotrack_cure_package_manifest_and_sale() -> None:
    from tests.server.desk import weighed
    from tests.server.domain import package_created, package_uid
    from tests.statesync.test_connector_product import manifest, sale

    clock = ManualClock(AT)
    (cure,) = plan(event(weighed("HB-1", "dry")), "biotrack")
    assert (cure.action, cure.args) == (
        "cure_harvest",
        {"harvest_batch": "HB-1", "dry_grams": "1200"},
    )
    assert plan(event(weighed("HB-1", "net")), "biotrack") == []  # BioTrack weighs the cure
    (package,) = plan(event(package_created(package_uid(1), [("HB-1", "500")])), "biotrack")
    assert package.action == "package"
    assert package.args["sources"] == [{"harvest_batch": "HB-1", "grams": "500"}]
    assert (package.args["product"], package.args["grams"]) == ("Flower - Blue Dream", "500")
    (transfer,) = plan(event(manifest(clock, "M-1", package_uid(1), "500")), "biotrack")
    assert transfer.args["items"] == [{"ref": "package", "key": package_uid(1)}]
    assert transfer.args["recipient"] == "OR-2002"
    (receipt,) = plan(event(sale(clock, package_uid(1), "3.5")), "biotrack")
    (line,) = receipt.args["lines"]
    assert (line["quantity"], line["uom"], line["price"]) == ("3.5", "g", "35.00")
    assert receipt.args["external_id"] == "0190d5e2-7c1a-7000-8000-000000000001"


def test_a_correction_is_held_for_a_person_only_when_its_kind_was_filed() -> None:
    def correction(replacement: dict[str, Any]) -> dict[str, Any]:
        return {
            "kind": "record.corrected",
            "corrects": "0190d5e2-7c1a-7000-8000-000000000009",
            "reason": "typed wrong",
            "discovered_at": AT.isoformat(),
            "replacement": replacement,
        }

    (held,) = plan(event(correction(destroyed_plant(uid(4)))), "metrc")
    assert held.action == "correct_by_hand"
    assert held.args["replacement"]["uid"] == uid(4)
    # A move or phase change goes through the API, if it still can when it is sent.
    ensure, through = plan(event(correction(moved([uid(4)], "Flower 3"))), "metrc")
    assert ensure.action == "ensure_location"
    assert (through.action, through.args["send"]) == ("correct_plants", "move_plants")
    assert through.args["rows"][0] | {"ActualDate": None} == {
        "Label": uid(4),
        "Location": "Flower 3",
        "ActualDate": None,
    }
    room, move = plan(event(correction(moved([uid(4)], "Flower 3"))), "biotrack")
    assert (room.action, move.action) == ("ensure_room", "correct_plants")
    assert move.args["barcodeid"] == [{"ref": "plant", "key": uid(4)}]
    assert plan(event(correction(destroyed_plant(uid(4)))), "biotrack")[0].action == (
        "correct_by_hand"
    )
    assert plan(event(correction(tags_received(1, 5))), "metrc") == []  # never filed
