"""The production broker config against a real mosquitto: TLS, passwords, per-station ACLs.

Station A (OR-1001/harvest-1) and station B (CA-2002/harvest-1) connect over TLS on the
station listener; the ingest and console accounts use the loopback listener, as on the
broker's host. Every refusal is the broker's own answer (CONNACK, PUBACK reason codes); a
message that must not arrive is followed by a marker on the same path, and the test waits
for the marker.
"""

import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from server.brokerauth.install import issue, reload_broker
from server.brokerauth.roster import Roster
from tests.deploy.conftest import (
    A_TOPICS,
    B_TOPICS,
    CONSOLE,
    INGEST,
    MAKE_CERTS,
    A,
    B,
    SecureBroker,
    broker_group,
)
from tests.deploy.probe import (
    ACCEPTED,
    BAD_CREDENTIALS,
    GRANTED_QOS_1,
    NOT_AUTHORIZED,
    SUCCESS,
    Probe,
    Refused,
)

pytestmark = pytest.mark.broker

Connect = Callable[[Probe], Probe]
EVENTS_SHARED = "$share/seedtrace-ingest/seedtrace/v1/+/+/events"  # what the ingest reads


@pytest.fixture
def connect() -> Iterator[Connect]:
    """Connects a probe (raising Refused as :meth:`Probe.connect` does) and closes every probe
    it connected when the test ends, however it ends."""
    connected: list[Probe] = []

    def _connect(probe: Probe) -> Probe:
        connected.append(probe.connect())
        return probe

    yield _connect
    for probe in connected:
        probe.close()


@pytest.fixture
def ingest(secure_broker: SecureBroker, connect: Connect) -> Probe:
    """The ingest's account, connected on the loopback listener (most tests need it)."""
    return connect(service(secure_broker, INGEST))


@pytest.fixture
def a(secure_broker: SecureBroker, connect: Connect) -> Probe:
    """Station A, connected over TLS with its own password."""
    return connect(station(secure_broker, A))


def station(sb: SecureBroker, user: str, password: str | None = None, **kw: object) -> Probe:
    pw = sb.passwords[user] if password is None else password
    return Probe(sb.tls_port, user, pw, ca=sb.ca, **kw)  # type: ignore[arg-type]


def service(sb: SecureBroker, user: str) -> Probe:
    return Probe(sb.local_port, user, sb.passwords[user], ca=None)


def test_a_station_connects_over_tls_and_its_events_reach_the_ingest(
    ingest: Probe, a: Probe
) -> None:
    assert ingest.subscribe(EVENTS_SHARED) == GRANTED_QOS_1
    assert a.publish(f"{A_TOPICS}/events", b"event-1") == SUCCESS
    assert ingest.receive_until(f"{A_TOPICS}/events", b"event-1") == [
        (f"{A_TOPICS}/events", b"event-1")
    ]


@pytest.mark.parametrize(
    ("user", "password"),
    [
        (A, "not-the-password"),
        ("station.OR-9999.nobody", "whatever"),
        (A, ""),
    ],
)
def test_wrong_or_unknown_credentials_are_refused(
    secure_broker: SecureBroker, user: str, password: str
) -> None:
    with pytest.raises(Refused) as refused:
        station(secure_broker, user, password).connect()
    assert refused.value.reason in (NOT_AUTHORIZED, BAD_CREDENTIALS)


def test_anonymous_clients_are_refused_on_both_listeners(secure_broker: SecureBroker) -> None:
    for port, ca in ((secure_broker.tls_port, secure_broker.ca), (secure_broker.local_port, None)):
        with pytest.raises(Refused) as refused:
            Probe(port, None, None, ca=ca).connect()
        assert refused.value.reason in (NOT_AUTHORIZED, BAD_CREDENTIALS)


def test_the_station_listener_speaks_only_tls(secure_broker: SecureBroker) -> None:
    plain = Probe(secure_broker.tls_port, A, secure_broker.passwords[A], ca=None)
    with pytest.raises(Refused) as refused:
        plain.connect()
    assert refused.value.reason is None  # no CONNACK: the broker wanted a TLS handshake


def tls_handshake(port: int, ca: Path) -> dict[str, object]:
    context = ssl.create_default_context(cafile=str(ca))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        cert = tls.getpeercert()
        assert cert is not None
        return dict(cert)


