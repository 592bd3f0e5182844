"""Cultivation, tag and harvest rules as pure functions: each passes a valid event and rejects
an invalid one with its ID, its citation and a message a floor worker can act on."""

from decimal import Decimal
from typing import Any

from server.compliance.rules.state import BatchState, HarvestBatchState, LocationState, TagState
from tests.rules.memstate import MemoryState, check, event, plant_uid, rejected
from tests.server.floor import harvested

U1, U2, U3 = plant_uid(1), plant_uid(2), plant_uid(3)


def _batch(batch_id: str = "B-17", count: int = 20, location: str = "Veg Room 1") -> dict[str, Any]:
    return {
        "kind": "plant_batch.created",
        "batch_id": batch_id,
        "origin": "clone",
        "count": count,
        "strain": "Blue Dream",
        "location": location,
    }


def _tagged(uids: list[str], batch_id: str = "B-17") -> dict[str, Any]:
    return {"kind": "plants.tagged", "batch_id": batch_id, "uids": uids}


def _phase(
    uids: list[str], phase: str = "flowering", location: str | None = None
) -> dict[str, Any]:
    return {"kind": "plants.phase_changed", "uids": uids, "phase": phase, "location": location}


def _harvest(uid: str, grams: str = "500", stable: bool = True, hb: str = "HB-1") -> dict[str, Any]:
    return harvested(uid, grams, hb, stable)


def _with_batch(untagged: int = 20) -> MemoryState:
    state = MemoryState()
    state.batches["B-17"] = BatchState("B-17", "Blue Dream", untagged, 0)
    return state


def test_batch_max_100() -> None:
    state = MemoryState()
    assert check("BATCH-MAX-100", state, event(_batch(count=100))) == []
    rejected(
        check("BATCH-MAX-100", state, event(_batch(count=101))),
        "BATCH-MAX-100",
        "Batch B-17 would hold 101 plants; a batch may hold at most 100",
    )


def test_batch_id_unique() -> None:
    state = _with_batch()
    assert check("BATCH-ID-UNIQUE", state, event(_batch("B-18"))) == []
    rejected(
        check("BATCH-ID-UNIQUE", state, event(_batch("B-17"))),
        "BATCH-ID-UNIQUE",
        "Batch B-17 already exists",
    )


def test_tag_provisioned_for_plants_packages_and_retirement() -> None:
    state = _with_batch()
    state.add_tags(U1)
    state.add_tags(plant_uid(9), tag_type="package")
    assert check("TAG-PROVISIONED", state, event(_tagged([U1]))) == []
    rejected(
        check("TAG-PROVISIONED", state, event(_tagged([U2, plant_uid(9)]))),
        "TAG-PROVISIONED",
        f"UID {U2} was never received by this licensee",
        f"UID {plant_uid(9)} is a package tag; a plant needs a plant tag",
    )
    package = {
        "kind": "package.created",
        "uid": U1,
        "category": "flower",
        "strain": "Blue Dream",
        "sources": [{"harvest_batch": "HB-1", "weight": {"value": "10", "unit": "g"}}],
        "quantity": {"weight": {"value": "10", "unit": "g"}},
    }
    rejected(
        check("TAG-PROVISIONED", state, event(package)),
        "TAG-PROVISIONED",
        f"UID {U1} is a plant tag; a package needs a package tag",
    )
    rejected(
        check("TAG-PROVISIONED", state, event({"kind": "tag.retired", "uid": U3, "reason": "x"})),
        "TAG-PROVISIONED",
        f"UID {U3} was never received",
    )


def test_tag_one_item() -> None:
    state = _with_batch()
    state.add_tags(U1)
    state.add_plants(U2)
    state.tag_rows[U3] = TagState(U3, "plant", "retired", None, None)
    assert check("TAG-ONE-ITEM", state, event(_tagged([U1]))) == []
    rejected(
        check("TAG-ONE-ITEM", state, event(_tagged([U2, U3]))),
        "TAG-ONE-ITEM",
        f"UID {U2} is already on plant {U2}",
        f"UID {U3} was retired; a retired UID is never used again",
    )


def test_tag_one_item_names_a_long_redelivery_in_one_line() -> None:
    state = MemoryState()
    state.add_tags(*[plant_uid(n) for n in range(1, 21)])
    roll = {"kind": "tags.received", "tag_type": "plant", "first": U1, "last": plant_uid(30)}
    (violation,) = check("TAG-ONE-ITEM", state, event(roll))
    rejected([violation], "TAG-ONE-ITEM", f"UIDs {U1}, {U2}", "and 15 more: already received")
    fresh = {
        "kind": "tags.received",
        "tag_type": "plant",
        "first": plant_uid(21),
        "last": plant_uid(30),
    }
    assert check("TAG-ONE-ITEM", state, event(fresh)) == []


