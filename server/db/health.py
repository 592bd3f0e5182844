"""The latest status of each station, as it last published it on its status topic.

One row per station (``licence``, ``station_id``), overwritten by each new status message
(:mod:`server.health.store`). Not part of the legal record: it says how the floor's equipment
is doing right now, for the ops console's station health page.

``last_seen_at`` is when the station was last known to be alive: the server's clock when a
live ``online`` message arrived, or the message's own time for a retained one (delivered on
subscribe, possibly long after it was sent). An ``offline`` message (the station's last will,
or a clean shutdown) leaves it as it was.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.db.types import UtcDateTime


class StationHealth(SQLModel, table=True):
    __tablename__ = "station_health"

    licence: str = Field(primary_key=True, foreign_key="licensees.licence", max_length=40)
    station_id: str = Field(primary_key=True, max_length=64)
    state: str = Field(max_length=10)  # online | offline (schemas.status.StationState)
    status_at: datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False))
    received_at: datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False))
    last_seen_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UtcDateTime(), nullable=True)
    )
    software_version: str | None = Field(default=None, max_length=64)
    outbox_depth: int | None = None
    outbox_capacity: int | None = None
    last_ack_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UtcDateTime(), nullable=True)
    )
    devices: str = Field(default="{}", sa_type=sa.Text)  # JSON object: device id -> state
    message: str | None = Field(default=None, max_length=500)