def test_the_broker_proves_itself_with_a_certificate_from_our_ca(
    secure_broker: SecureBroker, tmp_path: Path
) -> None:
    cert = tls_handshake(secure_broker.tls_port, secure_broker.ca)
    assert ("IP Address", "127.0.0.1") in cert["subjectAltName"]  # type: ignore[operator]
    subprocess.run([str(MAKE_CERTS), str(tmp_path), "localhost", "127.0.0.1"], check=True)
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        tls_handshake(secure_broker.tls_port, tmp_path / "seedtrace-ca.crt")


def test_a_station_cannot_publish_as_another_station(
    secure_broker: SecureBroker, connect: Connect, ingest: Probe, a: Probe
) -> None:
    console = connect(service(secure_broker, CONSOLE))
    ingest.subscribe(EVENTS_SHARED)
    console.subscribe("seedtrace/v1/+/+/status")
    # MQTT v5, QoS 1: mosquitto answers PUBACK 0x87 and drops the message.
    assert a.publish(f"{B_TOPICS}/events", b"forged event") == NOT_AUTHORIZED
    assert a.publish("seedtrace/v1/OR-1001/trim-1/events", b"forged sibling") == NOT_AUTHORIZED
    assert a.publish(f"{B_TOPICS}/status", b"forged status", retain=True) == NOT_AUTHORIZED
    assert a.publish(f"{A_TOPICS}/acks", b"self-made ack") == NOT_AUTHORIZED
    assert a.publish("seedtrace/v1/other", b"x") == NOT_AUTHORIZED
    assert a.publish(f"{A_TOPICS}/events", b"marker") == SUCCESS
    assert a.publish(f"{A_TOPICS}/status", b"online", retain=True) == SUCCESS
    assert ingest.receive_until(f"{A_TOPICS}/events", b"marker") == [
        (f"{A_TOPICS}/events", b"marker")
    ]
    assert console.receive_until(f"{A_TOPICS}/status", b"online") == [
        (f"{A_TOPICS}/status", b"online")
    ]


def test_a_station_cannot_read_another_stations_acks(
    secure_broker: SecureBroker, connect: Connect, ingest: Probe, a: Probe
) -> None:
    b = connect(station(secure_broker, B))
    # mosquitto 2.0's acl_file grants every SUBSCRIBE and checks read access per message.
    for flt in (f"{B_TOPICS}/acks", "seedtrace/v1/+/+/acks", "#", f"{A_TOPICS}/acks"):
        assert a.subscribe(flt) == GRANTED_QOS_1
    assert b.subscribe(f"{B_TOPICS}/acks") == GRANTED_QOS_1
    assert ingest.publish(f"{B_TOPICS}/acks", b"ack for B") == SUCCESS
    assert ingest.publish(f"{A_TOPICS}/acks", b"ack for A") == SUCCESS
    assert b.receive_until(f"{B_TOPICS}/acks", b"ack for B") == [(f"{B_TOPICS}/acks", b"ack for B")]
    got = a.receive_until(f"{A_TOPICS}/acks", b"ack for A")
    assert all(topic_name == f"{A_TOPICS}/acks" for topic_name, _ in got)
    assert (f"{B_TOPICS}/acks", b"ack for B") not in got


def test_a_station_cannot_read_events_or_take_over_a_session(
    secure_broker: SecureBroker,
    connect: Connect,
) -> None:
    # B uses the client id A's link would use; the broker makes every client id the user
    # name, so neither pushes the other off.
    a = connect(station(secure_broker, A, client_id="station-OR-1001-harvest-1"))
    b = connect(station(secure_broker, B, client_id="station-OR-1001-harvest-1"))
    assert b.subscribe(f"{A_TOPICS}/events") == GRANTED_QOS_1
    assert b.subscribe(f"{B_TOPICS}/acks") == GRANTED_QOS_1
    assert a.publish(f"{A_TOPICS}/events", b"A's event") == SUCCESS
    ingest = service(secure_broker, INGEST).connect()
    try:
        assert ingest.publish(f"{B_TOPICS}/acks", b"marker") == SUCCESS
    finally:
        ingest.close()
    assert b.receive_until(f"{B_TOPICS}/acks", b"marker") == [(f"{B_TOPICS}/acks", b"marker")]
    assert a.publish(f"{A_TOPICS}/events", b"still here") == SUCCESS
    assert a.disconnects == []
    assert b.disconnects == []


