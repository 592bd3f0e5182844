"""The MQTT topic layout (version 1).

``seedtrace/v1/{licence}/{station}/events``  station -> server, QoS 1
``seedtrace/v1/{licence}/{station}/acks``    server -> station, QoS 1
``seedtrace/v1/{licence}/{station}/status``  station -> anyone, QoS 1, retained, last will

On PostgreSQL each ingest process subscribes to the events of the licensees it owns
(:func:`licence_events_filter`, ``seedtrace/v1/{licence}/+/events``); on SQLite the one
process (or several, taking turns on the database) subscribes to :data:`EVENTS_FILTER` through
the MQTT v5 shared subscription ``$share/{group}/...``.
"""

from dataclasses import dataclass
from enum import StrEnum

PREFIX = "seedtrace/v1"
EVENTS_FILTER = f"{PREFIX}/+/+/events"
STATUS_FILTER = f"{PREFIX}/+/+/status"


class Channel(StrEnum):
    EVENTS = "events"
    ACKS = "acks"
    STATUS = "status"


@dataclass(frozen=True, slots=True)
class StationTopic:
    licence: str
    station_id: str
    channel: Channel


def topic(licence: str, station_id: str, channel: Channel) -> str:
    for level in (licence, station_id):
        if not level or any(c in level for c in "/+#\x00") or level.strip() != level:
            raise ValueError(f"{level!r} cannot be a topic level")
    return f"{PREFIX}/{licence}/{station_id}/{channel.value}"


def shared_events_subscription(group: str) -> str:
    return f"$share/{group}/{EVENTS_FILTER}"


def licence_events_filter(licence: str) -> str:
    """The events of every station of ``licence`` (what the process owning it subscribes to)."""
    if not licence or any(c in licence for c in "/+#\x00") or licence.strip() != licence:
        raise ValueError(f"{licence!r} cannot be a topic level")
    return f"{PREFIX}/{licence}/+/{Channel.EVENTS.value}"


def parse_topic(name: str) -> StationTopic | None:
    """The station and channel a topic names, or None when it is not one of ours."""
    parts = name.split("/")
    if len(parts) != 5 or f"{parts[0]}/{parts[1]}" != PREFIX:
        return None
    try:
        channel = Channel(parts[4])
    except ValueError:
        return None
    if not parts[2] or not parts[3]:
        return None
    return StationTopic(parts[2], parts[3], channel)
