"""Turn one MQTT message into an event, or into a rejection that says what was wrong.

Nothing here trusts the payload: its size is checked before parsing, JSON and schema errors
are reported field by field, and a topic must name the same licence and station as the
envelope (a station may only speak for itself; the broker's ACL ties a station's credentials
to its own topics).
"""

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from schemas.acks import CONTRACT_CITATION, Ack, ContractRule, Outcome, Violation
from schemas.events import EventEnvelope
from schemas.ids import EVENT_ID_PATTERN
from schemas.topics import Channel, StationTopic, parse_topic

MAX_ERRORS_REPORTED = 5
EVENT_ID = re.compile(EVENT_ID_PATTERN)


@dataclass(frozen=True, slots=True)
class Incoming:
    """A message as the broker delivered it. ``token`` is the transport's handle for the
    broker acknowledgement (a paho message id), opaque here."""

    topic: str
    payload: bytes
    received_at: datetime
    token: object = None


@dataclass(frozen=True, slots=True)
class Parsed:
    envelope: EventEnvelope
    body: str  # canonical JSON, as stored in the event log
    sha256: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Refused:
    """A message that is not a usable event. ``station`` is where to send ``ack``, when the
    topic names one."""

    station: StationTopic | None
    ack: Ack
    reason: str


def canonical(envelope: EventEnvelope) -> tuple[str, str]:
    body = envelope.model_dump_json()
    return body, hashlib.sha256(body.encode()).hexdigest()


def contract_violation(rule: ContractRule, message: str, field: str | None = None) -> Violation:
    return Violation(rule_id=rule.value, citation=CONTRACT_CITATION, message=message, field=field)


def parse(message: Incoming, max_bytes: int) -> Parsed | Refused:
    station = parse_topic(message.topic)
    if station is None or station.channel is not Channel.EVENTS:
        return _refuse(message, None, ContractRule.TOPIC_MISMATCH, "not an events topic")
    if len(message.payload) > max_bytes:
        return _refuse(
            message,
            station,
            ContractRule.PAYLOAD_TOO_LARGE,
            f"the event is {len(message.payload)} bytes; at most {max_bytes} are accepted",
        )
    try:
        envelope = EventEnvelope.model_validate_json(message.payload)
    except ValidationError as err:
        return _refuse(
            message, station, ContractRule.SCHEMA_INVALID, _describe(err), field=_first_loc(err)
        )
    if (envelope.licence, envelope.station_id) != (station.licence, station.station_id):
        return _refuse(
            message,
            station,
            ContractRule.TOPIC_MISMATCH,
            f"the event says licence {envelope.licence} station {envelope.station_id}, but was "
            f"published on the topic of licence {station.licence} station {station.station_id}",
            event_id=envelope.event_id,
            sequence=envelope.sequence,
        )
    body, digest = canonical(envelope)
    return Parsed(envelope, body, digest, message.received_at)


def _describe(err: ValidationError) -> str:
    parts = []
    for e in err.errors(include_url=False)[:MAX_ERRORS_REPORTED]:
        where = ".".join(str(x) for x in e["loc"]) or "event"
        parts.append(f"{where}: {e['msg']}")
    more = err.error_count() - MAX_ERRORS_REPORTED
    if more > 0:
        parts.append(f"and {more} more problems")
    return "the event does not match the contract: " + "; ".join(parts)


def _first_loc(err: ValidationError) -> str | None:
    errors = err.errors(include_url=False)
    if not errors or not errors[0]["loc"]:
        return None
    return ".".join(str(x) for x in errors[0]["loc"])


def _refuse(
    message: Incoming,
    station: StationTopic | None,
    rule: ContractRule,
    text: str,
    *,
    field: str | None = None,
    event_id: str | None = None,
    sequence: int | None = None,
) -> Refused:
    if event_id is None and sequence is None:
        event_id, sequence = _salvage_ids(message.payload)
    ack = Ack(
        event_id=event_id,
        sequence=sequence,
        outcome=Outcome.REJECTED,
        violations=[contract_violation(rule, text, field)],
        received_at=message.received_at,
    )
    return Refused(station, ack, f"{rule.value}: {text}")


def _salvage_ids(payload: bytes) -> tuple[str | None, int | None]:
    """The event id and sequence of an invalid event, when they can be read, so the station
    can match the rejection to its outbox entry."""
    if len(payload) > 1_000_000:
        return None, None
    try:
        doc = json.loads(payload)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(doc, dict):
        return None, None
    event_id, sequence = doc.get("event_id"), doc.get("sequence")
    checked = event_id if isinstance(event_id, str) and EVENT_ID.fullmatch(event_id) else None
    seq = sequence if isinstance(sequence, int) and not isinstance(sequence, bool) else None
    return checked, seq
