"""Ingest processes on several hosts: each in a network namespace of its own
(:mod:`tests.server.netns`), reaching mosquitto and PostgreSQL over a private bridge, with 50
licensees' stations publishing. The hosts share the licensees out by leases
(``docs/architecture.md``, "Licensee ownership"); when one dies mid-load (its process killed,
or its link cut in the middle of a transaction), the others take its licensees over and every
event is still stored once, in its station's order, and answered. The hosts run with the
default settings.

Needs root (``ip netns``) and PostgreSQL's server programs (the hosts' PostgreSQL is a
cluster of the test's own, on the bridge); PostgreSQL only (SQLite runs one ingest process).
"""

import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.broker import PrivateBroker
from server.config import ServerSettings
from server.db.engine import make_engine, migrate
from server.ingest.ownership import holders
from tests.server.conftest import LICENCE, OTHER_LICENCE, add_staffed_licensee
from tests.server.netns import PG_PORT, Host, Lan, private_lan, unavailable
from tests.server.test_ingest_mqtt import _server
from tests.server.test_ownership import _answered, _under_load
from tests.sql import rows

pytestmark = [pytest.mark.broker, pytest.mark.postgres, pytest.mark.slow]

HOSTS = 3
LEASE_TIMEOUT_S = ServerSettings().lease_timeout_s  # the hosts run with the defaults
StartHosts = Callable[[int], list[subprocess.Popen[bytes]]]
# A cut-off host's licensees are taken over within this (its sessions end about
# lease_timeout_s after the cut, the others take the leases at their next check); without
# dead_peer_settings it was minutes (TCP's retransmissions, tcp_retries2) to hours (keepalive).
TAKEOVER_S = 3 * LEASE_TIMEOUT_S + 10
LICENSEES = [LICENCE, OTHER_LICENCE, *(f"OR-{n}" for n in range(4001, 4049))]  # 50


@pytest.fixture
def lan() -> Iterator[Lan]:
    reason = unavailable()
    if reason is not None:
        pytest.skip(reason)
    with private_lan(HOSTS) as made:
        yield made


@pytest.fixture
def lan_broker(lan: Lan) -> Iterator[PrivateBroker]:
    """mosquitto on the bridge address (the stations, in the root namespace, use it too)."""
    with PrivateBroker(host=lan.address) as broker:
        yield broker


@pytest.fixture
def lan_url(lan: Lan, clock: ManualClock) -> str:
    """A migrated database on the bridge's PostgreSQL with :data:`LICENSEES` registered."""
    url = lan.pg_database(f"seedtrace_hosts_{uuid.uuid4().hex[:8]}")
    engine = make_engine(url)
    try:
        migrate(engine)
        for licence in LICENSEES:
            add_staffed_licensee(engine, licence, f"Farm {licence}", "OR", clock)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def engine(lan_url: str) -> Iterator[Engine]:
    eng = make_engine(lan_url)
    yield eng
    eng.dispose()


@pytest.fixture
def start_hosts(lan: Lan, lan_broker: PrivateBroker, lan_url: str, tmp_path: Path) -> StartHosts:
    """Starts ``seedtrace server`` in each of the first ``count`` hosts, over the bridge (the
    test stops them; :func:`private_lan` kills what is left)."""

    def start(count: int) -> list[subprocess.Popen[bytes]]:
        log = tmp_path / "hosts.log"
        return [
            _server(lan_broker, lan_url, f"host-{n}", log, host.prefix)
            for n, host in enumerate(lan.hosts[:count], 1)
        ]

    return start


def _connects(lan: Lan, host: int, address: str, port: int) -> bool:
    probe = f"import socket; socket.create_connection(({address!r}, {port}), timeout=2)"
    done = subprocess.run(
        [*lan.hosts[host].prefix, sys.executable, "-c", probe], capture_output=True, check=False
    )
    return done.returncode == 0


def test_a_host_reaches_the_broker_and_postgresql_on_the_bridge_and_nothing_else(
    lan: Lan, lan_broker: PrivateBroker
) -> None:
    assert _connects(lan, 0, lan.address, lan_broker.port)
    assert _connects(lan, 0, lan.address, PG_PORT)
    # The host's loopback is its own: the machine's services are out of its reach.
    assert not _connects(lan, 0, "127.0.0.1", lan_broker.port)
    # Seen from the machine, the broker and PostgreSQL listen on the bridge alone.
    for port in (lan_broker.port, PG_PORT):
        with (
            pytest.raises(ConnectionRefusedError),
            socket.create_connection(("127.0.0.2", port), 1),
        ):
            pass


def _sessions(engine: Engine) -> list[tuple[object, ...]]:
    """What PostgreSQL's sessions of the test database are doing (for a failure message)."""
    sessions = rows(
        engine,
        "SELECT pid, client_addr, state, wait_event_type, wait_event, state_change,"
        " pg_blocking_pids(pid), left(query, 60) FROM pg_stat_activity"
        " WHERE datname = current_database()",
    )
    return [tuple(r) for r in sessions]


