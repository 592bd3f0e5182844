"""The connector's BioTrack actions after the harvest (CT): the cure of a harvest, packages,
manifests and sales (docs/sync.md, Mapping). Nonces and ``nonce_replay`` make them exactly
once like every BioTrack write (:mod:`server.statesync.biotrack_calls`).

What BioTrack calls our objects, in ``sync_objects``:

- ``harvest`` (our harvest batch name): ``plants`` ``[[uid, plant id, wet grams], ...]``
  learnt from each ``plant_harvest``, and ``lots`` ``[[lot id, grams left], ...]``: the flower
  lots each ``plant_cure`` made, less what packages took;
- ``package`` (our package UID): the inventory item ``inventory_convert`` made;
- ``manifest`` (our manifest id): BioTrack's manifest id.

``cure_harvest`` is ours and makes no call: reached in the queue, it adds one ``plant_cure``
per plant of the harvest to its event (:func:`server.statesync.queue.insert_calls`), each
with the harvest's dry weight shared by the plants' wet weights (exact to 0.0001 g, the last
plant taking the remainder, so the shares add up to the weight we recorded).
"""

from decimal import Decimal
from typing import Any

from server.statesync.biotrack_client import (
    ActionResult,
    BioTrackApi,
    InventoryTake,
    ManifestStop,
    SaleLine,
    WeightNode,
)
from server.statesync.calls import Answer, Reader, Unresolvable, resolve
from server.statesync.mapping import Planned
from server.statesync.queue import CallRow, Objects, insert_calls

__all__ = ["COMMERCE_ACTIONS", "COMMERCE_READERS", "shares"]

COMMERCE_READERS: dict[str, Reader] = {
    "package": ("package", lambda state_id, _data: state_id),
}
STEP = Decimal("0.0001")


