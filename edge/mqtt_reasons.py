"""What the broker's MQTT v5 reason codes mean for the technician at a station.

The broker answers the station's log-on (CONNACK), its subscription to its acks (SUBACK), each
event it publishes (PUBACK) and may close the connection itself (DISCONNECT), each with a
reason code (MQTT 5.0, sections 3.2.2.2, 3.9.3, 3.4.2.1 and 3.14.2.1). paho reports the code;
:func:`explain` turns it into a sentence that says what is wrong and where to look, shown on
the display and written to the log, e.g. for a wrong password::

    the broker refused this station's log-on (not authorised): check broker.username and
    broker.password_file against the credentials issued for this station

Codes below 0x80 are successes (granted QoS 0-2, success), except that PUBACK 0x10 "no
matching subscribers" is worth saying: nobody (no ingest) receives the station's events.
A code not in the tables (a broker newer than the standard) is named with its number.
"""

from enum import StrEnum

CREDENTIALS = (
    "check broker.username and broker.password_file against the credentials issued for this "
    "station (seedtrace broker credentials; docs/deploy.md)"
)
ACL = (
    "the broker's ACL must give this station's account (station.<licence>.<station_id>) its own "
    "topics: is broker.username this station's account, and licence and station_id its own?"
)
BROKER_LOG = "see the broker's log"


class Stage(StrEnum):
    CONNECT = "log-on"  # CONNACK
    SUBSCRIBE = "subscription to its acks"  # SUBACK
    PUBLISH = "events"  # PUBACK
    DISCONNECT = "connection"  # DISCONNECT sent by the broker


_CONNACK: dict[int, str] = {
    0x80: f"the broker refused this station's log-on (unspecified error): {BROKER_LOG}",
    0x81: "the broker refused this station's log-on (malformed packet): is broker.url an "
    "MQTT v5 broker (mosquitto 2 or later)?",
    0x82: "the broker refused this station's log-on (protocol error): is broker.url an "
    "MQTT v5 broker (mosquitto 2 or later)?",
    0x83: f"the broker refused this station's log-on (implementation specific error): {BROKER_LOG}",
    0x84: "the broker does not speak MQTT v5: use mosquitto 2 or later",
    0x85: "the broker refused this station's client id (not valid): remove broker.client_id "
    "or use the one docs/deploy.md gives",
    0x86: f"the broker refused this station's log-on (bad user name or password): {CREDENTIALS}",
    0x87: f"the broker refused this station's log-on (not authorised): {CREDENTIALS}",
    0x88: f"the broker is unavailable and refused the log-on; the station retries: {BROKER_LOG}",
    0x89: "the broker is busy and refused the log-on; the station retries",
    0x8A: "the broker has banned this station: ask the broker's administrator",
    0x8C: "the broker wants another authentication method: it must accept user name and "
    "password (docs/deploy.md)",
    0x90: "the broker refused the station's last-will topic: check licence and station_id",
    0x95: "the broker refused the log-on packet as too large: check max_packet_size in "
    "mosquitto.conf",
    0x97: f"the broker's quota for this station is used up: {BROKER_LOG}",
    0x99: "the broker refused the station's last-will message (payload format invalid)",
    0x9A: "the broker does not allow retained messages, which the station's status needs: "
    "set retain_available true in mosquitto.conf",
    0x9B: "the broker does not allow QoS 1, which the station needs: remove max_qos from "
    "mosquitto.conf",
    0x9C: "the broker sent the station to another server: update broker.url",
    0x9D: "the broker has moved: update broker.url",
    0x9F: "the broker refused: too many log-ons in a short time; the station retries",
}

_SUBACK: dict[int, str] = {
    0x80: f"the broker refused this station's subscription to its acks (unspecified error): "
    f"{BROKER_LOG}",
    0x83: "the broker refused this station's subscription to its acks (implementation "
    f"specific error): {BROKER_LOG}",
    0x87: f"the broker refused this station's subscription to its acks (not authorised): {ACL}",
    0x8F: "the broker refused the acks topic as invalid: check licence and station_id",
    0x91: "the broker refused the subscription (packet identifier in use); the station "
    "subscribes again when it reconnects",
    0x97: f"the broker refused the subscription (quota exceeded): {BROKER_LOG}",
    0x9E: "the broker refused the subscription (shared subscriptions not supported)",
    0xA1: "the broker refused the subscription (subscription identifiers not supported)",
    0xA2: "the broker refused the subscription (wildcards not supported)",
}

_PUBACK: dict[int, str] = {
    0x10: "the broker has no subscriber for this station's events: is the server's ingest "
    "running and connected to this broker?",
    0x80: f"the broker refused this station's events (unspecified error): {BROKER_LOG}",
    0x83: f"the broker refused this station's events (implementation specific error): {BROKER_LOG}",
    0x87: f"the broker refused this station's events (not authorised): {ACL}",
    0x90: "the broker refused the events topic as invalid: check licence and station_id",
    0x91: "the broker refused an event (packet identifier in use); it is sent again",
    0x97: f"the broker refused an event (quota exceeded); it is sent again: {BROKER_LOG}",
    0x99: "the broker refused an event (payload format invalid)",
}

_DISCONNECT: dict[int, str] = {
    0x80: f"the broker closed the connection (unspecified error): {BROKER_LOG}",
    0x81: "the broker closed the connection (malformed packet)",
    0x82: "the broker closed the connection (protocol error)",
    0x83: f"the broker closed the connection (implementation specific error): {BROKER_LOG}",
    0x87: f"the broker closed the connection (not authorised): {CREDENTIALS}",
    0x89: "the broker closed the connection (busy); the station reconnects",
    0x8B: "the broker is shutting down; the station reconnects when it is back",
    0x8D: "the broker closed the connection (keep-alive timeout): the network is too slow "
    "or broker.keepalive_s too short",
    0x8E: "another client logged on with this station's account or client id and took over "
    "its session: do two stations use the same config?",
    0x93: "the broker closed the connection (receive maximum exceeded)",
    0x94: "the broker closed the connection (topic alias invalid)",
    0x95: "the broker closed the connection (packet too large): check max_packet_size",
    0x97: f"the broker closed the connection (quota exceeded): {BROKER_LOG}",
    0x98: "the broker's administrator closed the connection",
    0x9C: "the broker sent the station to another server: update broker.url",
    0x9D: "the broker has moved: update broker.url",
    0x9F: "the broker closed the connection (too many log-ons); the station retries",
    0xA0: "the broker closed the connection (maximum connect time)",
}

TABLES: dict[Stage, dict[int, str]] = {
    Stage.CONNECT: _CONNACK,
    Stage.SUBSCRIBE: _SUBACK,
    Stage.PUBLISH: _PUBACK,
    Stage.DISCONNECT: _DISCONNECT,
}


def is_problem(stage: Stage, code: int) -> bool:
    """True for the codes a technician must hear about (failures, and PUBACK 0x10)."""
    return code >= 0x80 or (stage is Stage.PUBLISH and code == 0x10)


def explain(stage: Stage, code: int, name: str = "") -> str:
    """The technician's sentence for ``code`` at ``stage`` (``name``: paho's, for unknowns)."""
    known = TABLES[stage].get(code)
    if known is not None:
        return known
    said = f" ({name})" if name else ""
    return f"the broker refused this station's {stage.value}: reason code 0x{code:02X}{said}"
