"""The connector's BioTrack actions (CT): how each planned call is resolved, sent and learnt
from (docs/sync.md, Exactly once).

Every write carries a **nonce**, ``EVENT_ID:CALL_INDEX:N`` (``N``: the call's sends before
the nonce was made), stored in ``sync_calls`` before the request leaves; after an unknown
outcome the connector asks ``nonce_replay`` first
(:meth:`server.statesync.biotrack_client.HttpBioTrackClient.nonce_replay`), so no action needs
a read-back of its own. A new nonce is made only when a person retries a refused call (a used
nonce is refused for good).

Two actions are ours alone and make no call: ``ensure_room`` when the room's id is already
known, and ``pair``, which gives our UIDs the ids ``plant_new`` returned for the batch (BioTrack
plants are individual from birth; we tag them later). Ids wait in ``sync_objects``: a batch's
untagged plant ids (``batch``), a UID's id (``plant``), a room's id (``room``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from server.statesync import corrections
from server.statesync.biotrack_client import ActionResult, BioTrackApi, WeightNode
from server.statesync.biotrack_commerce import COMMERCE_ACTIONS
from server.statesync.calls import Answer, Reader, Unresolvable, by_hand, resolve
from server.statesync.queue import CallRow, Objects

__all__ = ["ACTIONS", "READERS", "BioTrackAction", "answer_of"]

READERS: dict[str, Reader] = {
    "room": ("room", lambda state_id, _data: int(state_id)),
    "plant": ("plant", lambda state_id, _data: state_id),
}


def answer_of(result: ActionResult, how: str = "answer") -> Answer:
    ids = list(result.barcode_ids) + [d.barcode_id for d in result.derivatives]
    if result.room_id is not None:
        ids.append(str(result.room_id))
    ids += [i for i in (result.manifest_id, result.sale_id) if i is not None]
    return Answer(ids, result.raw, how)


@dataclass(frozen=True)
class BioTrackAction:
    """``send(api, request, nonce)``; ``known``: done already, without a call (or None);
    ``local``: an action that never calls BioTrack."""

    send: Callable[[BioTrackApi, dict[str, Any], str], ActionResult] | None
    learn: Callable[[Objects, CallRow, dict[str, Any], Answer], None]
    request: Callable[[Objects, CallRow], dict[str, Any]]
    known: Callable[[Objects, CallRow], Answer | None] = lambda _o, _c: None


def _plain(objects: Objects, call: CallRow) -> dict[str, Any]:
    args = {k: v for k, v in call.plan.items() if k != "wait_s"}
    resolved: dict[str, Any] = resolve(args, objects, READERS)
    return resolved


def _untagged(objects: Objects, batch: str) -> list[str]:
    found = objects.get("batch", batch)
    if found is None:
        raise Unresolvable(f"BioTrack has given us no plants for batch {batch}")
    ids: list[str] = found[1].get("untagged", [])
    return ids


def _take(objects: Objects, batch: str, ids: list[str]) -> None:
    state_id, data = objects.get("batch", batch) or ("", {})
    left = [i for i in data.get("untagged", []) if i not in set(ids)]
    objects.put("batch", batch, state_id, data | {"untagged": left})


# -- rooms and new plants ----------------------------------------------------------------------


def _known_room(objects: Objects, call: CallRow) -> Answer | None:
    found = objects.get("room", call.plan["name"])
    return None if found is None else Answer([found[0]], "", "known")


def _learn_room(objects: Objects, call: CallRow, req: dict[str, Any], a: Answer) -> None:
    objects.put("room", req["name"], a.ids[-1])


def _send_new(api: BioTrackApi, req: dict[str, Any], nonce: str) -> ActionResult:
    return api.new_plants(
        req["quantity"], req["strain"], req["room"], source=req.get("source"), nonce=nonce
    )


def _learn_new(objects: Objects, call: CallRow, req: dict[str, Any], a: Answer) -> None:
    objects.put("batch", req["batch"], "", {"untagged": a.ids, "room": req["room"]})


def _pair_request(objects: Objects, call: CallRow) -> dict[str, Any]:
    uids: list[str] = call.plan["uids"]
    ids = _untagged(objects, call.plan["batch"])
    if len(ids) < len(uids):
        raise Unresolvable(
            f"batch {call.plan['batch']} has {len(ids)} untagged plants at BioTrack; "
            f"{len(uids)} were tagged"
        )
    return {"batch": call.plan["batch"], "pairs": dict(zip(uids, ids, strict=False))}


def _known_pair(objects: Objects, call: CallRow) -> Answer | None:
    req = _pair_request(objects, call)
    _learn_pair(objects, call, req, Answer([], ""))
    return Answer(list(req["pairs"].values()), "", "known")


def _learn_pair(objects: Objects, call: CallRow, req: dict[str, Any], a: Answer) -> None:
    for uid, plant_id in req["pairs"].items():
        objects.put("plant", uid, plant_id)
    _take(objects, req["batch"], list(req["pairs"].values()))


# -- plants ------------------------------------------------------------------------------------


def _send_move(api: BioTrackApi, req: dict[str, Any], nonce: str) -> ActionResult:
    return api.move_plants(req["barcodeid"], req["room"], nonce=nonce)


def _send_harvest(api: BioTrackApi, req: dict[str, Any], nonce: str) -> ActionResult:
    weights = [WeightNode.model_validate(w) for w in req["weights"]]
    return api.harvest_plant(req["barcodeid"], weights, nonce=nonce)


def _learn_harvest(objects: Objects, call: CallRow, req: dict[str, Any], a: Answer) -> None:
    state_id, data = objects.get("harvest", req["harvest_batch"]) or ("", {"plants": []})
    plants = [*data["plants"], [req["uid"], req["barcodeid"], req["wet_grams"]]]
    objects.put("harvest", req["harvest_batch"], state_id, {"plants": plants})


def _schedule_request(objects: Objects, call: CallRow) -> dict[str, Any]:
    req = _plain(objects, call)
    ids = req["barcodeid"]
    if isinstance(ids, dict):  # untagged plants of a batch: the first ``count`` still there
        untagged = _untagged(objects, ids["untagged_of"])
        if len(untagged) < ids["count"]:
            raise Unresolvable(
                f"batch {ids['untagged_of']} has {len(untagged)} untagged plants at BioTrack; "
                f"{ids['count']} were destroyed"
            )
        req["barcodeid"] = untagged[: ids["count"]]
    return req


def _send_schedule(api: BioTrackApi, req: dict[str, Any], nonce: str) -> ActionResult:
    return api.schedule_destroy(req["barcodeid"], req["reason"], nonce=nonce)


def _learn_schedule(objects: Objects, call: CallRow, req: dict[str, Any], a: Answer) -> None:
    if req.get("batch") is not None:
        _take(objects, req["batch"], req["barcodeid"])


def _destroy_request(objects: Objects, call: CallRow) -> dict[str, Any]:
    scheduled = objects.sibling_request(call, call.plan["same_ids_as_call"])
    return {"barcodeid": scheduled["barcodeid"]}


def _send_destroy(api: BioTrackApi, req: dict[str, Any], nonce: str) -> ActionResult:
    return api.destroy_plants(req["barcodeid"], nonce=nonce)


def _send_waste(api: BioTrackApi, req: dict[str, Any], nonce: str) -> ActionResult:
    return api.weigh_waste(Decimal(req["weight"]), req["uom"], nonce=nonce)


def _learn_nothing(_o: Objects, _c: CallRow, _r: dict[str, Any], _a: Answer) -> None:
    return None


ACTIONS: dict[str, BioTrackAction] = {
    "ensure_room": BioTrackAction(
        lambda api, req, nonce: api.add_room(req["name"], nonce=nonce),
        _learn_room,
        _plain,
        known=_known_room,
    ),
    "plant_new": BioTrackAction(_send_new, _learn_new, _plain),
    "pair": BioTrackAction(None, _learn_pair, _pair_request, known=_known_pair),
    "plant_move": BioTrackAction(_send_move, _learn_nothing, _plain),
    "plant_harvest": BioTrackAction(_send_harvest, _learn_harvest, _plain),
    "plant_destroy_schedule": BioTrackAction(_send_schedule, _learn_schedule, _schedule_request),
    "plant_destroy": BioTrackAction(_send_destroy, _learn_nothing, _destroy_request),
    "plant_waste_weigh": BioTrackAction(_send_waste, _learn_nothing, _plain),
}


def _by_hand(_o: Objects, call: CallRow) -> Answer | None:
    raise by_hand(call.plan, "BioTrack")


# A corrected move, when it can go through the API (server.statesync.corrections); else held
# for a person like the next.
ACTIONS["correct_plants"] = BioTrackAction(
    _send_move,
    _learn_nothing,
    _plain,
    known=lambda objects, call: corrections.check(objects, call.plan, "BioTrack"),
)
# Never sent: held for a person (server.statesync.calls.by_hand), settled by a skip.
ACTIONS["correct_by_hand"] = BioTrackAction(None, _learn_nothing, _plain, known=_by_hand)
# After the harvest: the cure, packages, manifests, sales (server.statesync.biotrack_commerce).
for _name, (_send, _learn, _request, _known) in COMMERCE_ACTIONS.items():
    ACTIONS[_name] = (
        BioTrackAction(_send, _learn, _request)
        if _known is None
        else BioTrackAction(_send, _learn, _request, known=_known)
    )
