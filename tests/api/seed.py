"""A licensee's floor, recorded through the real pipeline, for the API tests to read.

Each licensee gets UIDs with its own prefix, so one licensee's ids never exist at the other:
asking for them across licensees must answer 404 because of scoping, not by accident.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.engine import Engine

from schemas.acks import Outcome
from schemas.events import (
    DestroyMethod,
    HarvestBatchWeighed,
    Payload,
    PlantBatchCreated,
    PlantDestroyed,
    PlantHarvested,
    PlantOrigin,
    PlantPhase,
    PlantsPhaseChanged,
    PlantsTagged,
    ScaleReading,
    TagsReceived,
    TagType,
    WasteRecorded,
    WeightType,
)
from schemas.weights import Unit, Weight
from server.ingest.pipeline import CONSOLE_STATION
from server.ingest.submit import submit

OPERATOR = "a.chen"


@dataclass(frozen=True)
class Floor:
    """The ids of what :func:`seed_floor` recorded for one licensee."""

    licence: str
    uids: list[str]  # plant tags received; the first three are plants
    package_uids: list[str]
    batch_id: str
    harvest_batch: str
    event_ids: list[str]

    @property
    def plants(self) -> list[str]:
        return self.uids[:3]


def station_of(licence: str) -> str:
    return f"dry-room-{licence}"


def uid_of(prefix: str, n: int) -> str:
    return f"{prefix}{n:08d}"


def grams(value: str) -> Weight:
    return Weight(value=Decimal(value), unit=Unit.G)


def reading(value: str, at: datetime) -> ScaleReading:
    return ScaleReading(
        device_id="scale-1", weight=grams(value), stable=True, raw_hex="", read_at=at
    )


def seed_floor(
    engine: Engine,
    licence: str,
    prefix: str,
    clock: Callable[[], datetime],
    operator: str = OPERATOR,
) -> Floor:
    """Tags, a batch of 10, three tagged plants flowering, two harvested into a weighed
    harvest batch, one destroyed, and some trim waste. ``prefix``: 16 characters [0-9A-Z]."""
    assert len(prefix) == 16
    now = clock()
    uids = [uid_of(prefix, n) for n in range(1, 11)]
    package_uids = [uid_of(prefix, n) for n in range(101, 104)]
    batch_id, harvest = f"B-{licence}", f"HB-{licence}"
    events: list[Payload] = [
        TagsReceived(tag_type=TagType.PLANT, first=uids[0], last=uids[-1]),
        TagsReceived(tag_type=TagType.PACKAGE, uids=package_uids),
        PlantBatchCreated(
            batch_id=batch_id,
            origin=PlantOrigin.CLONE,
            count=10,
            strain="Blue Dream",
            location="Veg",
        ),
        PlantsTagged(batch_id=batch_id, uids=uids[:3]),
        PlantsPhaseChanged(uids=uids[:3], phase=PlantPhase.FLOWERING, location="Flower 1"),
        PlantHarvested(
            uid=uids[0],
            harvest_batch=harvest,
            wet_weight=grams("1200.5"),
            scale_reading=reading("1200.5", now),
        ),
        PlantHarvested(
            uid=uids[1],
            harvest_batch=harvest,
            wet_weight=grams("999.5"),
            scale_reading=reading("999.5", now),
        ),
        HarvestBatchWeighed(harvest_batch=harvest, weight_type=WeightType.DRY, weight=grams("550")),
        PlantDestroyed(
            uid=uids[2], waste_weight=grams("300"), method=DestroyMethod.COMPOST, reason="Mould"
        ),
        WasteRecorded(
            harvest_batch=harvest,
            location="Dry Room",
            weight=grams("120"),
            method=DestroyMethod.GRIND_AND_MIX,
            reason="Stems and fan leaves",
        ),
    ]
    ids = []
    for n, payload in enumerate(events):
        # The last event comes from a station of this licensee's own, the rest from the console.
        station = station_of(licence) if n == len(events) - 1 else CONSOLE_STATION
        ack = submit(engine, licence, operator, payload, station_id=station, clock=clock)
        assert ack.outcome is Outcome.ACCEPTED, ack.violations
        assert ack.event_id is not None
        ids.append(ack.event_id)
    return Floor(licence, uids, package_uids, batch_id, harvest, ids)
