"""The UID tag ledger: provisioned tags only, of the right type, one item per tag for life."""

from collections.abc import Iterator

from schemas.commerce import PackageCreated
from schemas.events import EventEnvelope, PlantsTagged, TagRetired, TagsReceived
from server.compliance.rules.base import rule, rule_on
from server.compliance.rules.state import StateView
from server.compliance.rules.text import uid_list


def _assigned(event: EventEnvelope) -> tuple[list[str], str] | None:
    """The UIDs an event puts on new items, and the tag type they need."""
    p = event.payload
    if isinstance(p, PlantsTagged):
        return list(p.uids), "plant"
    if isinstance(p, PackageCreated):
        return [p.uid], "package"
    return None


@rule(
    "TAG-PROVISIONED",
    summary="Only UIDs issued to this licensee, whose receipt is documented, may be used.",
    kinds=["plants.tagged", "package.created", "tag.retired"],
)
def tag_provisioned(state: StateView, event: EventEnvelope) -> Iterator[str]:
    p = event.payload
    wanted: str | None = None
    if isinstance(p, TagRetired):
        uids = [p.uid]
    elif (assigned := _assigned(event)) is not None:
        uids, wanted = assigned
    else:
        return
    tags = state.tags(uids)
    for uid in uids:
        tag = tags.get(uid)
        if tag is None:
            yield f"UID {uid} was never received by this licensee; record the tag delivery first"
        elif wanted is not None and tag.tag_type != wanted:
            yield f"UID {uid} is a {tag.tag_type} tag; a {wanted} needs a {wanted} tag"


@rule(
    "TAG-ONE-ITEM",
    summary="A UID is assigned to one item for life; a retired UID is never used again.",
    kinds=["plants.tagged", "package.created", "tags.received", "tag.retired"],
)
def tag_one_item(state: StateView, event: EventEnvelope) -> Iterator[str]:
    p = event.payload
    if isinstance(p, TagsReceived):
        uids = p.expand()
        known = state.tags(uids)
        again = [uid for uid in uids if uid in known]
        if again:
            yield f"{uid_list(again)}: already received; a UID is delivered once"
        return
    if isinstance(p, TagRetired):
        tag = state.tag(p.uid)
        if tag is not None and tag.status == "retired":
            yield f"UID {p.uid} is already retired"
        return
    assigned = _assigned(event)
    if assigned is None:
        return
    tags = state.tags(assigned[0])
    for uid in assigned[0]:
        tag = tags.get(uid)
        if tag is not None and tag.status == "assigned":
            yield f"UID {uid} is already on {tag.item_type} {tag.item_id}"
        elif tag is not None and tag.status == "retired":
            yield f"UID {uid} was retired; a retired UID is never used again"


@rule_on(
    "TAG-STAYS-ON-PLANT",
    summary="A plant's UID stays on it until the plant is harvested, destroyed or disposed.",
)
def tag_stays_on_plant(state: StateView, event: EventEnvelope, p: TagRetired) -> Iterator[str]:
    tag = state.tag(p.uid)
    if tag is None or tag.item_type != "plant" or tag.item_id is None:
        return
    plant = state.plant(tag.item_id)
    if plant is not None and plant.phase not in ("harvested", "destroyed"):
        yield f"UID {p.uid} is on plant that is still {plant.phase}; harvest or destroy it first"
