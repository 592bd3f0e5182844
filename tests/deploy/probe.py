"""A small synchronous MQTT v5 client for broker tests: what did the broker answer?

Each call waits for the broker's reply (CONNACK, PUBACK, SUBACK) and returns its reason code,
so a test reads like the protocol: ``assert probe.publish(t, b"x") == NOT_AUTHORIZED``.
"To prove nothing arrived", publish a marker after the forbidden message on the same path
and wait for the marker (:meth:`Probe.receive_until`): MQTT keeps one publisher's order.
"""

import queue
import socket
import ssl
import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

SUCCESS = 0
NO_MATCHING_SUBSCRIBERS = 0x10  # still a success: the broker took the message
ACCEPTED = (SUCCESS, NO_MATCHING_SUBSCRIBERS)
GRANTED_QOS_1 = 1
NOT_AUTHORIZED = 0x87
BAD_CREDENTIALS = 0x86
TIMEOUT = 10.0


class Refused(Exception):
    """The connection did not come up; ``reason`` is the CONNACK code, or None if none came."""

    def __init__(self, reason: int | None, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


class Probe:
    def __init__(
        self,
        port: int,
        username: str | None,
        password: str | None,
        *,
        ca: Path | None,
        client_id: str = "probe",
        will: tuple[str, bytes] | None = None,
    ) -> None:
        self.port = port
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        if ca is not None:
            self.client.tls_set(ca_certs=str(ca))
        if will is not None:
            self.client.will_set(will[0], will[1], qos=1, retain=True)
        self.client.on_socket_open = _no_delay
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.disconnects: list[int] = []
        self._connack: queue.Queue[int | None] = queue.Queue()
        self._replies: dict[int, queue.Queue[list[int]]] = {}
        self._lock = threading.Lock()

    # callbacks (paho's thread) ---------------------------------------------------------

    def _on_connect(self, _c: Any, _u: Any, _f: Any, reason: ReasonCode, _p: Any) -> None:
        self._connack.put(reason.value)

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, reason: ReasonCode, _p: Any) -> None:
        self.disconnects.append(reason.value)
        self._connack.put(None)

    def _reply(self, mid: int) -> "queue.Queue[list[int]]":
        with self._lock:
            return self._replies.setdefault(mid, queue.Queue())

    def _on_publish(self, _c: Any, _u: Any, mid: int, reason: ReasonCode, _p: Any) -> None:
        self._reply(mid).put([reason.value])

    def _on_subscribe(self, _c: Any, _u: Any, mid: int, reasons: list[ReasonCode], _p: Any) -> None:
        self._reply(mid).put([r.value for r in reasons])

    def _on_message(self, _c: Any, _u: Any, message: mqtt.MQTTMessage) -> None:
        self.messages.put((message.topic, bytes(message.payload)))

    # calls (test thread) ---------------------------------------------------------------

    def connect(self) -> "Probe":
        """Connect and wait for CONNACK; Refused unless it is a success."""
        try:
            self.client.connect("127.0.0.1", self.port, keepalive=30)
        except (OSError, ssl.SSLError) as err:
            raise Refused(None, f"no connection: {err}") from err
        self.client.loop_start()
        try:
            reason = self._connack.get(timeout=TIMEOUT)
        except queue.Empty:
            reason = None
        if reason != SUCCESS:
            self.close()
            raise Refused(reason, f"the broker answered {reason!r}")
        return self

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> int:
        """Publish QoS 1 and return the PUBACK reason code."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        assert info.rc == mqtt.MQTT_ERR_SUCCESS, mqtt.error_string(info.rc)
        return self._reply(info.mid).get(timeout=TIMEOUT)[0]

    def subscribe(self, topic_filter: str) -> int:
        """Subscribe QoS 1 and return the SUBACK reason code."""
        rc, mid = self.client.subscribe(topic_filter, qos=1)
        assert rc == mqtt.MQTT_ERR_SUCCESS, mqtt.error_string(rc)
        assert mid is not None
        return self._reply(mid).get(timeout=TIMEOUT)[0]

    def receive_until(self, topic: str, payload: bytes) -> list[tuple[str, bytes]]:
        """Every message received up to and including ``(topic, payload)``."""
        got = []
        while True:
            try:
                message = self.messages.get(timeout=TIMEOUT)
            except queue.Empty:
                raise AssertionError(f"{payload!r} on {topic} did not arrive; got {got}") from None
            got.append(message)
            if message == (topic, payload):
                return got

    def wait_disconnected(self) -> int:
        """Wait until the broker closes the connection; the DISCONNECT reason (or error)."""
        try:
            while self._connack.get(timeout=TIMEOUT) is not None:
                pass
        except queue.Empty:
            raise AssertionError("the broker did not close the connection") from None
        self.client.loop_stop()  # no reconnect attempts with the old credentials
        return self.disconnects[-1]

    def vanish(self) -> None:
        """Drop the TCP connection without DISCONNECT, like a station losing power: the
        broker then publishes the last will."""
        self.client.loop_stop()
        sock = self.client.socket()
        assert isinstance(sock, socket.socket)
        sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _no_delay(_client: Any, _userdata: Any, sock: Any) -> None:
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
