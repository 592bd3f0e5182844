"""Every BioTrack simulator action, driven through the real client over loopback HTTP."""

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from schemas.clock import ManualClock
from server.statesync.biotrack_client import HttpBioTrackClient, WeightNode
from server.statesync.errors import NotAuthorised, StateRefused
from server.statesync.simulators import BioTrackSimulator
from tests.statesync.conftest import BT_LICENCE, BT_USER


def rooms(bt: HttpBioTrackClient) -> tuple[int, int]:
    veg = bt.add_room("Veg Room").room_id
    dry = bt.add_room("Dry Room").room_id
    assert veg is not None
    assert dry is not None
    return veg, dry


def test_a_wrong_password_is_not_authorised(biotrack: BioTrackSimulator) -> None:
    with (
        HttpBioTrackClient(biotrack.url, BT_LICENCE, BT_USER, "guess") as wrong,
        pytest.raises(NotAuthorised) as refused,
    ):
        wrong.sync_check()
    assert refused.value.code == 2


def test_a_plants_life_new_move_modify_harvest_cure(bt: HttpBioTrackClient) -> None:
    veg, dry = rooms(bt)
    made = bt.new_plants(3, "Blue Dream", veg, source="6000000000000999")
    assert len(made.barcode_ids) == 3
    assert all(len(i) == 16 and i.isdigit() for i in made.barcode_ids)
    first, second, _third = made.barcode_ids
    bt.move_plants([first, second], dry)
    bt.modify_plant(second, strain="Sour Diesel")

    harvested = bt.harvest_plant(
        first,
        [
            WeightNode(amount=Decimal("812.5"), invtype=6, uom="g"),
            WeightNode(amount=Decimal("0.25"), invtype=27, uom="kg"),
        ],
    )
    assert [d.barcode_type for d in harvested.derivatives] == [27]
    cured = bt.cure_plant(first, [WeightNode(amount=Decimal("190.1"), invtype=6, uom="g")], dry)
    assert len(cured.barcode_ids) == 1

    plants = {p["id"]: p for p in bt.sync("plant", 0)}
    assert plants[first]["state"] == "cured"
    assert plants[first]["wet_weight"] == Decimal("812.5")
    assert plants[first]["dry_weight"] == Decimal("190.1")
    assert (plants[second]["room"], plants[second]["strain"]) == (dry, "Sour Diesel")
    lots = {i["id"]: i for i in bt.sync("inventory", 0)}
    assert lots[cured.barcode_ids[0]]["inventorytype"] == 6
    assert lots[harvested.derivatives[0].barcode_id]["quantity"] == Decimal("250")
    assert [r["name"] for r in bt.sync("plant_room", 0)] == ["Veg Room", "Dry Room"]


def test_a_second_harvest_of_a_drying_plant_is_refused(bt: HttpBioTrackClient) -> None:
    veg, _ = rooms(bt)
    plant = bt.new_plants(1, "Blue Dream", veg).barcode_ids[0]
    weights = [WeightNode(amount=Decimal("100"), invtype=6, uom="g")]
    bt.harvest_plant(plant, weights)
    with pytest.raises(StateRefused) as refused:
        bt.harvest_plant(plant, weights)
    assert refused.value.code == 5


def test_waste_weigh_makes_a_waste_item(bt: HttpBioTrackClient) -> None:
    waste = bt.weigh_waste(Decimal("1.5"), "lb")
    item = {i["id"]: i for i in bt.sync("inventory", 0)}[waste.barcode_ids[0]]
    assert (item["inventorytype"], item["quantity"]) == (27, Decimal("680.388555"))


def test_destroy_is_refused_until_72_hours_after_the_schedule(
    bt: HttpBioTrackClient, clock: ManualClock
) -> None:
    veg, _ = rooms(bt)
    plant = bt.new_plants(1, "Blue Dream", veg).barcode_ids[0]
    with pytest.raises(StateRefused) as unscheduled:
        bt.destroy_plants([plant])
    assert unscheduled.value.messages == (f"plant {plant} has not been scheduled for destruction",)
    bt.schedule_destroy([plant], "mold", reason_extended="Contamination")
    with pytest.raises(StateRefused) as again:
        bt.schedule_destroy([plant], "mold")
    assert again.value.code == 5
    bt.schedule_destroy([plant], "mold", override=True)  # override: no error, no new clock

    clock.advance(timedelta(hours=71, minutes=59, seconds=59))
    with pytest.raises(StateRefused) as early:
        bt.destroy_plants([plant])
    assert "72 hours after it was scheduled" in early.value.messages[0]
    clock.advance(1)
    bt.destroy_plants([plant])
    assert {p["id"]: p["state"] for p in bt.sync("plant", 0)}[plant] == "destroyed"


