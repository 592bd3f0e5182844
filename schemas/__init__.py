"""The seedtrace event contract, shared by stations and the central service.

This package depends on nothing else of ours. It holds the versioned event models
(:mod:`schemas.events`), the acknowledgement the server sends back (:mod:`schemas.acks`),
the station status message (:mod:`schemas.status`), exact weights (:mod:`schemas.weights`),
identifier formats (:mod:`schemas.ids`), the MQTT topic layout (:mod:`schemas.topics`) and
the one line of plain English a person reads for an event (:mod:`schemas.describe`).
The JSON Schema files in ``schemas/json/`` and ``schemas/asyncapi.yaml`` are generated from
these models by ``python -m schemas.generate``.
"""

from schemas.acks import (
    CONTRACT_CITATION,
    Ack,
    ContractRule,
    Outcome,
    Violation,
)
from schemas.events import (
    SCHEMA_VERSION,
    DestroyMethod,
    EventEnvelope,
    HarvestBatchWeighed,
    Payload,
    PlantBatchCreated,
    PlantDestroyed,
    PlantHarvested,
    PlantOrigin,
    PlantPhase,
    PlantsGerminated,
    PlantsMoved,
    PlantsPhaseChanged,
    PlantsTagged,
    ScaleReading,
    TagRetired,
    TagsReceived,
    TagType,
    WasteRecorded,
    WeightType,
)
from schemas.ids import new_event_id
from schemas.status import StationState, StationStatus
from schemas.weights import Unit, Weight

__all__ = [
    "CONTRACT_CITATION",
    "SCHEMA_VERSION",
    "Ack",
    "ContractRule",
    "DestroyMethod",
    "EventEnvelope",
    "HarvestBatchWeighed",
    "Outcome",
    "Payload",
    "PlantBatchCreated",
    "PlantDestroyed",
    "PlantHarvested",
    "PlantOrigin",
    "PlantPhase",
    "PlantsGerminated",
    "PlantsMoved",
    "PlantsPhaseChanged",
    "PlantsTagged",
    "ScaleReading",
    "StationState",
    "StationStatus",
    "TagRetired",
    "TagType",
    "TagsReceived",
    "Unit",
    "Violation",
    "WasteRecorded",
    "Weight",
    "WeightType",
    "new_event_id",
]
