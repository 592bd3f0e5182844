"""The UID tag ledger: provisioned tags only, one item per tag for life."""

from collections.abc import Iterator

from schemas.events import EventEnvelope, PlantsTagged, TagRetired, TagsReceived
from server.rules.base import rule
from server.rules.state import StateView


@rule(
    "TAG-PROVISIONED",
    citation="OR UID Tags (1)(a); CA 8403(a)(1),(a)(3)",
    summary="Only UIDs issued to this licensee, whose receipt is documented, may be used.",
    kinds=["plants.tagged", "tag.retired"],
)
def tag_provisioned(state: StateView, event: EventEnvelope) -> Iterator[str]:
    p = event.payload
    uids = p.uids if isinstance(p, PlantsTagged) else [p.uid] if isinstance(p, TagRetired) else []
    for uid in uids:
        tag = state.tag(uid)
        if tag is None:
            yield f"UID {uid} was never received by this licensee; record the tag delivery first"
        elif isinstance(p, PlantsTagged) and tag.tag_type != "plant":
            yield f"UID {uid} is a {tag.tag_type} tag; a plant needs a plant tag"


@rule(
    "TAG-ONE-ITEM",
    citation="CA 8403(b)(4),(e)",
    summary="A UID is assigned to one item for life; a retired UID is never used again.",
    kinds=["plants.tagged", "tags.received", "tag.retired"],
)
def tag_one_item(state: StateView, event: EventEnvelope) -> Iterator[str]:
    p = event.payload
    if isinstance(p, TagsReceived):
        for uid in p.expand():
            if state.tag(uid) is not None:
                yield f"UID {uid} was already received; a UID is delivered once"
    elif isinstance(p, PlantsTagged):
        for uid in p.uids:
            tag = state.tag(uid)
            if tag is not None and tag.status == "assigned":
                yield f"UID {uid} is already on {tag.item_type} {tag.item_id}"
            elif tag is not None and tag.status == "retired":
                yield f"UID {uid} was retired; a retired UID is never used again"
    elif isinstance(p, TagRetired):
        tag = state.tag(p.uid)
        if tag is not None and tag.status == "retired":
            yield f"UID {p.uid} is already retired"


@rule(
    "TAG-STAYS-ON-PLANT",
    citation="CA 8403(b)(4)",
    summary="A plant's UID stays on it until the plant is harvested, destroyed or disposed.",
    kinds=["tag.retired"],
)
def tag_stays_on_plant(state: StateView, event: EventEnvelope) -> Iterator[str]:
    p = event.payload
    assert isinstance(p, TagRetired)
    tag = state.tag(p.uid)
    if tag is None or tag.item_type != "plant" or tag.item_id is None:
        return
    plant = state.plant(tag.item_id)
    if plant is not None and plant.phase not in ("harvested", "destroyed"):
        yield f"UID {p.uid} is on plant that is still {plant.phase}; harvest or destroy it first"