@pytest.mark.parametrize("count", [2, 3])
def test_ingest_hosts_share_fifty_licensees_and_answer_every_event_once_in_order(
    count: int, engine: Engine, lan_broker: PrivateBroker, start_hosts: StartHosts
) -> None:
    servers = start_hosts(count)
    # No station resends (nothing is lost to resend for): each event gets exactly one ack.
    with _under_load(engine, lan_broker, servers, LICENSEES, 60, 4, resend_s=600.0) as floors:
        found = holders(engine)
        assert len(set(found.owner.values())) == count  # every host owns licensees
        assert len(found.owner) == len(LICENSEES)
    for f in floors:
        assert all(len(acks) == 1 for acks in f.outcomes.values()), f.station.station_id
        assert f.order == sorted(f.order), f.station.station_id  # acks in the station's order


def test_a_host_killed_mid_load_hands_its_licensees_over_and_loses_nothing(
    engine: Engine, lan_broker: PrivateBroker, start_hosts: StartHosts
) -> None:
    """One host's ingest process gets SIGKILL mid-load (its kernel closes its connections:
    PostgreSQL ends its session at once). Stations resend what has no ack after 3 s."""
    servers = start_hosts(HOSTS)
    with _under_load(engine, lan_broker, servers, LICENSEES, 100, 3) as floors:
        before = holders(engine)
        servers[0].send_signal(signal.SIGKILL)
        servers[0].wait(10)
        total = sum(len(f.events) for f in floors)
        assert _answered(floors) < total, "the load was over before the host died: nothing tested"
        give_up = time.monotonic() + LEASE_TIMEOUT_S + 25
        while True:  # the two survivors hold every licensee
            found = holders(engine)
            if found.members == HOSTS - 1 and len(found.owner) == len(LICENSEES):
                break
            assert time.monotonic() < give_up, f"no takeover: {found}; {_sessions(engine)}"
            time.sleep(0.1)
        gone = set(before.owner.values()) - set(found.owner.values())
        assert len(gone) == 1  # the dead host's session, whose licensees the others now own
        assert any(pid in gone for pid in before.owner.values())  # it owned licensees


def _in_transaction(engine: Engine, pid: int) -> bool:
    """Whether PostgreSQL's session ``pid`` is in a transaction."""
    states = rows(engine, "SELECT state FROM pg_stat_activity WHERE pid = :pid", pid=pid)
    return any(r[0] in ("active", "idle in transaction") for r in states)


def _sessions_from(engine: Engine, address: str) -> list[int]:
    sessions = rows(
        engine,
        "SELECT pid FROM pg_stat_activity WHERE client_addr = CAST(:a AS inet)",
        a=address,
    )
    return [int(r[0]) for r in sessions]


def _cut_mid_transaction(engine: Engine, victim: Host, lease: int) -> float:
    """Cut ``victim``'s link while its session ``lease`` is in a transaction; returns when
    (``time.monotonic()``). A batch commits in milliseconds, so a cut can fall between two
    transactions: then the link is mended at once (TCP retransmits what it held back; the
    host notices nothing) and the cut tried again at its next transaction."""
    deadline = time.monotonic() + 30
    while True:
        while not _in_transaction(engine, lease):
            assert time.monotonic() < deadline, "the host's lease session never began a batch"
        victim.cut()
        cut_at = time.monotonic()
        if _in_transaction(engine, lease):  # left in it: nothing more arrives
            return cut_at
        victim.mend()
        assert time.monotonic() < deadline, "every cut fell between two transactions"


def test_a_host_cut_off_mid_transaction_hands_its_licensees_over_and_loses_nothing(
    engine: Engine, lan: Lan, lan_broker: PrivateBroker, start_hosts: StartHosts
) -> None:
    """A power cut: one host's link goes down while its lease session is in the middle of an
    ingest transaction (no FIN, no RST: PostgreSQL keeps its sockets open, the transaction
    holds its licensee rows and the leases), then its process is killed (which reaches
    nobody). Every session of that host ends within about the lease timeout
    (``server.db.engine.dead_peer_settings``), the others take its licensees over, and the
    stations' resends are decided once."""
    servers = start_hosts(HOSTS)
    victim = lan.hosts[0]
    with _under_load(engine, lan_broker, servers, LICENSEES, 100, 3) as floors:
        before = holders(engine)
        (lease,) = set(before.owner.values()) & set(_sessions_from(engine, victim.address))
        cut_at = _cut_mid_transaction(engine, victim, lease)
        servers[0].send_signal(signal.SIGKILL)
        servers[0].wait(10)
        total = sum(len(f.events) for f in floors)
        assert _answered(floors) < total, "the load was over before the host died: nothing tested"
        while True:  # the two survivors hold every licensee
            found = holders(engine)
            if found.members == HOSTS - 1 and len(found.owner) == len(LICENSEES):
                break
            waited = time.monotonic() - cut_at
            assert waited < TAKEOVER_S, (
                f"no takeover in {waited:.0f} s: {found}; {_sessions(engine)}"
            )
            time.sleep(0.1)
        assert _sessions_from(engine, victim.address) == []  # every session of it ended
        assert lease not in found.owner.values()
