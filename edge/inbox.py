"""What the agent's controller thread takes off its inbox, besides device inputs
(:mod:`edge.devices_io`): a touch on the display, and what the broker link reports.

Every other thread (the display's, paho's network thread, each device's) only *posts* one of
these; the controller handles them one at a time, in order (:mod:`edge.agent`).
"""

import threading
from dataclasses import dataclass, field
from typing import Any

from edge.mqtt_reasons import Stage
from schemas.acks import Ack


@dataclass
class Action:
    """A touch on the display (or a test's request): ``body["action"]`` says which."""

    body: dict[str, Any]
    done: threading.Event = field(default_factory=threading.Event)
    reply: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AckIn:
    """The server's ack for an event."""

    ack: Ack


@dataclass(frozen=True, slots=True)
class LinkUp:
    """The broker accepted the station's log-on."""


@dataclass(frozen=True, slots=True)
class LinkDown:
    cause: str


@dataclass(frozen=True, slots=True)
class PubAck:
    mid: int
    code: int  # the PUBACK's reason code


@dataclass(frozen=True, slots=True)
class LinkProblem:
    stage: Stage
    message: str | None  # None: that stage works again
