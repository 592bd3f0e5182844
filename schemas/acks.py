"""The server's answer to each event, published to ``seedtrace/v1/{licence}/{station}/acks``.

A station removes an event from its outbox only when it receives the ack for that event
(matched by ``event_id``). Outcomes:

- ``accepted``: stored and applied. ``notices`` may still flag something a compliance
  manager must know that does not reject the event, each with a rule ID and citation: an event
  recorded after its deadline is accepted and flagged late (DISPOSITION-3BD and the like).
- ``rejected``: stored as rejected and not applied; ``violations`` says why, each with the
  rule ID, its citation and a message a floor worker can act on.
- ``duplicate``: this ``event_id`` was already decided; ``original_outcome`` repeats that
  decision and ``violations`` repeats its reasons.

An event that cannot be parsed at all still gets a ``rejected`` ack when its topic names a
station; ``event_id`` and ``sequence`` are then filled in only when they could be read.
"""

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.ids import EventId
from schemas.times import Instant

CONTRACT_CITATION = "seedtrace MQTT contract v1 (docs/mqtt.md)"


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


class ContractRule(StrEnum):
    """Reasons for rejection that come from the contract itself, not from a regulation."""

    SCHEMA_INVALID = "SCHEMA-INVALID"
    PAYLOAD_TOO_LARGE = "PAYLOAD-TOO-LARGE"
    TOPIC_MISMATCH = "TOPIC-MISMATCH"
    LICENCE_UNKNOWN = "LICENCE-UNKNOWN"
    EVENT_ID_CONFLICT = "EVENT-ID-CONFLICT"
    SEQUENCE_CONFLICT = "SEQUENCE-CONFLICT"


class Violation(BaseModel):
    """Why an event was rejected: one broken rule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule_id: Annotated[str, Field(pattern=r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$")]
    citation: str
    message: str
    field: str | None = None


class Ack(BaseModel):
    """The server's decision on one event."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    event_id: EventId | None
    sequence: int | None
    outcome: Outcome
    original_outcome: Outcome | None = None
    violations: list[Violation] = Field(default_factory=list)
    notices: list[Violation] = Field(default_factory=list)
    received_at: Instant
