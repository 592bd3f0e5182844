"""The station's MQTT link to the server.

Publishes events QoS 1 on ``seedtrace/v1/{licence}/{station}/events``, receives the server's
acks on ``.../acks``, and keeps the retained ``.../status`` up to date, with an ``offline``
last will so the broker announces a station that vanished.

The link keeps a persistent session (``clean_start=False``, one day's expiry) so an ack the
server sends while the station is briefly away waits at the broker. It does **not** keep
events: paho's own queue is memory only and bounded by 16-bit message ids
(``docs/platform-facts.md``). Durability is the outbox's job; this link reports failure instead
of queueing forever (:class:`LinkError`).

The agent uses :meth:`StationLink.start` (connect in the background and keep retrying: a
station must start and work with the broker down) and the hooks ``on_connected`` /
``on_disconnected`` (with paho's reason, for the loss-of-access record), ``on_puback``
(the broker answered message ``mid`` with a PUBACK reason code: the caller knows which
messages are events, :meth:`puback_problem` words the code) and ``on_problem``: the broker
refused the log-on or the subscription to the acks, or closed the connection itself, with the
reason code put in a technician's words (:mod:`edge.mqtt_reasons`); ``on_problem(stage,
None)`` when that stage works again.

A production broker (``docs/deploy.md``) wants TLS and the station's own user name and
password: pass ``tls_ca`` (the CA file that signed the broker's certificate), or ``tls``
(:class:`TlsFiles`, also with a client certificate), ``username``
(``station.{licence}.{station}``) and ``password``.
"""

import queue
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pydantic import ValidationError

from edge.mqtt_reasons import Stage, explain, is_problem
from schemas.acks import Ack
from schemas.clock import Clock
from schemas.events import EventEnvelope
from schemas.status import StationState, StationStatus
from schemas.topics import Channel, topic

SESSION_EXPIRY_S = 24 * 3600


class LinkError(Exception):
    """The link could not do what was asked (not connected, broker refused, queue full)."""


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """CA to trust (None: the system's), and an optional client certificate and key."""

    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None


