"""Harvest batch weights typed in at a station that has a scale (pure: no database).

A station with a scale sends each weight with the scale's own reading (``scale_reading``:
the frame as the scale sent it, HARVEST-WET-WEIGHT). A dry or net weight may be entered
without one (``harvest_batch.weighed`` makes the reading optional: a batch may be weighed on
a scale the system does not read). Typed in at a station that has sent scale readings
before, it is a weight a person chose rather than one the scale gave, on the very figure the
mass balance of the batch rests on: a typed-in dry weight is where skimmed product is hidden.

So every ``harvest_batch.weighed`` without a reading, from a station that had sent at least
:data:`MIN_READINGS` scale readings earlier in the licensee's record (any kind of weighing),
is a signal naming the harvest batch. Corrections are not followed: a correction's
replacement is a new figure a person chose, and is flagged by its own evidence (its reason)
in the audit trail, not here.
"""

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from schemas.events import (
    EventEnvelope,
    HarvestBatchWeighed,
    PlantDestroyed,
    PlantHarvested,
    WasteRecorded,
)
from server.analytics.signals import Signal

KIND = "manual-weight"
MIN_READINGS = 10  # a station that has sent fewer may have had its scale for a day


@dataclass(frozen=True, slots=True)
class Typed:
    """A harvest batch's dry or net weight entered without a scale reading, at a station
    that had sent ``readings`` scale readings before."""

    event_id: str
    station_id: str
    harvest_batch: str
    weight_type: str
    grams: Decimal
    readings: int


class ManualWeights:
    """Feed a licensee's accepted events in log order; read :attr:`typed`."""

    def __init__(self) -> None:
        self.readings: Counter[str] = Counter()  # station -> scale readings sent so far
        self.typed: list[Typed] = []

    def feed(self, event: EventEnvelope) -> None:
        p = event.payload
        if not isinstance(p, PlantHarvested | HarvestBatchWeighed | PlantDestroyed | WasteRecorded):
            return
        if p.scale_reading is not None:
            self.readings[event.station_id] += 1
        elif isinstance(p, HarvestBatchWeighed):
            sent = self.readings[event.station_id]
            if sent >= MIN_READINGS:
                self.typed.append(
                    Typed(
                        event.event_id,
                        event.station_id,
                        p.harvest_batch,
                        p.weight_type.value,
                        p.weight.in_grams(),
                        sent,
                    )
                )


def typed_weights(licence: str, typed: list[Typed]) -> list[Signal]:
    """One signal per harvest batch with a weight in ``typed``; score: the grams typed in
    (summed over the batch's typed weights); events: those weighings, in log order."""
    by_batch: dict[str, list[Typed]] = {}
    for t in typed:
        by_batch.setdefault(t.harvest_batch, []).append(t)
    found = []
    for batch, mine in by_batch.items():
        said = "; ".join(
            f"its {t.weight_type} weight, {t.grams} g, at station {t.station_id}, which had "
            f"sent {t.readings} scale readings"
            for t in mine
        )
        found.append(
            Signal(
                KIND,
                licence,
                batch,
                sum((t.grams for t in mine), Decimal(0)),
                f"Harvest batch {batch} was weighed by hand where a scale stands: {said}. A "
                "weight typed in is one a person chose, on the figure the batch's mass balance "
                "rests on: check it against the scale's own record.",
                tuple(t.event_id for t in mine),
            )
        )
    return found
