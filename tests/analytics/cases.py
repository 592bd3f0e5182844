"""Hand-built harvests for the analytics tests: envelopes of one licensee, in log order."""

from decimal import Decimal
from typing import Any

from schemas.events import EventEnvelope
from tests.server.floor import Station, batch_created, harvested, tagged, uid


def weighed(harvest_batch: str, grams: str, weight_type: str = "dry") -> dict[str, Any]:
    return {
        "kind": "harvest_batch.weighed",
        "harvest_batch": harvest_batch,
        "weight_type": weight_type,
        "weight": {"value": grams, "unit": "g"},
    }


def waste(harvest_batch: str, grams: str) -> dict[str, Any]:
    return {
        "kind": "waste.recorded",
        "harvest_batch": harvest_batch,
        "location": "Dry Room",
        "weight": {"value": grams, "unit": "g"},
        "method": "compost",
        "reason": "Stems and fan leaves",
    }


def packaged(package_uid: str, sources: dict[str, str]) -> dict[str, Any]:
    total = sum((Decimal(g) for g in sources.values()), Decimal(0))
    return {
        "kind": "package.created",
        "uid": package_uid,
        "category": "flower",
        "strain": "Blue Dream",
        "sources": [
            {"harvest_batch": name, "weight": {"value": grams, "unit": "g"}}
            for name, grams in sources.items()
        ],
        "quantity": {"weight": {"value": str(total), "unit": "g"}},
    }


def corrected(original: EventEnvelope, replacement: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "record.corrected",
        "corrects": original.event_id,
        "reason": "Read off the wrong scale",
        "discovered_at": original.occurred_at.isoformat(),
        "replacement": replacement,
    }


def harvest(
    station: Station,
    name: str,
    wet: list[str],
    dry: str | None,
    waste_grams: str | None = None,
    strain: str = "Blue Dream",
    first_plant: int = 1,
) -> list[EventEnvelope]:
    """A batch of ``len(wet)`` plants of ``strain`` tagged, harvested into ``name`` with the
    given wet weights (grams), optionally some waste, and weighed dry."""
    plants = [uid(first_plant + n) for n in range(len(wet))]
    batch = f"B-{name}"
    events = [
        station.event(batch_created(batch, len(wet), strain)),
        station.event(tagged(batch, plants)),
        *(station.event(harvested(p, g, name)) for p, g in zip(plants, wet, strict=True)),
    ]
    if waste_grams is not None:
        events.append(station.event(waste(name, waste_grams)))
    if dry is not None:
        events.append(station.event(weighed(name, dry)))
    return events