class StationLink:
    def __init__(
        self,
        licence: str,
        station_id: str,
        host: str,
        port: int,
        *,
        client_id: str | None = None,
        username: str | None = None,
        password: str | None = None,
        tls_ca: Path | None = None,
        on_ack: Callable[[Ack], None] | None = None,
        tls: TlsFiles | None = None,
        keepalive: int = 15,
        clock: Clock,
    ) -> None:
        self.licence = licence
        self.station_id = station_id
        self.host, self.port = host, port
        self.events_topic = topic(licence, station_id, Channel.EVENTS)
        self.acks_topic = topic(licence, station_id, Channel.ACKS)
        self.status_topic = topic(licence, station_id, Channel.STATUS)
        self.on_ack = on_ack
        self.on_connected: Callable[[], None] | None = None
        self.on_disconnected: Callable[[str], None] | None = None
        self.on_puback: Callable[[int, int], None] | None = None  # mid, PUBACK reason code
        self.on_problem: Callable[[Stage, str | None], None] | None = None
        self._subscribe_mid: int | None = None
        self.keepalive = keepalive
        self.acks: queue.Queue[Ack] = queue.Queue()
        self.bad_acks: list[str] = []
        self.connected = threading.Event()
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"station-{licence}-{station_id}",
            protocol=mqtt.MQTTv5,
        )
        self._client.on_socket_open = _no_delay
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_publish = self._on_publish
        self._client.on_connect_fail = self._on_connect_fail
        self._client.on_subscribe = self._on_subscribe
        if tls is None and tls_ca is not None:
            tls = TlsFiles(ca_file=str(tls_ca))
        if tls is not None:
            # Verifies the broker's certificate against the CA and its name against `host`.
            self._client.tls_set(ca_certs=tls.ca_file, certfile=tls.cert_file, keyfile=tls.key_file)
        if username is not None:
            self._client.username_pw_set(username, password)
        # The will is stamped when the link is made: the broker sends it, unchanged, later.
        offline = StationStatus(state=StationState.OFFLINE, at=clock.now())
        self._client.will_set(self.status_topic, offline.model_dump_json(), qos=1, retain=True)
        self._client.reconnect_delay_set(min_delay=1, max_delay=10)

    def start(self) -> None:
        """Connect in the background; paho retries (1-10 s apart) until the broker answers."""
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        try:
            self._client.connect_async(
                self.host,
                self.port,
                keepalive=self.keepalive,
                clean_start=False,
                properties=props,
            )
        except (OSError, ValueError) as err:
            raise LinkError(f"cannot reach the broker at {self.host}:{self.port}: {err}") from err
        self._client.loop_start()

    def connect(self, timeout: float = 10.0) -> None:
        """Connect and wait for the broker; raises LinkError if it does not answer in time."""
        self.start()
        if not self.connected.wait(timeout):
            raise LinkError(
                f"no connection to the broker at {self.host}:{self.port} in {timeout} s"
            )

    def close(self, status: StationStatus | None = None) -> None:
        """Disconnect (after publishing ``status``, e.g. a clean ``offline``, if given)."""
        if status is not None and self.connected.is_set():
            info = self._client.publish(
                self.status_topic, status.model_dump_json(), qos=1, retain=True
            )
            try:
                info.wait_for_publish(timeout=2.0)
            except (RuntimeError, ValueError):
                pass  # the connection went meanwhile; the will says offline anyway
        self._client.disconnect()
        self._client.loop_stop()

    def _problem(self, stage: Stage, reason: Any) -> bool:
        """Report a refusal (True) or that ``stage`` works (False) to ``on_problem``."""
        code = int(getattr(reason, "value", reason))
        message = explain(stage, code, str(reason)) if is_problem(stage, code) else None
        if self.on_problem is not None:
            self.on_problem(stage, message)
        return message is not None

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if self._problem(Stage.CONNECT, reason):
            return  # paho closes the socket and tries again (1-10 s apart)
        if self.on_problem is not None:
            self.on_problem(Stage.DISCONNECT, None)
        _rc, self._subscribe_mid = client.subscribe(self.acks_topic, qos=1)
        self.connected.set()
        if self.on_connected is not None:
            self.on_connected()

    def _on_subscribe(
        self, _c: mqtt.Client, _u: Any, mid: int, reasons: list[Any], _p: Any
    ) -> None:
        if mid == self._subscribe_mid and reasons:
            self._problem(Stage.SUBSCRIBE, reasons[0])

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        was_connected = self.connected.is_set()
        self.connected.clear()
        code = int(getattr(reason, "value", 0))
        # A DISCONNECT the broker sent says why. A lost socket is paho's own 0x80
        # ("Unspecified error"), which says nothing: keep paho's words for it.
        cause = f"connection to the broker lost ({reason})"
        if was_connected and is_problem(Stage.DISCONNECT, code) and code != 0x80:
            cause = explain(Stage.DISCONNECT, code, str(reason))
            if self.on_problem is not None:
                self.on_problem(Stage.DISCONNECT, cause)
        if was_connected and self.on_disconnected is not None:
            self.on_disconnected(cause)

    def _on_connect_fail(self, _c: mqtt.Client, _u: Any) -> None:
        if self.on_disconnected is not None:
            self.on_disconnected(f"broker {self.host}:{self.port} unreachable")

    def _on_publish(self, _c: mqtt.Client, _u: Any, mid: int, reason: Any, _p: Any) -> None:
        # Called by paho's thread holding paho's locks, possibly before publish() has returned
        # the mid to its caller: only report here; the controller decides what the mid was.
        if self.on_puback is not None:
            self.on_puback(mid, int(getattr(reason, "value", reason)))

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        try:
            ack = Ack.model_validate_json(message.payload)
        except ValidationError as err:
            self.bad_acks.append(f"{message.topic}: {err}")
            return
        if self.on_ack is not None:
            self.on_ack(ack)
        else:
            self.acks.put(ack)

    def publish(self, event: EventEnvelope) -> int:
        """Hand one event to the broker (QoS 1). Raises LinkError if paho refuses it."""
        return self.publish_raw(event.model_dump_json().encode())

    @staticmethod
    def puback_problem(code: int) -> str | None:
        """What a PUBACK reason code for an event means for the technician; None if all is well."""
        return explain(Stage.PUBLISH, code) if is_problem(Stage.PUBLISH, code) else None

    def publish_raw(self, payload: bytes, topic_name: str | None = None) -> int:
        """Publish QoS 1; returns paho's message id. Raises LinkError if paho refuses it."""
        info = self._client.publish(topic_name or self.events_topic, payload, qos=1)
        # paho does not raise: with 65,535 messages in flight it returns MQTT_ERR_QUEUE_SIZE
        # and never sends (docs/platform-facts.md). NO_CONN means queued in memory until reconnect.
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            raise LinkError(f"the broker link refused the event: {mqtt.error_string(info.rc)}")
        return int(info.mid)

    def publish_status(self, status: StationStatus) -> None:
        self._client.publish(self.status_topic, status.model_dump_json(), qos=1, retain=True)

    def wait_ack(self, timeout: float) -> Ack:
        """The next ack (when no ``on_ack`` callback is set). Raises TimeoutError."""
        try:
            return self.acks.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no ack from the server within {timeout} s") from None


def _no_delay(_client: mqtt.Client, _userdata: Any, sock: Any) -> None:
    # Nagle + delayed ACK cost ~88 ms per QoS 1 round trip (docs/platform-facts.md).
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