def test_nonce_replay_returns_the_stored_answer(bt: HttpBioTrackClient) -> None:
    veg, _ = rooms(bt)
    made = bt.new_plants(2, "Blue Dream", veg, nonce="evt-0001")
    stored = bt.nonce_replay("evt-0001")
    assert stored == httpx.Response(200, content=made.raw).json()
    assert stored is not None
    assert stored["barcode_id"] == made.barcode_ids

    with pytest.raises(StateRefused) as reused:
        bt.new_plants(2, "Blue Dream", veg, nonce="evt-0001")
    assert reused.value.code == 6
    assert bt.sync_check().summary["plant"] == 2  # the reuse made nothing
    assert bt.nonce_replay("evt-0002") is None  # never received

    with pytest.raises(StateRefused):
        bt.move_plants(["6999999999999999"], veg, nonce="evt-0003")
    refusal = bt.nonce_replay("evt-0003")
    assert refusal is not None
    assert (refusal["success"], refusal["errorcode"]) == (0, 4)


def test_training_answers_and_keeps_nothing(bt: HttpBioTrackClient) -> None:
    veg, _ = rooms(bt)
    trial = bt.new_plants(5, "Blue Dream", veg, training=True)
    assert len(trial.barcode_ids) == 5
    check = bt.sync_check()
    assert check.summary["plant"] == 0
    assert bt.sync("plant", 0) == []


def test_sync_by_transaction_id(bt: HttpBioTrackClient) -> None:
    veg, dry = rooms(bt)
    made = bt.new_plants(2, "Blue Dream", veg)
    moved = bt.move_plants([made.barcode_ids[0]], dry)
    check = bt.sync_check()
    assert check.transactionid == moved.transaction_id
    assert check.summary == {"plant": 2, "inventory": 0, "plant_room": 2, "manifest": 0, "sale": 0}
    since_move = bt.sync("plant", moved.transaction_id)
    assert [p["id"] for p in since_move] == [made.barcode_ids[0]]
    before = bt.sync("plant", 0, made.transaction_id)
    assert [p["id"] for p in before] == [made.barcode_ids[1]]


def test_envelope_errors(biotrack: BioTrackSimulator, bt: HttpBioTrackClient) -> None:
    session = bt.login()
    url = f"{biotrack.url}/serverjson.asp"
    old = httpx.post(url, json={"API": "3.0", "action": "sync_check", "sessionid": session})
    unknown = httpx.post(url, json={"API": "4.0", "action": "plant_teleport", "sessionid": session})
    nobody = httpx.post(url, json={"API": "4.0", "action": "sync_check", "sessionid": "x"})
    assert old.json()["errorcode"] == 9
    assert unknown.json() == {
        "success": 0,
        "error": "unknown action 'plant_teleport'",
        "errorcode": 8,
    }
    assert nobody.json()["errorcode"] == 3
    assert httpx.get(url).status_code == 404


def test_a_partial_harvest_collects_more_wet_weight(bt: HttpBioTrackClient) -> None:
    veg, dry = rooms(bt)
    plant = bt.new_plants(1, "Blue Dream", veg).barcode_ids[0]
    bt.harvest_plant(
        plant,
        [WeightNode(amount=Decimal("300"), invtype=6, uom="g")],
        collect_additional=True,
    )
    growing = {p["id"]: p for p in bt.sync("plant", 0)}[plant]
    assert (growing["state"], growing["wet_weight"]) == ("growing", Decimal("300"))
    bt.harvest_plant(plant, [WeightNode(amount=Decimal("1"), invtype=6, uom="lb")], new_room=dry)
    drying = {p["id"]: p for p in bt.sync("plant", 0)}[plant]
    assert (drying["state"], drying["room"]) == ("drying", dry)
    assert drying["wet_weight"] == Decimal("753.59237")
