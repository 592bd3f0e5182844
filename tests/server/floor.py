"""Build realistic floor events for tests: a station with its own sequence numbers."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from schemas.events import EventEnvelope
from schemas.ids import new_event_id
from schemas.topics import Channel, topic
from server.ingest.parse import Incoming

LICENCE = "OR-1001"
OPERATOR = "maria.lopez"  # registered and trained by tests/server/conftest.py
MANAGER = "a.chen"  # the licensee's account manager, likewise


def uid(n: int, prefix: str = "1A4FF01000000220") -> str:
    return f"{prefix}{n:08d}"


class Station:
    """Makes envelopes for one station, numbering them 1, 2, 3, ..."""

    def __init__(
        self, station_id: str = "harvest-1", licence: str = LICENCE, operator: str = OPERATOR
    ) -> None:
        self.station_id = station_id
        self.licence = licence
        self.operator = operator
        self.sequence = 0

    @property
    def topic(self) -> str:
        return topic(self.licence, self.station_id, Channel.EVENTS)

    def event(self, payload: dict[str, Any], **overrides: Any) -> EventEnvelope:
        self.sequence += 1
        fields: dict[str, Any] = {
            "event_id": new_event_id(),
            "licence": self.licence,
            "station_id": self.station_id,
            "operator_id": self.operator,
            "sequence": self.sequence,
            "occurred_at": datetime.now(UTC),
            "payload": payload,
        }
        fields.update(overrides)
        return EventEnvelope.model_validate(fields)

    def incoming(self, event: EventEnvelope) -> Incoming:
        return Incoming(self.topic, event.model_dump_json().encode(), datetime.now(UTC))


def tags_received(first: int, last: int) -> dict[str, Any]:
    return {"kind": "tags.received", "tag_type": "plant", "first": uid(first), "last": uid(last)}


def batch_created(batch_id: str, count: int, strain: str = "Blue Dream") -> dict[str, Any]:
    return {
        "kind": "plant_batch.created",
        "batch_id": batch_id,
        "origin": "clone",
        "count": count,
        "strain": strain,
        "location": "Veg Room 1",
    }


def tagged(batch_id: str, uids: list[str]) -> dict[str, Any]:
    return {"kind": "plants.tagged", "batch_id": batch_id, "uids": uids}


def flowering(uids: list[str]) -> dict[str, Any]:
    return {
        "kind": "plants.phase_changed",
        "uids": uids,
        "phase": "flowering",
        "location": "Flower 1",
    }


def to_flowering(
    batch_id: str, count: int, plants: list[str], tags: tuple[int, int] = (1, 50)
) -> list[dict[str, Any]]:
    """The events that bring ``plants`` to flower, in order: plant tags ``tags`` (first, last)
    received, batch ``batch_id`` of ``count`` clones created, ``plants`` tagged from it and
    flowered in Flower 1."""
    return [
        tags_received(*tags),
        batch_created(batch_id, count),
        tagged(batch_id, plants),
        flowering(plants),
    ]


def harvested(
    plant_uid: str, grams: str, harvest_batch: str = "HB-2026-11-22", stable: bool = True
) -> dict[str, Any]:
    weight = {"value": grams, "unit": "g"}
    return {
        "kind": "plant.harvested",
        "uid": plant_uid,
        "harvest_batch": harvest_batch,
        "wet_weight": weight,
        "scale_reading": {
            "device_id": "scale-1",
            "weight": weight,
            "stable": stable,
            "raw_hex": f"S S {Decimal(grams):>10} g\r\n".encode().hex(),
            "read_at": datetime.now(UTC).isoformat(),
        },
    }
