"""Which state calls an accepted event becomes: a pure, table-driven mapping (docs/sync.md).

:func:`plan` takes an accepted :class:`~schemas.events.EventEnvelope` and the licensee's state
system and returns the calls to make, in order, as :class:`Planned` rows: an ``action`` (a key
of the connector's action table for that system, :mod:`server.statesync.metrc_calls` or
:mod:`server.statesync.biotrack_calls`) and JSON-ready ``args``. Nothing here reads a database
or the network, so every kind is tested with plain events.

What the state calls our objects (a BioTrack plant's id for our UID, a room's id for a location
name, a Metrc harvest's id for a harvest batch name) is learnt only from the state's answers,
so ``args`` may hold a **reference**, ``{"ref": KIND, "key": OUR_ID}``, resolved when the call
is first sent (``sync_objects``). A location is made sure of before it is used
(``ensure_location`` / ``ensure_room``): the connector sends it only when the state does not
have it yet.

A kind missing from a system's table makes no call (``tags.received``, ``user.*``, ...: see
the table in docs/sync.md for why each is left out). Which system a licensee uses comes from
its jurisdiction (:data:`SYSTEM_OF`).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from schemas.commerce import (
    COUNTED_CATEGORIES,
    ItemCategory,
    ManifestItem,
    PackageCreated,
    SaleRecorded,
    TransferManifested,
)
from schemas.events import (
    DestroyMethod,
    EventEnvelope,
    HarvestBatchWeighed,
    Payload,
    PlantBatchCreated,
    PlantDestroyed,
    PlantHarvested,
    PlantOrigin,
    PlantsMoved,
    PlantsPhaseChanged,
    PlantsTagged,
    RecordCorrected,
    WasteRecorded,
    WeightType,
)
from schemas.records import LocationAdded
from schemas.weights import Unit, Weight

__all__ = [
    "BIOTRACK",
    "DESTROY_WAIT_S",
    "METRC",
    "SYSTEM_OF",
    "Planned",
    "System",
    "plan",
    "ref",
    "tag_runs",
]

System = Literal["metrc", "biotrack"]
SYSTEM_OF: dict[str, System] = {"OR": "metrc", "CA": "metrc", "CT": "biotrack"}

# BioTrack refuses plant_destroy until 72 h after plant_destroy_schedule; one minute more so
# our clock and theirs need not agree to the second.
DESTROY_WAIT_S = 72 * 3600 + 60

METRC_UNIT = {
    Unit.MG: "Milligrams",
    Unit.G: "Grams",
    Unit.KG: "Kilograms",
    Unit.OZ: "Ounces",
    Unit.LB: "Pounds",
}
METRC_WASTE_METHOD = {
    DestroyMethod.GRIND_AND_MIX: "Grinder",
    DestroyMethod.COMPOST: "Compost",
    DestroyMethod.INCINERATE: "Incinerator",
    DestroyMethod.OTHER: "Other",
}
# Our origins as Metrc's batch types. A nursery seedling is grown from seed elsewhere: Seed.
METRC_BATCH_TYPE = {
    PlantOrigin.SEED: "Seed",
    PlantOrigin.CLONE: "Clone",
    PlantOrigin.TISSUE_CULTURE: "Clone",
    PlantOrigin.NURSERY_SEEDLING: "Seed",
}
# Our item categories as Metrc's (the facility's items carry one).
METRC_ITEM_CATEGORY = {
    ItemCategory.SEED: "Seeds",
    ItemCategory.IMMATURE_PLANT: "Immature Plants",
    ItemCategory.FLOWER: "Buds",
    ItemCategory.LEAF: "Leaf",
    ItemCategory.SHAKE: "Shake/Trim",
    ItemCategory.KIEF: "Kief",
    ItemCategory.PRE_ROLL: "Pre-Roll Flower",
    ItemCategory.CONCENTRATE: "Concentrate",
    ItemCategory.CANNABINOID_PRODUCT: "Infused Edible",
}
# What the waste is mixed with before disposal (OAR 845-025-7750: rendered unusable).
MIXED_MATERIAL = {
    DestroyMethod.GRIND_AND_MIX: "Soil",
    DestroyMethod.COMPOST: "Compost material",
    DestroyMethod.INCINERATE: "None",
    DestroyMethod.OTHER: "None",
}


@dataclass(frozen=True)
class Planned:
    """One state call: ``action`` with ``args``. ``wait_s``: sent no sooner than this long
    after the previous call of the same event was done (BioTrack's destroy after schedule);
    such a call does not hold up the licensee's later calls."""

    action: str
    args: dict[str, Any] = field(default_factory=dict)
    wait_s: int = 0


def ref(kind: str, key: str) -> dict[str, str]:
    """A reference to the state's id (or what it knows) of our object ``key`` of ``kind``."""
    return {"ref": kind, "key": key}


def _day(ev: EventEnvelope) -> str:
    return ev.occurred_at.date().isoformat()


def _grams(w: Weight) -> str:
    return format(w.in_grams(), "f")


def _metrc_weight(w: Weight) -> dict[str, str]:
    return {"weight": format(w.value, "f"), "unit": METRC_UNIT[w.unit]}


def tag_runs(uids: list[str]) -> list[tuple[str, int]]:
    """Consecutive UIDs as (first, count) runs: Metrc tags a batch's plants from a
    ``StartingTag`` counting up, so ``...0007, ...0008, ...0010`` is two rows."""
    runs: list[tuple[str, int]] = []
    for uid in uids:
        if runs:
            first, count = runs[-1]
            if _follows(first, count, uid):
                runs[-1] = (first, count + 1)
                continue
        runs.append((uid, 1))
    return runs


def _follows(first: str, count: int, uid: str) -> bool:
    digits = len(first) - len(first.rstrip("0123456789"))
    if digits == 0 or len(uid) != len(first) or uid[: len(first) - digits] != first[:-digits]:
        return False
    tail = uid[len(first) - digits :]
    return tail.isdigit() and int(tail) == int(first[-digits:]) + count


Mapper = Callable[[EventEnvelope, Payload], list[Planned]]


def _ensure(action: str) -> Mapper:
    """location.added, filed as ``action`` with the location's name (Metrc's ensure_location,
    BioTrack's ensure_room)."""

    def plan(ev: EventEnvelope, p: Payload) -> list[Planned]:
        assert isinstance(p, LocationAdded)
        return [Planned(action, {"name": p.name})]

    return plan


# -- Metrc (OR, CA) ----------------------------------------------------------------------------


def _m_batch(ev: EventEnvelope, p: Payload) -> list[Planned]:
    assert isinstance(p, PlantBatchCreated)
    row = {
        "Name": p.batch_id,
        "Type": METRC_BATCH_TYPE[p.origin],
        "Count": p.count,
        "Strain": p.strain,
        "Location": p.location,
        "ActualDate": _day(ev),
    }
    return [Planned("ensure_location", {"name": p.location}), Planned("plantings", {"row": row})]


def _m_tagged(ev: EventEnvelope, p: Payload) -> list[Planned]:
    assert isinstance(p, PlantsTagged)
    where: Any = p.location if p.location is not None else ref("batch_location", p.batch_id)
    rows = [
        {
            "Name": p.batch_id,
            "Count": count,
            "StartingTag": first,
            "GrowthPhase": "Vegetative",
            "NewLocation": where,
            "GrowthDate": _day(ev),
        }
        for first, count in tag_runs(list(p.uids))
    ]
    ensure = [] if p.location is None else [Planned("ensure_location", {"name": p.location})]
    return [*ensure, Planned("batch_growth_phase", {"rows": rows, "uids": list(p.uids)})]


def _m_phase(ev: EventEnvelope, p: Payload) -> list[Planned]:
    assert isinstance(p, PlantsPhaseChanged)
    rows = [
        {
            "Label": uid,
            "GrowthPhase": p.phase.value.capitalize(),
            "NewLocation": p.location if p.location is not None else ref("plant_location", uid),
            "GrowthDate": _day(ev),
        }
        for uid in p.uids
    ]
    ensure = [] if p.location is None else [Planned("ensure_location", {"name": p.location})]
    return [*ensure, Planned("plant_growth_phase", {"rows": rows})]


def _m_moved(ev: EventEnvelope, p: Payload) -> list[Planned]:
    assert isinstance(p, PlantsMoved)
    rows = [{"Label": uid, "Location": p.location, "ActualDate": _day(ev)} for uid in p.uids]
    return [
        Planned("ensure_location", {"name": p.location}),
        Planned("move_plants", {"rows": rows}),
    ]


def _m_harvested(ev: EventEnvelope, p: Payload) -> list[Planned]:
    assert isinstance(p, PlantHarvested)
    w = _metrc_weight(p.wet_weight)
    row = {
        "Plant": p.uid,
        "Weight": w["weight"],
        "UnitOfWeight": w["unit"],
        "DryingLocation": p.location if p.location is not None else ref("plant_location", p.uid),
        "HarvestName": p.harvest_batch,
        "ActualDate": _day(ev),
    }
    ensure = [] if p.location is None else [Planned("ensure_location", {"name": p.location})]
    return [*ensure, Planned("harvest_plant", {"row": row})]


def _m_destroyed(ev: EventEnvelope, p: Payload) -> list[Planned]:
    assert isinstance(p, PlantDestroyed)
    w = _metrc_weight(p.waste_weight)
    # Our event id in the note: a read-back finds exactly this destruction's waste record.
    common = {
        "WasteMethodName": METRC_WASTE_METHOD[p.method],
        "WasteMaterialMixed": MIXED_MATERIAL[p.method],
        "WasteReasonName": "Other",
        "ReasonNote": f"{p.reason} [seedtrace {ev.event_id}]",
        "WasteWeight": w["weight"],
        "ActualDate": _day(ev),
    }
    if p.uid is not None:
        one: dict[str, Any] = {"Label": p.uid, "WasteUnitOfMeasureName": w["unit"]} | common
        return [Planned("destroy_plant", {"row": one})]
    row: dict[str, Any] = {
        "PlantBatch": p.batch_id,
        "Count": p.count,
        "WasteUnitOfMeasure": w["unit"],
    } | common
    return [Planned("destroy_batch_plants", {"row": row})]


def _m_waste(ev: EventEnvelope, p: Payload) -> list[Planned]:
    assert isinstance(p, WasteRecorded)
    w = _metrc_weight(p.weight)
    if p.harvest_batch is not None:
        row = {
            "Id": ref("harvest", p.harvest_batch),
            "WasteType": "Plant Material",
            "WasteWeight": w["weight"],
            "UnitOfWeight": w["unit"],
            "ActualDate": _day(ev),
        }
        return [Planned("harvest_waste", {"row": row})]
    row = {
        "WasteMethodName": METRC_WASTE_METHOD[p.method],
        "MixedMaterial": MIXED_MATERIAL[p.method],
        "WasteWeight": w["weight"],
        "UnitOfMeasureName": w["unit"],
        "ReasonName": "Other",
        "Note": f"{p.reason} [seedtrace {ev.event_id}]",
        "WasteDate": _day(ev),
        "LocationName": p.location,
    }
    return [Planned("ensure_location", {"name": p.location}), Planned("plant_waste", {"row": row})]


def _category_strain(p: PackageCreated | ManifestItem) -> str:
    return f"{p.category.value.replace('_', ' ').title()} - {p.strain}"


def _m_package(ev: EventEnvelope, p: Payload) -> list[Planned]:
    assert isinstance(p, PackageCreated)
    # The package names one of the licensee's items at Metrc, made sure of first: one item
    # per category and strain, named as our items are ("Flower - Blue Dream").
    ingredients = [
        {
            "HarvestName": s.harvest_batch,
            "Weight": _metrc_weight(s.weight)["weight"],
            "UnitOfWeight": _metrc_weight(s.weight)["unit"],
        }
        for s in p.sources
    ]
    where: Any = (
        p.location
        if p.location is not None
        else ref("harvest_location", p.sources[0].harvest_batch)
    )
    row = {
        "Tag": p.uid,
        "Location": where,
        "Item": _category_strain(p),
        "UnitOfWeight": "Grams",
        "Ingredients": ingredients,
        "ActualDate": _day(ev),
    }
    ensure = [] if p.location is None else [Planned("ensure_location", {"name": p.location})]
    item = {
        "name": _category_strain(p),
        "category": METRC_ITEM_CATEGORY[p.category],
        "unit": "Each" if p.category in COUNTED_CATEGORIES else "Grams",
        "strain": p.strain,
    }
    return [*ensure, Planned("ensure_item", item), Planned("create_package", {"row": row})]


def _m_manifest(ev: EventEnvelope, p: Payload) -> list[Planned]:
    assert isinstance(p, TransferManifested)
    row = {
        "Name": p.manifest_id,
        "Destinations": [
            {
                "RecipientLicenseNumber": p.purchaser.licence,
                "TransferTypeName": "Wholesale Manifest",
                "PlannedRoute": "As planned by the driver",
                "EstimatedDepartureDateTime": p.estimated_departure.isoformat(),
                "EstimatedArrivalDateTime": p.estimated_arrival.isoformat(),
                "Packages": [{"PackageLabel": item.uid} for item in p.items],
            }
        ],
    }
    return [Planned("create_transfer", {"row": row})]


def _m_sale(ev: EventEnvelope, p: Payload) -> list[Planned]:
    assert isinstance(p, SaleRecorded)
    grams = p.quantity.total_grams()
    if grams is not None:
        amount, unit = format(grams, "f"), "Grams"  # our packages are kept in grams at Metrc
    else:
        amount, unit = str(p.quantity.count), "Each"
    row = {
        "SalesDateTime": p.sold_at.isoformat(),
        "SalesCustomerType": "Consumer",
        # Our event id: the receipt's read-back key.
        "ExternalReceiptNumber": ev.event_id,
        "Transactions": [
            {
                "PackageLabel": p.package_uid,
                "Quantity": amount,
                "UnitOfMeasure": unit,
                "TotalAmount": format(p.price, "f"),
            }
        ],
    }
    return [Planned("create_receipt", {"row": row})]


# -- BioTrack (CT) -----------------------------------------------------------------------------


def _b_batch(ev: EventEnvelope, p: Payload) -> list[Planned]:
    assert isinstance(p, PlantBatchCreated)
    # BioTrack plants are individual from the start: plant_new makes ``count`` of them, whose
    # ids wait (sync_objects) until our plants.tagged pairs them with UIDs.
    args = {
        "batch": p.batch_id,
        "quantity": p.count,
        "strain": p.strain,
        "room": ref("room", p.location),
        "source": p.source_licence,
    }
    return [Planned("ensure_room", {"name": p.location}), Planned("plant_new", args)]


def _b_move(uids: list[str], location: str) -> list[Planned]:
    ids = [ref("plant", u) for u in uids]
    return [
        Planned("ensure_room", {"name": location}),
        Planned("plant_move", {"barcodeid": ids, "room": ref("room", location)}),
    ]


def _b_tagged(ev: EventEnvelope, p: Payload) -> list[Planned]:
    assert isinstance(p, PlantsTagged)
    pair = [Planned("pair", {"batch": p.batch_id, "uids": list(p.uids)})]
    return pair + ([] if p.location is None else _b_move(list(p.uids), p.location))


def _b_phase(ev: EventEnvelope, p: Payload) -> list[Planned]:
    assert isinstance(p, PlantsPhaseChanged)
    # BioTrack's plant API has no growth phase; only the room change is filed.
    return [] if p.location is None else _b_move(list(p.uids), p.location)


def _b_moved(ev: EventEnvelope, p: Payload) -> list[Planned]:
    assert isinstance(p, PlantsMoved)
    return _b_move(list(p.uids), p.location)


def _b_weights(w: Weight, invtype: int) -> list[dict[str, Any]]:
    return [{"amount": format(w.value, "f"), "invtype": invtype, "uom": w.unit.value}]


def _b_harvested(ev: EventEnvelope, p: Payload) -> list[Planned]:
    assert isinstance(p, PlantHarvested)
    args = {
        "barcodeid": ref("plant", p.uid),
        "uid": p.uid,
        "harvest_batch": p.harvest_batch,
        "weights": _b_weights(p.wet_weight, 6),
        "wet_grams": _grams(p.wet_weight),
    }
    return [Planned("plant_harvest", args)]


def _b_destroyed(ev: EventEnvelope, p: Payload) -> list[Planned]:
    assert isinstance(p, PlantDestroyed)
    if p.uid is not None:
        ids: Any = [ref("plant", p.uid)]
    else:
        ids = {"untagged_of": p.batch_id, "count": p.count}
    schedule = {"barcodeid": ids, "reason": p.reason, "batch": p.batch_id, "uid": p.uid}
    return [
        Planned("plant_destroy_schedule", schedule),
        Planned("plant_destroy", {"same_ids_as_call": 0}, wait_s=DESTROY_WAIT_S),
        Planned(
            "plant_waste_weigh",
            {"weight": format(p.waste_weight.value, "f"), "uom": p.waste_weight.unit.value},
        ),
    ]


def _b_waste(ev: EventEnvelope, p: Payload) -> list[Planned]:
    assert isinstance(p, WasteRecorded)
    return [
        Planned(
            "plant_waste_weigh", {"weight": format(p.weight.value, "f"), "uom": p.weight.unit.value}
        )
    ]


def _b_weighed(ev: EventEnvelope, p: Payload) -> list[Planned]:
    assert isinstance(p, HarvestBatchWeighed)
    if p.weight_type is not WeightType.DRY:
        return []  # BioTrack weighs the cure (dry); a net weight is ours alone
    # One plant_cure per plant, added when reached (the plants are the state's to tell).
    return [
        Planned("cure_harvest", {"harvest_batch": p.harvest_batch, "dry_grams": _grams(p.weight)})
    ]


def _b_package(ev: EventEnvelope, p: Payload) -> list[Planned]:
    assert isinstance(p, PackageCreated)
    sources = [{"harvest_batch": s.harvest_batch, "grams": _grams(s.weight)} for s in p.sources]
    taken = sum((s.weight.in_grams() for s in p.sources), Decimal(0))
    grams = p.quantity.total_grams()
    args = {
        "uid": p.uid,
        "product": _category_strain(p),
        "sources": sources,
        # What the package holds; a count without a unit weight holds what was taken.
        "grams": format(taken if grams is None else grams, "f"),
        "units": p.quantity.count,
    }
    return [Planned("package", args)]


def _b_manifest(ev: EventEnvelope, p: Payload) -> list[Planned]:
    assert isinstance(p, TransferManifested)
    args = {
        "manifest": p.manifest_id,
        "recipient": p.purchaser.licence,
        "stop": {
            "approximate_departure": p.estimated_departure.isoformat(),
            "approximate_arrival": p.estimated_arrival.isoformat(),
            "approximate_route": "As planned by the driver",
        },
        "items": [ref("package", item.uid) for item in p.items],
    }
    return [Planned("manifest", args)]


def _b_sale(ev: EventEnvelope, p: Payload) -> list[Planned]:
    assert isinstance(p, SaleRecorded)
    grams = p.quantity.total_grams()
    line: dict[str, Any] = {
        "barcodeid": ref("package", p.package_uid),
        "price": format(p.price, "f"),
    }
    if grams is not None:
        line |= {"quantity": format(grams, "f"), "uom": "g"}
    else:
        line |= {"quantity": p.quantity.count, "uom": None}
    args = {
        "lines": [line],
        "sale_time": int(p.sold_at.timestamp()),
        "external_id": ev.event_id,  # our event id, kept with the sale at BioTrack
    }
    return [Planned("sale", args)]


def _correction_args(p: RecordCorrected) -> dict[str, Any]:
    return {
        "corrects": p.corrects,
        "kind": p.replacement.kind,
        "reason": p.reason,
        "replacement": p.replacement.model_dump(mode="json", exclude_none=True),
    }


def _corrected(ev: EventEnvelope, p: Payload, system: "System") -> list[Planned]:
    """A correction of an event this system was filed: no API call corrects a filed record in
    general, so a person makes the same correction at the state by hand (the call is held for
    them: ``correct_by_hand``), and what concerns the same objects waits until they have."""
    assert isinstance(p, RecordCorrected)
    if p.replacement.kind not in TABLES[system]:
        return []  # the corrected kind was never filed
    return [Planned("correct_by_hand", _correction_args(p))]


def _m_corrected(ev: EventEnvelope, p: Payload) -> list[Planned]:
    """A corrected move or phase change is made through Metrc's API: the replacement's rows,
    sent as a move or phase change of its own (``correct_plants``), when at sending time
    nothing since the corrected event concerns those plants (else held for a person,
    :mod:`server.statesync.corrections`). Any other correction: by hand."""
    assert isinstance(p, RecordCorrected)
    r = p.replacement
    if not isinstance(r, PlantsMoved | PlantsPhaseChanged):
        return _corrected(ev, p, "metrc")
    *ensure, call = _m_moved(ev, r) if isinstance(r, PlantsMoved) else _m_phase(ev, r)
    args = _correction_args(p) | {
        "event_id": ev.event_id,
        "uids": list(r.uids),
        "send": call.action,
        "rows": call.args["rows"],
    }
    return [*ensure, Planned("correct_plants", args)]


def _b_corrected(ev: EventEnvelope, p: Payload) -> list[Planned]:
    """A corrected move is made through BioTrack's API: ``plant_move`` of the replacement's
    plants to its room (``correct_plants``), under the same condition as at Metrc. Any other
    correction (BioTrack has no phase): by hand."""
    assert isinstance(p, RecordCorrected)
    r = p.replacement
    if not isinstance(r, PlantsMoved):
        return _corrected(ev, p, "biotrack")
    ensure, call = _b_move(list(r.uids), r.location)
    args = _correction_args(p) | {"event_id": ev.event_id, "uids": list(r.uids)} | call.args
    return [ensure, Planned("correct_plants", args)]


METRC: dict[str, Mapper] = {
    "location.added": _ensure("ensure_location"),
    "plant_batch.created": _m_batch,
    "plants.tagged": _m_tagged,
    "plants.phase_changed": _m_phase,
    "plants.moved": _m_moved,
    "plant.harvested": _m_harvested,
    "plant.destroyed": _m_destroyed,
    "waste.recorded": _m_waste,
    "package.created": _m_package,
    "transfer.manifested": _m_manifest,
    "sale.recorded": _m_sale,
    "record.corrected": _m_corrected,
    # harvest_batch.weighed: Metrc takes no dry weight of a harvest; reconciliation compares.
    # tags.received / tag.retired: Metrc issues and retires tags itself.
    # plant_batch.germinated: no call; a Metrc planting counts its seeds as the batch's plants.
}

BIOTRACK: dict[str, Mapper] = {
    "location.added": _ensure("ensure_room"),
    "plant_batch.created": _b_batch,
    "plants.tagged": _b_tagged,
    "plants.phase_changed": _b_phase,
    "plants.moved": _b_moved,
    "plant.harvested": _b_harvested,
    "harvest_batch.weighed": _b_weighed,
    "plant.destroyed": _b_destroyed,
    "waste.recorded": _b_waste,
    "package.created": _b_package,
    "transfer.manifested": _b_manifest,
    "sale.recorded": _b_sale,
    "record.corrected": _b_corrected,
    # plant_batch.germinated: no call; plant_new already counted the seeds as plants.
}

TABLES: dict[System, dict[str, Mapper]] = {"metrc": METRC, "biotrack": BIOTRACK}


def plan(event: EventEnvelope, system: System) -> list[Planned]:
    """The calls that file ``event`` into ``system``, in order; [] when it files nothing."""
    mapper = TABLES[system].get(event.kind)
    return [] if mapper is None else mapper(event, event.payload)
