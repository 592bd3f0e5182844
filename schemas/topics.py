"""The MQTT topic layout (version 1).

``seedtrace/v1/{licence}/{station}/events``  station -> server, QoS 1
``seedtrace/v1/{licence}/{station}/acks``    server -> station, QoS 1
``seedtrace/v1/{licence}/{station}/status``  station -> anyone, QoS 1, retained, last will

Ingest servers subscribe to :data:`EVENTS_FILTER` through the MQTT v5 shared subscription
``$share/{group}/...`` so that several processes split the stations' events.
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