def shares(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``total`` shared in proportion to ``weights`` (to 0.0001), adding up to ``total``."""
    whole = sum(weights, Decimal(0))
    if whole <= 0:
        raise Unresolvable("the harvest's plants have no wet weight at BioTrack to share by")
    parts = [(total * w / whole).quantize(STEP) for w in weights[:-1]]
    return [*parts, total - sum(parts, Decimal(0))]


def _harvest(objects: Objects, name: str) -> tuple[str, dict[str, Any]]:
    found = objects.get("harvest", name)
    if found is None or not found[1].get("plants"):
        raise Unresolvable(f"BioTrack has none of harvest batch {name}'s plants harvested")
    return found


# -- the cure ----------------------------------------------------------------------------------


def known_cure(objects: Objects, call: CallRow) -> Answer:
    """Add the harvest's ``plant_cure`` calls to the event; done without a call."""
    name = call.plan["harvest_batch"]
    _, data = _harvest(objects, name)
    plants = data["plants"]
    dry = shares(Decimal(call.plan["dry_grams"]), [Decimal(p[2]) for p in plants])
    planned = [
        Planned(
            "plant_cure",
            {
                "barcodeid": plant_id,
                "uid": uid,
                "harvest_batch": name,
                "weights": [{"amount": format(grams, "f"), "invtype": 6, "uom": "g"}],
            },
        )
        for (uid, plant_id, _wet), grams in zip(plants, dry, strict=True)
    ]
    insert_calls(objects.conn, call, planned, objects.now)
    return Answer([], "", "known")


def send_cure(api: BioTrackApi, req: dict[str, Any], nonce: str) -> ActionResult:
    weights = [WeightNode.model_validate(w) for w in req["weights"]]
    return api.cure_plant(req["barcodeid"], weights, nonce=nonce)


def learn_cure(objects: Objects, call: CallRow, req: dict[str, Any], a: Answer) -> None:
    state_id, data = _harvest(objects, req["harvest_batch"])
    lot = a.ids[0]  # barcode_id first: the flower lot; derivatives after
    lots = [*data.get("lots", []), [lot, req["weights"][0]["amount"]]]
    objects.put("harvest", req["harvest_batch"], state_id, data | {"lots": lots})


# -- packages ----------------------------------------------------------------------------------


def package_request(objects: Objects, call: CallRow) -> dict[str, Any]:
    """Which lots each source's grams come from: the harvest's lots in the order they were
    cured, each as far as it goes."""
    takes: list[dict[str, str]] = []
    for source in call.plan["sources"]:
        _, data = _harvest(objects, source["harvest_batch"])
        wanted = Decimal(source["grams"])
        lots = [(lot, Decimal(left)) for lot, left in data.get("lots", [])]
        have = sum((left for _lot, left in lots), Decimal(0))
        if have < wanted:
            raise Unresolvable(
                f"BioTrack holds {have} g of cured flower of harvest batch "
                f"{source['harvest_batch']}; the package takes {wanted} g (is its dry weight "
                "filed?)"
            )
        for lot, left in lots:
            if wanted <= 0:
                break
            take = min(left, wanted)
            if take > 0:
                takes.append(
                    {
                        "barcodeid": lot,
                        "grams": format(take, "f"),
                        "harvest": source["harvest_batch"],
                    }
                )
                wanted -= take
    return {k: v for k, v in call.plan.items() if k not in ("sources", "wait_s")} | {"takes": takes}


def send_package(api: BioTrackApi, req: dict[str, Any], nonce: str) -> ActionResult:
    takes = [
        InventoryTake(barcodeid=t["barcodeid"], grams=Decimal(t["grams"])) for t in req["takes"]
    ]
    return api.convert_inventory(
        takes, req["product"], Decimal(req["grams"]), units=req.get("units"), nonce=nonce
    )


def learn_package(objects: Objects, call: CallRow, req: dict[str, Any], a: Answer) -> None:
    for take in req["takes"]:
        state_id, data = _harvest(objects, take["harvest"])
        lots = [
            [lot, format(Decimal(left) - Decimal(take["grams"]), "f")]
            if lot == take["barcodeid"]
            else [lot, left]
            for lot, left in data.get("lots", [])
        ]
        objects.put("harvest", take["harvest"], state_id, data | {"lots": lots})
    objects.put("package", req["uid"], a.ids[0])


# -- manifests and sales -----------------------------------------------------------------------


def resolved(objects: Objects, call: CallRow) -> dict[str, Any]:
    args = {k: v for k, v in call.plan.items() if k != "wait_s"}
    out: dict[str, Any] = resolve(args, objects, COMMERCE_READERS)
    return out


def send_manifest(api: BioTrackApi, req: dict[str, Any], nonce: str) -> ActionResult:
    stop = ManifestStop.model_validate(req["stop"])
    return api.manifest(req["recipient"], stop, req["items"], nonce=nonce)


def learn_manifest(objects: Objects, call: CallRow, req: dict[str, Any], a: Answer) -> None:
    objects.put("manifest", req["manifest"], a.ids[0])


def send_sale(api: BioTrackApi, req: dict[str, Any], nonce: str) -> ActionResult:
    lines = [SaleLine.model_validate(line) for line in req["lines"]]
    return api.dispense(lines, req["sale_time"], external_id=req["external_id"], nonce=nonce)


def learn_nothing(_o: Objects, _c: CallRow, _r: dict[str, Any], _a: Answer) -> None:
    return None


# (send, learn, request, known) for biotrack_calls.BioTrackAction
COMMERCE_ACTIONS: dict[str, tuple[Any, Any, Any, Any]] = {
    "cure_harvest": (None, learn_nothing, lambda _o, _c: {}, known_cure),
    "plant_cure": (send_cure, learn_cure, resolved, None),
    "package": (send_package, learn_package, package_request, None),
    "manifest": (send_manifest, learn_manifest, resolved, None),
    "sale": (send_sale, learn_nothing, resolved, None),
}
