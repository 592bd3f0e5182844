"""A station's health, published retained to ``seedtrace/v1/{licence}/{station}/status``.

The station publishes ``online`` when it connects and registers an ``offline`` message as its
MQTT last will, so the broker announces a station that vanished. The ops console reads these.
"""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from schemas.times import Instant


class StationState(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class StationStatus(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int = 1
    state: StationState
    at: Instant
    software_version: str | None = None
    outbox_depth: int | None = Field(default=None, ge=0)
    outbox_capacity: int | None = Field(default=None, ge=0)
    last_ack_at: Instant | None = None
    devices: dict[str, str] = Field(default_factory=dict)
    message: str | None = None
