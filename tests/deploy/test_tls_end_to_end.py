"""The real station link and the real ingest worker through the production broker config.

Both connect over TLS with the credentials ``seedtrace broker credentials`` issued, configured
the way a deployment configures them: the link with the CA file, user name and password, the
ingest with ``SEEDTRACE_MQTT_*`` settings. An event goes in; its ack comes back.
"""

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from edge.link import LinkError, StationLink
from schemas.acks import Outcome
from server.config import ServerSettings
from server.db.engine import make_engine, migrate
from server.ingest.pipeline import Pipeline
from server.ingest.worker import IngestWorker
from server.store.licensees import add_licensee
from tests.deploy.conftest import INGEST, A, SecureBroker
from tests.server.floor import Station, tags_received

pytestmark = pytest.mark.broker


@pytest.fixture
def ingest_over_tls(secure_broker: SecureBroker, tmp_path: Path) -> Iterator[IngestWorker]:
    engine = make_engine(f"sqlite:///{tmp_path}/seedtrace.db")
    migrate(engine)
    add_licensee(
        engine,
        licence="OR-1001",
        name="Green Acres Farm",
        jurisdiction="OR",
        timezone="America/Los_Angeles",
    )
    settings = ServerSettings(
        database_url=str(engine.url),
        mqtt_host="127.0.0.1",  # the broker certificate names 127.0.0.1 and localhost
        mqtt_port=secure_broker.tls_port,
        mqtt_username=INGEST,
        mqtt_password=SecretStr(secure_broker.passwords[INGEST]),
        mqtt_tls_ca=secure_broker.ca,
        client_id=INGEST,
    )
    worker = IngestWorker(settings, Pipeline(engine))
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert worker.connected.wait(10), "the ingest did not connect over TLS"
        yield worker
    finally:
        stop.set()
        thread.join(10)
        engine.dispose()


def station_link(sb: SecureBroker, host: str, password: str) -> StationLink:
    link = StationLink("OR-1001", "harvest-1", host, sb.tls_port, username=A, password=password)
    # The edge branch gives StationLink a `tls=TlsFiles(ca_file=...)` argument (fed from
    # station.toml's broker.ca_file); until it is merged, set the same paho option directly.
    link._client.tls_set(ca_certs=str(sb.ca))
    return link


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