def test_plant_tagged_to_flower_keeps_untagged_plants_out_of_the_canopy() -> None:
    state = MemoryState()
    state.locations["Flower 1"] = LocationState("Flower 1", "canopy")
    state.locations["Veg Room 1"] = LocationState("Veg Room 1", "room")
    assert check("PLANT-TAGGED-TO-FLOWER", state, event(_batch(location="Veg Room 1"))) == []
    rejected(
        check("PLANT-TAGGED-TO-FLOWER", state, event(_batch(location="Flower 1"))),
        "PLANT-TAGGED-TO-FLOWER",
        "untagged plants in canopy area Flower 1",
    )


def test_plant_tagged_to_flower_needs_the_plant_to_carry_its_uid() -> None:
    state = MemoryState()
    state.locations["Flower 1"] = LocationState("Flower 1", "canopy")
    state.add_plants(U1, U2)
    assert check("PLANT-TAGGED-TO-FLOWER", state, event(_phase([U1, U2]))) == []
    state.tag_rows[U2] = TagState(U2, "plant", "retired", "plant", U2)  # tag came off
    rejected(
        check("PLANT-TAGGED-TO-FLOWER", state, event(_phase([U1, U2]))),
        "PLANT-TAGGED-TO-FLOWER",
        f"Plant {U2} no longer carries its own UID; it may not flower untagged",
    )
    moved = {"kind": "plants.moved", "uids": [U2], "location": "Flower 1"}
    rejected(
        check("PLANT-TAGGED-TO-FLOWER", state, event(moved)),
        "PLANT-TAGGED-TO-FLOWER",
        "may not enter canopy area Flower 1 untagged",
    )
    to_room = {"kind": "plants.moved", "uids": [U2], "location": "Veg Room 2"}
    assert check("PLANT-TAGGED-TO-FLOWER", state, event(to_room)) == []


def test_tag_stays_on_plant() -> None:
    state = MemoryState()
    state.add_plants(U1)
    state.add_plants(U2, phase="harvested")
    retire = {"kind": "tag.retired", "reason": "Plant harvested"}
    assert check("TAG-STAYS-ON-PLANT", state, event({**retire, "uid": U2})) == []
    rejected(
        check("TAG-STAYS-ON-PLANT", state, event({**retire, "uid": U1})),
        "TAG-STAYS-ON-PLANT",
        f"UID {U1} is on plant that is still vegetative",
    )


def test_entry_from_origin() -> None:
    state = _with_batch(untagged=2)
    state.add_tags(U1, U2, U3)
    assert check("ENTRY-FROM-ORIGIN", state, event(_tagged([U1, U2]))) == []
    rejected(
        check("ENTRY-FROM-ORIGIN", state, event(_tagged([U1, U2, U3]))),
        "ENTRY-FROM-ORIGIN",
        "Batch B-17 has 2 untagged plants left; cannot tag 3",
    )
    rejected(
        check("ENTRY-FROM-ORIGIN", state, event(_phase([U1]))),
        "ENTRY-FROM-ORIGIN",
        f"No plant carries UID {U1}",
    )


def test_phase_order() -> None:
    state = MemoryState()
    state.add_plants(U1)
    state.add_plants(U2, phase="harvested")
    assert check("PHASE-ORDER", state, event(_phase([U1]))) == []
    rejected(
        check("PHASE-ORDER", state, event(_phase([U1], phase="vegetative"))),
        "PHASE-ORDER",
        f"Plant {U1} is vegetative; it cannot go back or stay at vegetative",
    )
    rejected(
        check("PHASE-ORDER", state, event(_harvest(U2))),
        "PHASE-ORDER",
        f"Plant {U2} was already harvested",
    )


def test_harvest_wet_weight() -> None:
    state = MemoryState()
    assert check("HARVEST-WET-WEIGHT", state, event(_harvest(U1))) == []
    rejected(
        check("HARVEST-WET-WEIGHT", state, event(_harvest(U1, "0", stable=False))),
        "HARVEST-WET-WEIGHT",
        "a wet weight of 0 g is not a harvest",
        "the scale reading was not stable",
    )


def test_harvest_batch_name() -> None:
    state = MemoryState()
    state.add_plants(U1, phase="flowering")
    state.harvest_rows["HB-1"] = HarvestBatchState("HB-1", "OG Kush", 2, Decimal(900), None, None)
    assert check("HARVEST-BATCH-NAME", state, event(_harvest(U1, hb="HB-2"))) == []
    rejected(
        check("HARVEST-BATCH-NAME", state, event(_harvest(U1, hb="HB-1"))),
        "HARVEST-BATCH-NAME",
        "Harvest batch HB-1 holds OG Kush; plant",
    )
