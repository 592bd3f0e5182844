"""The BioTrack simulator's plant actions: one function per ``action`` that changes state.

Each takes the action's context (:class:`Act`: the store, the session's licence, the
transaction id this call is given, the time) and the request's fields, checks them as BioTrack
does, changes the store and returns the fields of its ``success: 1`` answer. A problem raises
:class:`ActionError` with BioTrack's ``errorcode`` (the table in :data:`ERRORS`) and nothing of
the call is kept (the caller rolls the transaction back).

The plant's life: ``plant_new`` -> growing; ``plant_harvest`` (a wet weight, per plant) ->
drying; ``plant_cure`` (a dry weight) -> cured, with an inventory lot of flower (type 6);
``plant_destroy_schedule`` starts a **72-hour** wait, after which ``plant_destroy`` may be
called; earlier it is refused. Derivatives of a harvest (other material, type 9; waste,
type 27) and ``plant_waste_weigh`` make inventory items with their own 16-digit ids.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from schemas.weights import GRAMS_PER_UNIT, Unit
from server.statesync.simstore import SimObject, SimStore

__all__ = ["ACTIONS", "DESTROY_WAIT", "ERRORS", "Act", "ActionError"]

DESTROY_WAIT = timedelta(hours=72)
FIRST_BARCODE = 6_000_000_000_000_001  # 16 digits, as BioTrack's identifiers
FLOWER, OTHER_MATERIAL, WASTE = 6, 9, 27

# errorcode -> what it means (docs/sync.md lists them)
ERRORS = {
    1: "invalid or missing field",
    2: "log-on refused",
    3: "session expired or invalid",
    4: "no such item",
    5: "not allowed in the item's current state",
    6: "nonce already used",
    7: "unknown nonce",
    8: "unknown action",
    9: "unsupported API version",
}


class ActionError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Act:
    store: SimStore
    licence: str
    tx: int
    now: datetime

    def new_barcode(self) -> str:
        return str(self.store.next_value("barcode", FIRST_BARCODE))

    def unix(self) -> int:
        return int(self.now.timestamp())


def _field(body: dict[str, Any], name: str) -> Any:
    value = body.get(name)
    if value is None or value == "":
        raise ActionError(1, f"{name} is required")
    return value


def _int(body: dict[str, Any], name: str, *, minimum: int = 0) -> int:
    value = _field(body, name)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ActionError(1, f"{name} must be a whole number of at least {minimum}; got {value!r}")
    return value


def _grams(node: dict[str, Any], amount: str = "amount", uom: str = "uom") -> Decimal:
    value = _field(node, amount)
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value < 0:
        raise ActionError(1, f"{amount} must be a number of at least 0; got {value!r}")
    try:
        unit = Unit(_field(node, uom))
    except ValueError as err:
        raise ActionError(1, f"{uom} must be one of g, mg, kg, oz, lb; got {node[uom]!r}") from err
    return Decimal(value) * GRAMS_PER_UNIT[unit]


def _ids(body: dict[str, Any], *, single: bool = False) -> list[str]:
    value = _field(body, "barcodeid")
    ids = [value] if isinstance(value, str) else value
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise ActionError(1, "barcodeid must be one identifier or a list of them")
    if single and len(ids) != 1:
        raise ActionError(1, "barcodeid must name exactly one plant for this action")
    return ids


def _plant(a: Act, barcode: str, *states: str) -> SimObject:
    plant = a.store.find(a.licence, "plant", barcode, active_only=False)
    if plant is None:
        raise ActionError(4, f"plant {barcode} does not exist at licence {a.licence}")
    if states and plant.data["state"] not in states:
        raise ActionError(
            5, f"plant {barcode} is {plant.data['state']}; this needs it {' or '.join(states)}"
        )
    return plant


def _room(a: Act, body: dict[str, Any], name: str) -> int:
    room = _int(body, name, minimum=1)
    if a.store.find(a.licence, "plant_room", str(room)) is None:
        raise ActionError(4, f"room {room} does not exist at licence {a.licence}")
    return room


def _save(a: Act, obj: SimObject, *, active: bool | None = None) -> None:
    obj.data["transactionid"] = a.tx
    a.store.update(obj, a.now, active=active, tx=a.tx)


def _insert(a: Act, kind: str, key: str, data: dict[str, Any]) -> None:
    a.store.insert(a.licence, kind, key, data | {"transactionid": a.tx}, a.now, tx=a.tx)


def _inventory(a: Act, invtype: int, grams: Decimal, strain: str, plant: str | None) -> str:
    barcode = a.new_barcode()
    data = {
        "id": barcode,
        "inventorytype": invtype,
        "strain": strain,
        "quantity": grams,
        "uom": "g",
        "plantid": plant,
        "location": a.licence,
    }
    _insert(a, "inventory", barcode, data)
    return barcode


def plant_room_add(a: Act, body: dict[str, Any]) -> dict[str, Any]:
    name = _field(body, "name")
    room = a.store.next_value(f"room:{a.licence}", 1)
    _insert(a, "plant_room", str(room), {"roomid": room, "name": str(name), "location": a.licence})
    return {"id": room}


def plant_new(a: Act, body: dict[str, Any]) -> dict[str, Any]:
    if str(_field(body, "location")) != a.licence:
        raise ActionError(1, f"location must be this session's licence {a.licence}")
    quantity = _int(body, "quantity", minimum=1)
    strain = str(_field(body, "strain"))
    room = _room(a, body, "room")
    ids = []
    for _ in range(quantity):
        barcode = a.new_barcode()
        data = {
            "id": barcode,
            "strain": strain,
            "room": room,
            "mother": int(bool(body.get("mother"))),
            "source": body.get("source"),
            "state": "growing",
            "wet_weight": Decimal(0),
            "dry_weight": Decimal(0),
            "remove_scheduled": 0,
            "remove_scheduled_time": None,
            "remove_reason": None,
            "birthdate": body.get("birthdate") or a.now.strftime("%Y%m%d"),
        }
        _insert(a, "plant", barcode, data)
        ids.append(barcode)
    return {"barcode_id": ids}


def plant_move(a: Act, body: dict[str, Any]) -> dict[str, Any]:
    room = _room(a, body, "room")
    for barcode in _ids(body):
        plant = _plant(a, barcode, "growing", "drying")
        plant.data["room"] = room
        _save(a, plant)
    return {}


def plant_modify(a: Act, body: dict[str, Any]) -> dict[str, Any]:
    plant = _plant(a, _ids(body, single=True)[0], "growing", "drying")
    if body.get("strain") is not None:
        plant.data["strain"] = str(body["strain"])
    if body.get("room") is not None:
        plant.data["room"] = _room(a, body, "room")
    if body.get("mother") is not None:
        plant.data["mother"] = int(bool(body["mother"]))
    if body.get("birthdate") is not None:
        plant.data["birthdate"] = str(body["birthdate"])
    _save(a, plant)
    return {}


def _weights(body: dict[str, Any]) -> dict[int, Decimal]:
    nodes = _field(body, "weights")
    if not isinstance(nodes, list) or not all(isinstance(n, dict) for n in nodes):
        raise ActionError(1, "weights must be a list of {amount, invtype, uom}")
    found: dict[int, Decimal] = {}
    for node in nodes:
        invtype = _int(node, "invtype")
        if invtype not in (FLOWER, OTHER_MATERIAL, WASTE):
            raise ActionError(1, f"invtype must be 6, 9 or 27; got {invtype}")
        found[invtype] = found.get(invtype, Decimal(0)) + _grams(node)
    if FLOWER not in found:
        raise ActionError(1, "weights must include the flower weight (invtype 6)")
    return found


def _derivatives(a: Act, weights: dict[int, Decimal], plant: SimObject) -> list[dict[str, Any]]:
    made = []
    for invtype in (OTHER_MATERIAL, WASTE):
        if invtype in weights:
            barcode = _inventory(a, invtype, weights[invtype], plant.data["strain"], plant.key)
            made.append({"barcode_id": barcode, "barcode_type": invtype})
    return made


def plant_harvest(a: Act, body: dict[str, Any]) -> dict[str, Any]:
    plant = _plant(a, _ids(body, single=True)[0], "growing")
    if plant.data["remove_scheduled"]:
        raise ActionError(5, f"plant {plant.key} is scheduled for destruction")
    weights = _weights(body)
    plant.data["wet_weight"] += weights[FLOWER]
    if not body.get("collectadditional"):
        plant.data["state"] = "drying"
    if body.get("new_room") is not None:
        plant.data["room"] = _room(a, body, "new_room")
    _save(a, plant)
    return {"derivatives": _derivatives(a, weights, plant)}


def plant_cure(a: Act, body: dict[str, Any]) -> dict[str, Any]:
    plant = _plant(a, _ids(body, single=True)[0], "drying")
    weights = _weights(body)
    plant.data["dry_weight"] += weights[FLOWER]
    if not body.get("collectadditional"):
        plant.data["state"] = "cured"
    _save(a, plant, active=plant.data["state"] != "cured")
    lot = _inventory(a, FLOWER, weights[FLOWER], plant.data["strain"], plant.key)
    return {"barcode_id": [lot], "derivatives": _derivatives(a, weights, plant)}


def plant_waste_weigh(a: Act, body: dict[str, Any]) -> dict[str, Any]:
    if str(_field(body, "location")) != a.licence:
        raise ActionError(1, f"location must be this session's licence {a.licence}")
    grams = _grams(body, "weight", "uom")
    return {"barcode_id": _inventory(a, WASTE, grams, "", None)}


def plant_destroy_schedule(a: Act, body: dict[str, Any]) -> dict[str, Any]:
    reason = str(_field(body, "reason"))
    override = bool(body.get("override"))
    for barcode in _ids(body):
        plant = _plant(a, barcode, "growing", "drying")
        if plant.data["remove_scheduled"]:
            if override:
                continue  # BioTrack's override: skip what is already scheduled
            raise ActionError(5, f"plant {barcode} is already scheduled for destruction")
        plant.data.update(
            {
                "remove_scheduled": 1,
                "remove_scheduled_time": a.unix(),
                "remove_reason": reason,
                "remove_reason_extended": body.get("reason_extended"),
            }
        )
        _save(a, plant)
    return {}


def plant_destroy(a: Act, body: dict[str, Any]) -> dict[str, Any]:
    for barcode in _ids(body):
        plant = _plant(a, barcode, "growing", "drying")
        scheduled = plant.data["remove_scheduled_time"]
        if not plant.data["remove_scheduled"] or scheduled is None:
            raise ActionError(5, f"plant {barcode} has not been scheduled for destruction")
        allowed = datetime.fromtimestamp(scheduled, a.now.tzinfo) + DESTROY_WAIT
        if a.now < allowed:
            raise ActionError(
                5,
                f"plant {barcode} may not be destroyed before {allowed.isoformat()} "
                "(72 hours after it was scheduled)",
            )
        plant.data["state"] = "destroyed"
        plant.data["removed_time"] = a.unix()
        _save(a, plant, active=False)
    return {}


ACTIONS = {
    "plant_room_add": plant_room_add,
    "plant_new": plant_new,
    "plant_move": plant_move,
    "plant_modify": plant_modify,
    "plant_harvest": plant_harvest,
    "plant_cure": plant_cure,
    "plant_waste_weigh": plant_waste_weigh,
    "plant_destroy_schedule": plant_destroy_schedule,
    "plant_destroy": plant_destroy,
}
