"""One line, for a person, of what an event records (display, demo, logs)."""

from typing import Any


def _uid(uid: str) -> str:
    return f"…{uid[-6:]}"


def _weight(w: dict[str, Any]) -> str:
    return f"{w['value']} {w['unit']}"


def describe(payload: dict[str, Any]) -> str:
    kind = payload.get("kind", "?")
    if kind == "plant_batch.created":
        return (
            f"Batch {payload['batch_id']}: {payload['count']} {payload['strain']} "
            f"({str(payload['origin']).replace('_', ' ')})"
        )
    if kind == "plants.tagged":
        uids = payload["uids"]
        return f"Tag {', '.join(_uid(u) for u in uids[:3])} → batch {payload['batch_id']}"
    if kind == "plants.phase_changed":
        return f"{len(payload['uids'])} plant(s) → {payload['phase']}"
    if kind == "plants.moved":
        return f"{len(payload['uids'])} plant(s) → {payload['location']}"
    if kind == "plant.harvested":
        return f"Harvest {_uid(payload['uid'])}: {_weight(payload['wet_weight'])}"
    if kind == "harvest_batch.weighed":
        return f"{payload['harvest_batch']}: {payload['weight_type']} {_weight(payload['weight'])}"
    if kind == "plant.destroyed":
        return f"Destroy {_uid(payload['uid'])}: {_weight(payload['waste_weight'])}"
    if kind == "waste.recorded":
        return f"Waste {_weight(payload['weight'])} ({payload['reason']})"
    if kind == "tags.received":
        if payload.get("uids"):
            return f"{len(payload['uids'])} tag(s) received"
        return f"Tags {_uid(payload['first'])}–{_uid(payload['last'])} received"
    if kind == "access.lost":
        return f"Access lost: {payload['cause']}"
    if kind == "access.restored":
        return f"Access restored ({payload['backlog']} recorded meanwhile)"
    return str(kind)
