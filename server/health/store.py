"""Read and write the ``station_health`` table (:class:`server.db.health.StationHealth`).

:func:`record` keeps the newest message per station (the broker delivers a topic's messages
in order, so the last one received is the current one) and never moves ``last_seen_at``
backwards. A status for a licence that is not registered is refused with
:class:`UnknownLicence`: the console would have no one to show it to.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.status import StationState, StationStatus
from server.db.among import among
from server.db.core import table_of
from server.db.health import StationHealth
from server.db.tables import Licensee, Station
from server.reads.columns import columns_of

SH = table_of(StationHealth)
LIC = table_of(Licensee)
ST = table_of(Station)


# What a station agent may call a device that works; anything else is shown as a fault.
WORKING_DEVICE_STATES = frozenset({"ok", "ready", "connected", "online"})


class UnknownLicence(LookupError):
    pass


# What only a live station can tell; an offline message without them leaves them as they were.
KEPT_WHILE_OFFLINE = frozenset(
    {"software_version", "outbox_depth", "outbox_capacity", "last_ack_at", "devices"}
)


def _told(value: object) -> bool:
    return value is not None and value != "{}"


def record(
    engine: Engine,
    licence: str,
    station_id: str,
    status: StationStatus,
    *,
    received_at: datetime,
    retained: bool,
) -> None:
    """Store ``status`` as the current health of ``licence``/``station_id``.

    ``retained``: the broker delivered a stored message on subscribe, so ``received_at`` says
    nothing about when the station was last alive; the message's own time is used instead.
    """
    seen: datetime | None = None
    if status.state is StationState.ONLINE:
        seen = min(status.at, received_at) if retained else received_at
    values = {
        "state": status.state.value,
        "status_at": status.at,
        "received_at": received_at,
        "software_version": status.software_version,
        "outbox_depth": status.outbox_depth,
        "outbox_capacity": status.outbox_capacity,
        "last_ack_at": status.last_ack_at,
        "devices": json.dumps(status.devices, sort_keys=True),
        "message": None if status.message is None else status.message[:500],
    }
    key = (SH.c.licence == licence, SH.c.station_id == station_id)
    with engine.begin() as conn:
        if conn.execute(sa.select(LIC.c.licence).where(LIC.c.licence == licence)).first() is None:
            raise UnknownLicence(f"licence {licence} is not registered")
        previous = conn.execute(sa.select(SH.c.last_seen_at).where(*key)).first()
        if previous is None:
            conn.execute(
                SH.insert().values(
                    licence=licence, station_id=station_id, last_seen_at=seen, **values
                )
            )
            return
        before = previous.last_seen_at
        if seen is None or (before is not None and before > seen):
            seen = before
        if status.state is StationState.OFFLINE:
            # A last will carries no outbox or device figures: keep the last known ones (the
            # console shows them with their age) instead of replacing them with "unknown".
            values = {k: v for k, v in values.items() if k not in KEPT_WHILE_OFFLINE or _told(v)}
        conn.execute(SH.update().where(*key).values(last_seen_at=seen, **values))


@dataclass(frozen=True, slots=True)
class Health:
    """One station as the console shows it. ``last_event_at``: its last event in the log."""

    licence: str
    station_id: str
    state: str
    status_at: datetime
    last_seen_at: datetime | None
    software_version: str | None
    outbox_depth: int | None
    outbox_capacity: int | None
    last_ack_at: datetime | None
    devices: dict[str, str]
    message: str | None
    last_event_at: datetime | None

    @property
    def online(self) -> bool:
        return self.state == StationState.ONLINE.value

    @property
    def faulty_devices(self) -> list[str]:
        """Devices whose state is not one of :data:`WORKING_DEVICE_STATES`."""
        return sorted(d for d, s in self.devices.items() if s not in WORKING_DEVICE_STATES)


def latest(engine: Engine, licences: Sequence[str]) -> list[Health]:
    """Every station of ``licences`` that has published a status: offline first, then by
    licence and station."""
    query = (
        sa.select(*columns_of(SH, Health, skip={"last_event_at"}), ST.c.last_event_at)
        .select_from(
            SH.outerjoin(
                ST, sa.and_(ST.c.licence == SH.c.licence, ST.c.station_id == SH.c.station_id)
            )
        )
        .where(among(SH.c.licence, licences))
        .order_by(SH.c.licence, SH.c.station_id)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    found = [Health(**{**r, "devices": json.loads(r["devices"])}) for r in rows]
    return sorted(found, key=lambda h: h.online)  # stable: offline stations first
