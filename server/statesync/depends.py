"""Which of our objects an event concerns, and so which calls must wait behind a refusal
(docs/sync.md, Refusals: what waits). Pure: events in, keys out.

A key is ``KIND:ID``: ``plant:UID``, ``batch:B-1``, ``harvest:HB-1``, ``package:UID``,
``manifest:M-1``, and the **shared** kinds ``location:NAME`` and ``item:NAME`` (a Metrc item,
"Flower - Blue Dream"), which many unrelated events use.

**The rule**: a refused call holds up its own event's later calls and every later call of an
event that concerns one of the refused event's objects; such an event holds up, in turn, the
events after it that concern its objects (in log order). A shared object holds others up only
when it is what was refused (the refused call made sure of that location or item: every use
of it must wait); an event that merely uses a room does not stop the room. Everything else
goes on.

Why: our events are in the order the floor did things, and a later event depends on an earlier
one only through the objects both name (the plants of a refused tagging cannot be moved,
harvested or destroyed at the state; the package of a refused package cannot be manifested or
sold). An event about other objects cannot be refused for the hole, nor leave the state's
record out of order for any object.
"""

from collections.abc import Iterable

from schemas.commerce import PackageCreated, SaleRecorded, TransferManifested
from schemas.events import (
    EventEnvelope,
    HarvestBatchWeighed,
    PlantBatchCreated,
    PlantDestroyed,
    PlantHarvested,
    PlantsMoved,
    PlantsPhaseChanged,
    PlantsTagged,
    RecordCorrected,
    WasteRecorded,
)
from schemas.records import LocationAdded

__all__ = ["SHARED", "Blocked", "concerns"]

SHARED = ("location", "item")
# The calls that make sure of a shared object: refused, every use of that object waits.
ENSURES = {"ensure_location": "location", "ensure_room": "location", "ensure_item": "item"}


def _keys(kind: str, ids: Iterable[str | None]) -> set[str]:
    return {f"{kind}:{i}" for i in ids if i is not None}


def concerns(event: EventEnvelope) -> frozenset[str]:
    """Every object ``event`` names, shared ones included (a correction: what its replacement
    names)."""
    p = event.payload
    if isinstance(p, RecordCorrected):
        return concerns(event.model_copy(update={"payload": p.replacement}))
    found: set[str] = set()
    if isinstance(p, LocationAdded):
        found |= _keys("location", [p.name])
    elif isinstance(p, PlantBatchCreated):
        found |= _keys("batch", [p.batch_id]) | _keys("location", [p.location])
    elif isinstance(p, PlantsTagged):
        found |= _keys("batch", [p.batch_id]) | _keys("plant", p.uids)
        found |= _keys("location", [p.location])
    elif isinstance(p, PlantsPhaseChanged | PlantsMoved):
        found |= _keys("plant", p.uids) | _keys("location", [p.location])
    elif isinstance(p, PlantHarvested):
        found |= _keys("plant", [p.uid]) | _keys("harvest", [p.harvest_batch])
        found |= _keys("location", [p.location])
    elif isinstance(p, PlantDestroyed):
        found |= _keys("plant", [p.uid]) | _keys("batch", [p.batch_id])
    elif isinstance(p, WasteRecorded):
        found |= _keys("harvest", [p.harvest_batch]) | _keys("location", [p.location])
    elif isinstance(p, HarvestBatchWeighed):
        found |= _keys("harvest", [p.harvest_batch])
    elif isinstance(p, PackageCreated):
        found |= _keys("package", [p.uid]) | _keys("location", [p.location])
        found |= _keys("harvest", [s.harvest_batch for s in p.sources])
        found |= _keys("item", [f"{p.category.value.replace('_', ' ').title()} - {p.strain}"])
    elif isinstance(p, TransferManifested):
        found |= _keys("manifest", [p.manifest_id]) | _keys("package", [i.uid for i in p.items])
    elif isinstance(p, SaleRecorded):
        found |= _keys("package", [p.package_uid])
    return frozenset(found)


def _own(keys: frozenset[str]) -> set[str]:
    return {k for k in keys if k.split(":", 1)[0] not in SHARED}


class Blocked:
    """The objects and events held up behind a licensee's refusals, grown in log order."""

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.events: set[str] = set()

    def refused(self, event: EventEnvelope, action: str, plan: dict[str, object]) -> None:
        """A refused call of ``event`` (its ``action`` and planned arguments)."""
        self.events.add(event.event_id)
        self.keys |= _own(concerns(event))
        shared = ENSURES.get(action)
        name = plan.get("name")
        if shared is not None and isinstance(name, str):
            self.keys.add(f"{shared}:{name}")

    def holds(self, event: EventEnvelope) -> bool:
        """Whether ``event`` (the next in log order) must wait; if so it holds up its own
        objects for the events after it."""
        if event.event_id in self.events:
            return True
        keys = concerns(event)
        if keys & self.keys:
            self.events.add(event.event_id)
            self.keys |= _own(keys)
            return True
        return False