def test_a_last_will_on_another_stations_status_is_not_published(
    secure_broker: SecureBroker,
    connect: Connect,
) -> None:
    console = connect(service(secure_broker, CONSOLE))
    console.subscribe("seedtrace/v1/+/+/status")
    # mosquitto 2.0.11 accepts the CONNECT and checks the will's topic when it fires.
    forger = station(secure_broker, A, will=(f"{B_TOPICS}/status", b"forged offline"))
    forger.connect().vanish()
    honest = station(secure_broker, B, will=(f"{B_TOPICS}/status", b"offline"))
    honest.connect().vanish()
    got = console.receive_until(f"{B_TOPICS}/status", b"offline")
    assert got == [(f"{B_TOPICS}/status", b"offline")]


def test_the_ingest_reads_every_station_and_answers_each(
    secure_broker: SecureBroker, connect: Connect, ingest: Probe, a: Probe
) -> None:
    b = connect(station(secure_broker, B))
    ingest.subscribe(EVENTS_SHARED)
    a.subscribe(f"{A_TOPICS}/acks")
    b.subscribe(f"{B_TOPICS}/acks")
    assert a.publish(f"{A_TOPICS}/events", b"from A") == SUCCESS
    assert b.publish(f"{B_TOPICS}/events", b"from B") == SUCCESS
    got = ingest.receive_until(f"{B_TOPICS}/events", b"from B")
    assert sorted(got) == [(f"{B_TOPICS}/events", b"from B"), (f"{A_TOPICS}/events", b"from A")]
    assert ingest.publish(f"{A_TOPICS}/acks", b"ok A") == SUCCESS
    assert ingest.publish(f"{B_TOPICS}/acks", b"ok B") == SUCCESS
    assert a.receive_until(f"{A_TOPICS}/acks", b"ok A")
    assert b.receive_until(f"{B_TOPICS}/acks", b"ok B")
    # The ingest speaks for no station.
    assert ingest.publish(f"{A_TOPICS}/events", b"x") == NOT_AUTHORIZED
    assert ingest.publish(f"{A_TOPICS}/status", b"x") == NOT_AUTHORIZED


def test_the_console_reads_status_and_nothing_else(
    secure_broker: SecureBroker, connect: Connect
) -> None:
    a = connect(station(secure_broker, A))
    assert a.publish(f"{A_TOPICS}/events", b"private event") in ACCEPTED
    assert a.publish(f"{A_TOPICS}/status", b"online", retain=True) in ACCEPTED
    a.close()
    console = connect(service(secure_broker, CONSOLE))
    assert console.subscribe("#") == GRANTED_QOS_1
    assert console.receive_until(f"{A_TOPICS}/status", b"online") == [
        (f"{A_TOPICS}/status", b"online")
    ]
    assert console.publish(f"{A_TOPICS}/events", b"x") == NOT_AUTHORIZED
    assert console.publish(f"{A_TOPICS}/acks", b"x") == NOT_AUTHORIZED
    assert console.publish(f"{A_TOPICS}/status", b"x") == NOT_AUTHORIZED


def test_rotation_locks_out_the_old_password_and_leaves_other_stations_alone(
    secure_broker: SecureBroker,
    connect: Connect,
) -> None:
    sb = secure_broker
    old = sb.passwords[A]
    a = connect(station(sb, A))
    b = connect(station(sb, B))
    issued = issue(sb.roster, sb.files, rotate=[A], group=broker_group())
    assert list(issued.new_passwords) == [A]
    reload_broker(sb.wait_for_pid_file())
    # mosquitto re-checks connected clients on reload: A's session ends at once.
    a.wait_disconnected()
    assert b.publish(f"{B_TOPICS}/events", b"after the reload") in ACCEPTED
    assert b.disconnects == []
    with pytest.raises(Refused) as refused:
        station(sb, A, old).connect()
    assert refused.value.reason == NOT_AUTHORIZED
    renewed = connect(station(sb, A, issued.new_passwords[A]))
    assert renewed.publish(f"{A_TOPICS}/events", b"with the new password") in ACCEPTED


def test_a_station_removed_from_the_roster_is_cut_off(
    secure_broker: SecureBroker, connect: Connect
) -> None:
    sb = secure_broker
    b = connect(station(sb, B))
    a = connect(station(sb, A))
    without_b = Roster(
        stations=tuple(s for s in sb.roster.stations if s.username != B),
        ingest=sb.roster.ingest,
        console=sb.roster.console,
    )
    issued = issue(without_b, sb.files, group=broker_group())
    assert issued.removed == (B,)
    assert issued.new_passwords == {}
    reload_broker(sb.wait_for_pid_file())
    b.wait_disconnected()
    with pytest.raises(Refused):
        station(sb, B).connect()
    assert a.publish(f"{A_TOPICS}/events", b"unaffected") in ACCEPTED
    assert a.disconnects == []
