"""A cultivation story through every event kind the mapping files, and what the state should
hold afterwards; shared by the Metrc and BioTrack end-to-end and chaos tests."""

from typing import Any

from tests.server.floor import batch_created, flowering, harvested, tagged, tags_received, uid


def grams(value: str) -> dict[str, str]:
    return {"value": value, "unit": "g"}


def destroyed_plant(plant: str, waste: str = "120") -> dict[str, Any]:
    return {
        "kind": "plant.destroyed",
        "uid": plant,
        "waste_weight": grams(waste),
        "method": "compost",
        "reason": "male plant",
    }


def destroyed_untagged(batch: str, count: int) -> dict[str, Any]:
    return {
        "kind": "plant.destroyed",
        "batch_id": batch,
        "count": count,
        "waste_weight": grams("15"),
        "method": "grind_and_mix",
        "reason": "culled seedlings",
    }


def moved(uids: list[str], location: str) -> dict[str, Any]:
    return {"kind": "plants.moved", "uids": uids, "location": location}


def waste(location: str, weight: str, harvest_batch: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "kind": "waste.recorded",
        "location": location,
        "weight": grams(weight),
        "method": "compost",
        "reason": "trim",
    }
    if harvest_batch is not None:
        payload["harvest_batch"] = harvest_batch
    return payload


def story(batch: str, first: int, *, harvest_batch: str) -> list[dict[str, Any]]:
    """Batch of 10, tag 4 (UIDs first..first+3), flower them, move one, harvest two, destroy
    one tagged and two untagged, waste from the harvest and from a room."""
    uids = [uid(n) for n in range(first, first + 4)]
    h1 = harvested(uids[0], "812.5", harvest_batch)
    h2 = harvested(uids[1], "790", harvest_batch)
    return [
        batch_created(batch, 10),
        tagged(batch, uids),
        flowering(uids),
        moved([uids[3]], "Flower 2"),
        h1,
        h2,
        destroyed_plant(uids[2]),
        destroyed_untagged(batch, 2),
        waste("Flower 1", "40.5", harvest_batch),
        waste("Flower 2", "7.25"),
    ]


def receive_tags(last: int) -> dict[str, Any]:
    return tags_received(1, last)
