"""Station health through a real mosquitto: retained statuses on subscribe, live updates, the
last will of a station that vanished, and garbage that is logged and ignored."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from schemas.clock import SYSTEM_CLOCK
from schemas.status import StationState, StationStatus
from schemas.topics import Channel, topic
from server.broker import PrivateBroker
from server.config import ServerSettings
from server.health.listener import HealthListener
from server.health.store import latest
from tests.deploy.probe import ACCEPTED, Probe
from tests.server.conftest import LICENCE, OTHER_LICENCE

pytestmark = pytest.mark.broker


class Publisher(Probe):
    """A bare MQTT client that publishes like a station, optionally with a last will: a
    :class:`~tests.deploy.probe.Probe` on the private broker, connected."""

    def __init__(self, broker: PrivateBroker, will: tuple[str, bytes] | None = None) -> None:
        super().__init__(broker.port, None, None, ca=None, client_id="station", will=will)
        self.connect()

    def send(self, topic_name: str, payload: bytes | str, retain: bool = True) -> None:
        """Publish at QoS 1 and wait until the broker has taken it."""
        data = payload.encode() if isinstance(payload, str) else payload
        assert self.publish(topic_name, data, retain=retain) in ACCEPTED


def status_topic(station: str, licence: str = LICENCE) -> str:
    return topic(licence, station, Channel.STATUS)


def online(at: datetime, **fields: object) -> str:
    return StationStatus(state=StationState.ONLINE, at=at, **fields).model_dump_json()  # type: ignore[arg-type]


@pytest.fixture
def publisher(broker: PrivateBroker) -> Iterator[Publisher]:
    p = Publisher(broker)
    yield p
    p.close()


def start_listener(engine: Engine, broker: PrivateBroker) -> HealthListener:
    listener = HealthListener(ServerSettings(mqtt_port=broker.port), engine, clock=SYSTEM_CLOCK)
    listener.start()
    assert listener.subscribed.wait(10), "the health listener did not subscribe"
    return listener


def test_retained_statuses_arrive_on_start_and_live_ones_replace_them(
    engine: Engine, broker: PrivateBroker, publisher: Publisher
) -> None:
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    publisher.send(
        status_topic("harvest-1"),
        online(
            an_hour_ago,
            outbox_depth=0,
            devices={"scale-1": "ok", "reader-1": "ok"},
            software_version="0.1.0",
        ),
    )
    publisher.send(status_topic("veg-2", OTHER_LICENCE), online(an_hour_ago))
    listener = start_listener(engine, broker)
    try:
        assert listener.wait_for(2, 10)
        [h] = latest(engine, [LICENCE])
        assert (h.station_id, h.state, h.outbox_depth) == ("harvest-1", "online", 0)
        assert h.devices == {"reader-1": "ok", "scale-1": "ok"}
        # Retained: the station's own time, not the moment we subscribed.
        assert h.last_seen_at == an_hour_ago
        assert h.faulty_devices == []

        publisher.send(
            status_topic("harvest-1"),
            online(
                datetime.now(UTC),
                outbox_depth=37,
                outbox_capacity=100_000,
                devices={"scale-1": "unplugged", "reader-1": "ok"},
            ),
        )
        assert listener.wait_for(3, 10)
        [h] = latest(engine, [LICENCE])
        assert h.outbox_depth == 37
        assert h.faulty_devices == ["scale-1"]
        assert h.last_seen_at is not None
        assert h.last_seen_at > an_hour_ago
        both = latest(engine, [LICENCE, OTHER_LICENCE])
        assert [(x.licence, x.station_id) for x in both] == [
            (OTHER_LICENCE, "veg-2"),
            (LICENCE, "harvest-1"),
        ]
    finally:
        listener.stop()


def test_the_last_will_marks_a_vanished_station_offline_and_keeps_last_seen(
    engine: Engine, broker: PrivateBroker
) -> None:
    will = StationStatus(state=StationState.OFFLINE, at=datetime.now(UTC)).model_dump_json()
    station = Publisher(broker, will=(status_topic("dry-1"), will.encode()))
    listener = start_listener(engine, broker)
    try:
        station.send(status_topic("dry-1"), online(datetime.now(UTC), outbox_depth=3))
        assert listener.wait_for(1, 10)
        [alive] = latest(engine, [LICENCE])
        assert alive.online
        station.vanish()
        assert listener.wait_for(2, 10)
        [gone] = latest(engine, [LICENCE])
        assert gone.state == "offline"
        assert gone.last_seen_at == alive.last_seen_at
    finally:
        listener.stop()


def test_bad_status_messages_are_ignored_and_the_listener_keeps_going(
    engine: Engine, broker: PrivateBroker, publisher: Publisher, caplog: pytest.LogCaptureFixture
) -> None:
    listener = start_listener(engine, broker)
    try:
        now = datetime.now(UTC)
        publisher.send(status_topic("s1"), b"not json at all")
        publisher.send(status_topic("s2"), json.dumps({"state": "sleeping", "at": now.isoformat()}))
        publisher.send(status_topic("s3"), json.dumps({"state": "online"}))
        publisher.send(status_topic("s4", "XX-UNKNOWN"), online(now))
        publisher.send("seedtrace/v1/OR-1001/extra/level/status", online(now))
        negative = {"state": "online", "at": now.isoformat(), "outbox_depth": -1}
        publisher.send(status_topic("s5"), json.dumps(negative))
        publisher.send(status_topic("good"), online(now, outbox_depth=0))
        assert listener.wait_for(1, 10)
        assert [h.station_id for h in latest(engine, [LICENCE, "XX-UNKNOWN"])] == ["good"]
        assert listener.dropped == 5  # the extra-level topic does not match the filter at all
        text = caplog.text
        assert "not a StationStatus: state" in text
        assert "not a StationStatus: at: Field required" in text
        assert "licence XX-UNKNOWN is not registered" in text
        assert "not a StationStatus: outbox_depth" in text
    finally:
        listener.stop()


def test_handle_refuses_a_topic_that_is_not_a_status(engine: Engine) -> None:
    listener = HealthListener(ServerSettings(), engine, clock=SYSTEM_CLOCK)
    assert not listener.handle(status_topic("x").replace("status", "events"), b"{}", retained=False)
    assert not listener.handle(status_topic("x"), b"", retained=True)
    assert listener.dropped == 2
