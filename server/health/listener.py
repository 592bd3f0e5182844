"""The station health listener: paho-mqtt (MQTT v5) subscribed to every status topic.

Runs in a server process beside the web app (or the ingest worker). It subscribes to
``seedtrace/v1/+/+/status``; the broker first delivers every retained status (each station's
current one) and then each new one as it is published. Each message is validated as a
:class:`~schemas.status.StationStatus` and stored by :func:`server.health.store.record`.

Failure handling: a message that is not JSON, does not validate, sits on a topic that is not a
station's, or names an unregistered licence is logged and dropped; a database error is logged
and the message dropped (the station publishes again on its next change, and a restart
re-reads every retained status). Nothing here can stop paho's network thread.
"""

import logging
import threading
import uuid
from typing import Any

import paho.mqtt.client as mqtt
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

from schemas.clock import Clock
from schemas.status import StationStatus
from schemas.topics import STATUS_FILTER, Channel, parse_topic
from server.config import ServerSettings
from server.health.store import UnknownLicence, record
from server.mqttclient import make_client

log = logging.getLogger("seedtrace.health")

MAX_STATUS_BYTES = 16 * 1024  # a status is a few hundred bytes; more is not a station's


class HealthListener:
    """``start()`` connects in the background (paho reconnects by itself); ``stop()`` ends it.

    ``stored`` counts the statuses stored and ``dropped`` the messages refused, for tests and
    logs; ``subscribed`` is set once the broker has accepted the subscription.
    """

    def __init__(self, settings: ServerSettings, engine: Engine, *, clock: Clock) -> None:
        self.settings = settings
        self.engine = engine
        self.clock = clock  # stamps received_at: when the server heard the station
        self.subscribed = threading.Event()
        self.stored = 0
        self.dropped = 0
        self._stopping = False
        self._changed = threading.Condition()
        self.client = self._make_client()

    def _make_client(self) -> mqtt.Client:
        s = self.settings
        # A clean session each time: retained messages bring back the current state, so
        # nothing queued while away is worth keeping. The production broker makes the user
        # name the client id (server.brokerauth), so a console account is used as both.
        # Its own broker account (the console role: status topics only). The production broker
        # makes the user name the client id, so sharing the ingest's account would knock the
        # ingest off the broker.
        client_id = s.health_mqtt_username or f"seedtrace-health-{uuid.uuid4().hex[:12]}"
        client = make_client(
            s, client_id=client_id, username=s.health_mqtt_username, password=s.health_mqtt_password
        )
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def start(self) -> None:
        self.client.connect_async(self.settings.mqtt_host, self.settings.mqtt_port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        self._stopping = True
        self.client.disconnect()
        self.client.loop_stop()

    def wait_for(self, stored: int, timeout: float) -> bool:
        """Wait until at least ``stored`` statuses have been stored in total."""
        with self._changed:
            return self._changed.wait_for(lambda: self.stored >= stored, timeout)

    # paho callbacks (network thread) -------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.error("broker refused the health listener: %s", reason)
            return
        client.subscribe(STATUS_FILTER, qos=1)

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _mid: int, reasons: Any, _p: Any) -> None:
        if any(r.is_failure for r in reasons):
            log.error("the broker refused the status subscription: %s", reasons)
            return
        log.info("station health: subscribed to %s", STATUS_FILTER)
        self.subscribed.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.subscribed.clear()
        if self._stopping:
            return
        log.warning("station health: disconnected (%s); paho reconnects", reason)

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        try:
            self.handle(message.topic, bytes(message.payload), retained=bool(message.retain))
        except Exception:  # the top of paho's loop: never let one message end it
            log.exception("station health: could not handle a message on %s", message.topic)
            self._count(dropped=1)

    def handle(self, topic_name: str, payload: bytes, *, retained: bool) -> bool:
        """Validate and store one status message; False (and a log line) when refused."""
        where = parse_topic(topic_name)
        if where is None or where.channel is not Channel.STATUS:
            return self._drop(topic_name, "not a station status topic")
        if len(payload) > MAX_STATUS_BYTES:
            return self._drop(topic_name, f"{len(payload)} bytes, over {MAX_STATUS_BYTES}")
        if not payload:  # a cleared retained message: the station was removed
            return self._drop(topic_name, "empty payload (a cleared retained status)")
        try:
            status = StationStatus.model_validate_json(payload)
        except ValidationError as err:
            first = err.errors()[0]
            place = ".".join(str(p) for p in first["loc"]) or "message"
            return self._drop(topic_name, f"not a StationStatus: {place}: {first['msg']}")
        try:
            record(
                self.engine,
                where.licence,
                where.station_id,
                status,
                received_at=self.clock.now(),
                retained=retained,
            )
        except UnknownLicence as err:
            return self._drop(topic_name, str(err))
        except sa_exc.SQLAlchemyError as err:
            return self._drop(topic_name, f"database error: {err}")
        self._count(stored=1)
        return True

    def _drop(self, topic_name: str, why: str) -> bool:
        log.warning("station health: ignored a message on %s: %s", topic_name, why)
        self._count(dropped=1)
        return False

    def _count(self, *, stored: int = 0, dropped: int = 0) -> None:
        with self._changed:
            self.stored += stored
            self.dropped += dropped
            self._changed.notify_all()
