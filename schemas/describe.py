"""One line of plain English for an event: what the station's display, the console's feed and
audit trail, and the logs show ("Harvested 1A4F...0001 into HB-7, 512.4 g wet").

Works on the JSON form of a payload (``payload.model_dump(mode="json")`` or a stored body),
not on the pydantic models, so a row of any kind, or of a schema version this code does not
know, still gets a line: an unknown kind, or a shape missing a field, falls back to the kind's
name. Never raises.

``brief=True`` is for the station's small screen: a tag UID is shown as its last six
characters ("…000001"), which is what a worker reads off the printed tag; the console shows
UIDs whole, as a compliance manager searches for them.
"""

import json
from collections.abc import Callable
from typing import Any

Payload = dict[str, Any]


class _Words:
    """How to write the parts of a line for one audience."""

    def __init__(self, brief: bool) -> None:
        self.brief = brief

    def uid(self, uid: object) -> str:
        text = str(uid)
        return f"…{text[-6:]}" if self.brief and len(text) > 6 else text

    def uids(self, uids: list[str]) -> str:
        if len(uids) <= 2:
            return ", ".join(self.uid(u) for u in uids)
        return f"{len(uids)} plants ({self.uid(uids[0])}, ...)"

    @staticmethod
    def weight(weight: Payload | None) -> str:
        if weight is None:
            return "?"
        return f"{weight.get('value')} {weight.get('unit')}"

    def quantity(self, q: Payload | None) -> str:
        if q is None:
            return "?"
        if q.get("weight") is not None:
            return self.weight(q["weight"])
        return f"{q.get('count')} units"


def _destroyed(p: Payload, w: _Words) -> str:
    what = w.uid(p["uid"]) if p.get("uid") else f"{p.get('count')} plants of {p.get('batch_id')}"
    return f"Destroyed {what}, {w.weight(p.get('waste_weight'))} waste ({p.get('reason')})"


def _received(p: Payload, w: _Words) -> str:
    if p.get("first"):
        return f"Received {p['tag_type']} tags {w.uid(p['first'])} to {w.uid(p['last'])}"
    return f"Received {p['tag_type']} tags ({len(p['uids'])})"


_LINES: dict[str, Callable[[Payload, _Words], str]] = {
    "plant_batch.created": lambda p, w: (
        f"Started batch {p['batch_id']}: {p['count']} {p['strain']} "
        f"({str(p['origin']).replace('_', ' ')}) in {p['location']}"
    ),
    "plant_batch.germinated": lambda p, w: (
        f"{p['count']} seeds or cultures of batch {p['batch_id']} became plants"
    ),
    "plants.tagged": lambda p, w: f"Tagged {w.uids(p['uids'])} of batch {p['batch_id']}",
    "plants.phase_changed": lambda p, w: (
        f"Moved {w.uids(p['uids'])} to {p['phase']}"
        + (f" in {p['location']}" if p.get("location") else "")
    ),
    "plants.moved": lambda p, w: f"Moved {w.uids(p['uids'])} to {p['location']}",
    "plant.harvested": lambda p, w: (
        f"Harvested {w.uid(p['uid'])} into {p['harvest_batch']}, "
        f"{w.weight(p.get('wet_weight'))} wet"
    ),
    "harvest_batch.weighed": lambda p, w: (
        f"Weighed harvest batch {p['harvest_batch']}: "
        f"{w.weight(p.get('weight'))} {p['weight_type']}"
    ),
    "plant.destroyed": _destroyed,
    "waste.recorded": lambda p, w: (
        f"Waste {w.weight(p.get('weight'))} in {p['location']} ({p['reason']})"
    ),
    "tags.received": _received,
    "tag.retired": lambda p, w: f"Retired tag {w.uid(p['uid'])} ({p['reason']})",
    "package.created": lambda p, w: (
        f"Packaged {w.uid(p['uid'])}: {p['category']} {p['strain']}, "
        f"{w.quantity(p.get('quantity'))}"
    ),
    "transfer.manifested": lambda p, w: (
        f"Manifest {p['manifest_id']} to {p['purchaser']['name']}, {len(p['items'])} items"
    ),
    "transfer.departed": lambda p, w: f"Transfer {p['manifest_id']} departed",
    "transfer.arrived": lambda p, w: f"Transfer {p['manifest_id']} arrived",
    "transfer.received": lambda p, w: (
        f"Transfer {p['manifest_id']} received: {len(p.get('accepted', []))} accepted, "
        f"{len(p.get('rejected', []))} rejected"
    ),
    "invoice.acknowledged": lambda p, w: (
        f"Invoice {p['manifest_id']} signed by {p['signed_by']} for the purchaser: "
        f"{len(p.get('accepted', []))} received, {len(p.get('rejected', []))} rejected"
    ),
    "sale.recorded": lambda p, w: (
        f"Sold {w.uid(p['package_uid'])}, {w.quantity(p.get('quantity'))}"
    ),
    "licence.updated": lambda p, w: "Licence details updated",
    "inventory.closed_out": lambda p, w: "Inventory closed out",
    "location.added": lambda p, w: f"Added {p['location_kind']} {p['name']}",
    "user.registered": lambda p, w: f"Registered user {p['user_id']} ({p['role']})",
    "user.trained": lambda p, w: f"Trained {p['user_id']}: {p['description']}",
    "training.registered": lambda p, w: f"{p['user_id']} registered for {p['course']}",
    "user.cancelled": lambda p, w: f"Cancelled user {p['user_id']} ({p['reason']})",
    "tags.ordered": lambda p, w: f"Ordered {p['quantity']} {p['tag_type']} tags",
    "access.lost": lambda p, w: f"Access lost: {p['cause']}",
    "access.restored": lambda p, w: f"Access restored ({p['backlog']} events to enter)",
    "record.flagged": lambda p, w: f"Flagged event {p['event_id']}: {p['problem']}",
    "diversion.discovered": lambda p, w: f"Discovered {p['category']}: {p['description']}",
    "diversion.reported": lambda p, w: f"Reported to the department ({p['department_reference']})",
    "reconciliation.recorded": lambda p, w: f"Reconciled inventory for {p['business_date']}",
    "inventory.audited": lambda p, w: (
        f"Physical audit {p['audit_id']} by {p['audited_by']}: {len(p['lines'])} items"
        + (f" (part {p['part']} of {p['parts']})" if p.get("parts", 1) > 1 else "")
    ),
}


def describe_payload(payload: Payload, *, brief: bool = False) -> str:
    """The line for one payload (its JSON form); ``brief``: for the station's screen."""
    kind = str(payload.get("kind", "?"))
    if kind == "record.corrected":
        inner = describe_payload(payload.get("replacement") or {}, brief=brief)
        return f"Correction of {payload.get('corrects')}: {inner} ({payload.get('reason')})"
    line = _LINES.get(kind)
    if line is None:
        return kind
    try:
        return line(payload, _Words(brief))
    except (KeyError, TypeError):  # an older or newer shape than this code knows
        return kind


def describe_stored(body: str | bytes) -> str:
    """The line for a stored envelope (its JSON text, as the server's event log keeps it)."""
    try:
        envelope = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return "unreadable event"
    payload = envelope.get("payload") if isinstance(envelope, dict) else None
    return describe_payload(payload) if isinstance(payload, dict) else "unreadable event"
