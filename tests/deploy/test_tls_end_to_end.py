"""The real station link and the real ingest worker through the production broker config.

Both connect over TLS with the credentials ``seedtrace broker credentials`` issued, configured
the way a deployment configures them: the link with the CA file, user name and password, the
ingest with ``SEEDTRACE_MQTT_*`` settings. An event goes in; its ack comes back. And the whole
agent, from the ``[broker]`` section of a station.toml, reaches the broker the same way.
"""

import queue
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from devices.sim.uhf import UhfModuleSim
from edge.link import LinkError, StationLink, TlsFiles
from schemas.acks import Outcome
from schemas.clock import SYSTEM_CLOCK
from schemas.status import StationState, StationStatus
from server.config import ServerSettings
from server.db.engine import make_engine, migrate
from server.health.listener import HealthListener
from server.health.store import latest
from server.ingest.worker import IngestWorker
from tests.deploy.conftest import A_TOPICS, CONSOLE, INGEST, A, SecureBroker
from tests.deploy.probe import GRANTED_QOS_1, Probe
from tests.edge.helpers import InProcessAgent, config_data, make_config
from tests.pinned import pinned_clock
from tests.server.conftest import add_staffed_licensee
from tests.server.floor import Station, tags_received
from tests.server.worker import running_ingest

pytestmark = pytest.mark.broker


@pytest.fixture
def ingest_over_tls(secure_broker: SecureBroker, tmp_path: Path) -> Iterator[IngestWorker]:
    engine = make_engine(f"sqlite:///{tmp_path}/seedtrace.db")
    migrate(engine)
    # The station's operator is a trained user (USER-AUTHORISED).
    add_staffed_licensee(engine, "OR-1001", "Green Acres Farm", "OR", pinned_clock())
    settings = ServerSettings(
        database_url=str(engine.url),
        mqtt_host="127.0.0.1",  # the broker certificate names 127.0.0.1 and localhost
        mqtt_port=secure_broker.tls_port,
        mqtt_username=INGEST,
        mqtt_password=SecretStr(secure_broker.passwords[INGEST]),
        mqtt_tls_ca=secure_broker.ca,
        client_id=INGEST,
    )
    try:
        with running_ingest(engine, settings) as worker:
            yield worker
    finally:
        engine.dispose()


def station_link(sb: SecureBroker, host: str, password: str) -> StationLink:
    # What the agent builds from station.toml's [broker] url, username, password_file, ca_file.
    return StationLink(
        "OR-1001",
        "harvest-1",
        host,
        sb.tls_port,
        username=A,
        password=password,
        tls=TlsFiles(ca_file=str(sb.ca)),
        clock=SYSTEM_CLOCK,
    )


def test_an_event_goes_in_over_tls_and_its_ack_comes_back(
    secure_broker: SecureBroker, ingest_over_tls: IngestWorker
) -> None:
    station = Station("harvest-1", "OR-1001")
    link = station_link(secure_broker, "localhost", secure_broker.passwords[A])
    link.connect()
    try:
        event = station.event(tags_received(1, 10))
        link.publish(event)
        ack = link.wait_ack(15)
    finally:
        link.close()
    assert ack.event_id == event.event_id
    assert ack.outcome is Outcome.ACCEPTED


def test_a_link_with_a_wrong_password_does_not_connect(secure_broker: SecureBroker) -> None:
    link = station_link(secure_broker, "127.0.0.1", "guessed")
    try:
        with pytest.raises(LinkError, match="no connection to the broker"):
            link.connect(timeout=2)
    finally:
        link.close()


def test_the_agent_connects_with_the_broker_settings_of_its_station_toml(
    secure_broker: SecureBroker, tmp_path: Path
) -> None:
    password_file = tmp_path / "mqtt-password"
    password_file.write_text(secure_broker.passwords[A] + "\n")
    broker = {
        "url": f"mqtts://localhost:{secure_broker.tls_port}",
        "username": A,
        "password_file": str(password_file),
        "ca_file": str(secure_broker.ca),
    }
    console = Probe(
        secure_broker.local_port, CONSOLE, secure_broker.passwords[CONSOLE], ca=None
    ).connect()
    with UhfModuleSim() as uhf:
        config = make_config(config_data(tmp_path, 0, scale=None, uhf=uhf, broker=broker))
        agent = InProcessAgent(config).start()
        try:
            assert console.subscribe(f"{A_TOPICS}/status") == GRANTED_QOS_1
            while True:  # the agent announces itself once its link is up
                try:
                    got_topic, payload = console.messages.get(timeout=15)
                except queue.Empty:
                    raise AssertionError("the agent never said it was online") from None
                status = StationStatus.model_validate_json(payload)
                if got_topic == f"{A_TOPICS}/status" and status.state is StationState.ONLINE:
                    break
        finally:
            agent.stop()
            console.close()


def test_station_health_uses_its_own_console_account_beside_the_ingest(
    secure_broker: SecureBroker, ingest_over_tls: IngestWorker
) -> None:
    # seedtrace server runs both in one process; on the production broker (user name = client
    # id) a shared account would knock one off, and the ingest's may not read status topics.
    settings = ingest_over_tls.settings.model_copy(
        update={
            "health_mqtt_username": CONSOLE,
            "health_mqtt_password": SecretStr(secure_broker.passwords[CONSOLE]),
        }
    )
    engine = make_engine(settings.database_url)
    listener = HealthListener(settings, engine, clock=SYSTEM_CLOCK)
    listener.start()
    link = station_link(secure_broker, "localhost", secure_broker.passwords[A])
    try:
        assert listener.subscribed.wait(10), "the health listener did not subscribe"
        link.connect()
        link.publish_status(StationStatus(state=StationState.ONLINE, at=datetime.now(UTC)))
        assert listener.wait_for(1, 10)
        [health] = latest(engine, ["OR-1001"])
        assert (health.station_id, health.state) == ("harvest-1", "online")
        event = Station("harvest-1", "OR-1001").event(tags_received(1, 10))
        link.publish(event)
        assert link.wait_ack(15).outcome is Outcome.ACCEPTED  # the ingest is still connected
    finally:
        link.close()
        listener.stop()
        engine.dispose()


def test_without_a_console_account_the_server_runs_with_station_health_off(
    secure_broker: SecureBroker, ingest_over_tls: IngestWorker
) -> None:
    from cli.server_cmd import _start_health

    engine = make_engine(ingest_over_tls.settings.database_url)
    try:
        assert _start_health(ingest_over_tls.settings, engine, SYSTEM_CLOCK) is None
    finally:
        engine.dispose()
