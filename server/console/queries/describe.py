"""One line of plain English for an event, from its stored JSON body, for the feed and the
audit trail ("Harvested 1A4F...0001 into HB-7, 512.4 g wet").

Works on the JSON, not the pydantic models, so a row of any kind (or of a schema version this
code does not know) still gets a line: an unknown kind falls back to its name.
"""

import json
from collections.abc import Callable
from typing import Any

Payload = dict[str, Any]


def _w(weight: Payload | None) -> str:
    if weight is None:
        return "?"
    return f"{weight.get('value')} {weight.get('unit')}"


def _uids(uids: list[str]) -> str:
    if len(uids) <= 2:
        return ", ".join(uids)
    return f"{len(uids)} plants ({uids[0]}, ...)"


def _qty(q: Payload | None) -> str:
    if q is None:
        return "?"
    if q.get("weight") is not None:
        return _w(q["weight"])
    return f"{q.get('count')} units"


_LINES: dict[str, Callable[[Payload], str]] = {
    "plant_batch.created": lambda p: (
        f"Started batch {p['batch_id']}: {p['count']} {p['strain']} ({p['origin']}) "
        f"in {p['location']}"
    ),
    "plants.tagged": lambda p: f"Tagged {_uids(p['uids'])} of batch {p['batch_id']}",
    "plants.phase_changed": lambda p: (
        f"Moved {_uids(p['uids'])} to {p['phase']}"
        + (f" in {p['location']}" if p.get("location") else "")
    ),
    "plants.moved": lambda p: f"Moved {_uids(p['uids'])} to {p['location']}",
    "plant.harvested": lambda p: (
        f"Harvested {p['uid']} into {p['harvest_batch']}, {_w(p.get('wet_weight'))} wet"
    ),
    "harvest_batch.weighed": lambda p: (
        f"Weighed harvest batch {p['harvest_batch']}: {_w(p.get('weight'))} {p['weight_type']}"
    ),
    "plant.destroyed": lambda p: (
        f"Destroyed {p.get('uid') or str(p.get('count')) + ' plants of ' + str(p.get('batch_id'))}"
        f", {_w(p.get('waste_weight'))} waste ({p.get('reason')})"
    ),
    "waste.recorded": lambda p: f"Waste {_w(p.get('weight'))} in {p['location']} ({p['reason']})",
    "tags.received": lambda p: (
        f"Received {p['tag_type']} tags "
        + (f"{p['first']} to {p['last']}" if p.get("first") else f"({len(p['uids'])})")
    ),
    "tag.retired": lambda p: f"Retired tag {p['uid']} ({p['reason']})",
    "package.created": lambda p: (
        f"Packaged {p['uid']}: {p['category']} {p['strain']}, {_qty(p.get('quantity'))}"
    ),
    "transfer.manifested": lambda p: (
        f"Manifest {p['manifest_id']} to {p['purchaser']['name']}, {len(p['items'])} items"
    ),
    "transfer.departed": lambda p: f"Transfer {p['manifest_id']} departed",
    "transfer.arrived": lambda p: f"Transfer {p['manifest_id']} arrived",
    "transfer.received": lambda p: (
        f"Transfer {p['manifest_id']} received: {len(p.get('accepted', []))} accepted, "
        f"{len(p.get('rejected', []))} rejected"
    ),
    "invoice.acknowledged": lambda p: (
        f"Invoice {p['manifest_id']} signed by {p['signed_by']} for the purchaser: "
        f"{len(p.get('accepted', []))} received, {len(p.get('rejected', []))} rejected"
    ),
    "sale.recorded": lambda p: f"Sold {p['package_uid']}, {_qty(p.get('quantity'))}",
    "licence.updated": lambda p: "Licence details updated",
    "inventory.closed_out": lambda p: "Inventory closed out",
    "location.added": lambda p: f"Added {p['location_kind']} {p['name']}",
    "user.registered": lambda p: f"Registered user {p['user_id']} ({p['role']})",
    "user.trained": lambda p: f"Trained {p['user_id']}: {p['description']}",
    "training.registered": lambda p: f"{p['user_id']} registered for {p['course']}",
    "user.cancelled": lambda p: f"Cancelled user {p['user_id']} ({p['reason']})",
    "tags.ordered": lambda p: f"Ordered {p['quantity']} {p['tag_type']} tags",
    "access.lost": lambda p: f"Access lost: {p['cause']}",
    "access.restored": lambda p: f"Access restored ({p['backlog']} events to enter)",
    "record.flagged": lambda p: f"Flagged event {p['event_id']}: {p['problem']}",
    "diversion.discovered": lambda p: f"Discovered {p['category']}: {p['description']}",
    "diversion.reported": lambda p: f"Reported to the department ({p['department_reference']})",
    "reconciliation.recorded": lambda p: f"Reconciled inventory for {p['business_date']}",
}


def describe_payload(payload: Payload) -> str:
    kind = str(payload.get("kind", "?"))
    if kind == "record.corrected":
        inner = describe_payload(payload.get("replacement") or {})
        return f"Correction of {payload.get('corrects')}: {inner} ({payload.get('reason')})"
    line = _LINES.get(kind)
    if line is None:
        return kind
    try:
        return line(payload)
    except (KeyError, TypeError):  # an older or newer shape than this code knows
        return kind


def describe(body: str) -> str:
    """The line for a stored envelope (``event_log.body``)."""
    try:
        envelope = json.loads(body)
    except json.JSONDecodeError:
        return "unreadable event"
    payload = envelope.get("payload") if isinstance(envelope, dict) else None
    return describe_payload(payload) if isinstance(payload, dict) else "unreadable event"
