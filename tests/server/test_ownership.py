"""Licensee ownership (PostgreSQL): leases shared out between ingest processes, taken over
when one dies, with every event stored once, in each station's order, and answered.

SQLite runs one ingest process (``docs/architecture.md``, "Licensee ownership"): these tests
are PostgreSQL's.
"""

import contextlib
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from edge.link import StationLink
from schemas.acks import Ack, Outcome
from schemas.clock import SYSTEM_CLOCK, ManualClock
from schemas.events import EventEnvelope
from schemas.ids import new_event_id
from schemas.topics import Channel, topic
from server.broker import PrivateBroker
from server.db.engine import make_engine
from server.ingest.ownership import Ownership, fair_share, holders
from server.ingest.pipeline import Reply
from server.ingest.routing import Routing
from tests.server.conftest import LICENCE, OTHER_LICENCE, add_staffed_licensee
from tests.server.floor import Station, batch_created, tagged, tags_received, uid
from tests.server.test_ingest_mqtt import _server, stop_servers, wait_settled
from tests.sql import count, rows

pytestmark = pytest.mark.broker  # the takeover test; the others need only PostgreSQL

MORE = [f"OR-{n}" for n in range(3001, 3005)]  # with the fixture's two: six licensees


def _add_licensees(engine: Engine, clock: ManualClock) -> list[str]:
    for licence in MORE:
        add_staffed_licensee(engine, licence, f"Farm {licence}", "OR", clock)
    return [LICENCE, OTHER_LICENCE, *MORE]


def _tend_until(ownership: Ownership, wanted: set[str], within_s: float = 10.0) -> set[str]:
    """Tend every 50 ms until ``wanted`` is owned or ``within_s`` has passed; what is owned."""
    end = time.monotonic() + within_s
    ownership.tend()
    while ownership.owned != wanted and time.monotonic() < end:
        time.sleep(0.05)
        ownership.tend()
    return ownership.owned


# SQLite runs one ingest process: no ownership to share. These run on PostgreSQL only (not
# skipped on SQLite: a skip fails CI).
POSTGRES_ONLY = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def test_fair_share_lets_the_processes_hold_every_licensee() -> None:
    for licensees in range(0, 60):
        for members in range(1, 8):
            assert fair_share(licensees, members) * members >= licensees
            assert fair_share(licensees, members) <= licensees // members + 1
    assert fair_share(5, 0) == 5  # before anyone has joined


@POSTGRES_ONLY
def test_a_second_process_takes_half_and_takes_all_when_the_first_is_gone(
    engine: Engine,
) -> None:
    first = Ownership(engine, lease_timeout_s=5)
    second = Ownership(engine, lease_timeout_s=5)
    try:
        first.tend()
        assert first.owned == {LICENCE, OTHER_LICENCE}  # alone: everything
        second.connection()  # joins: two members now
        first.tend()  # over its share of one: gives one back
        second.tend()
        assert len(first.owned) == len(second.owned) == 1
        assert first.owned | second.owned == {LICENCE, OTHER_LICENCE}
        assert holders(engine).settled
        # Its session ends (the process died): its lease goes with it, and the other takes
        # it on a check after PostgreSQL has ended the backend (which it does on its own
        # time once the socket closes: under load, not before the very next statement).
        first.lost()
        assert _tend_until(second, {LICENCE, OTHER_LICENCE}) == {LICENCE, OTHER_LICENCE}
    finally:
        first.close()
        second.close()


@POSTGRES_ONLY
def test_a_frozen_process_loses_its_leases_when_its_session_times_out(engine: Engine) -> None:
    frozen = Ownership(engine, lease_timeout_s=2)
    other = Ownership(engine, lease_timeout_s=30)
    try:
        frozen.tend()
        other.connection()
        assert other.tend().gained == set()  # everything is held
        # The frozen process sends nothing: PostgreSQL ends its session after 2 s, and the
        # other takes its licensees on a check after that.
        assert _tend_until(other, {LICENCE, OTHER_LICENCE}) == {LICENCE, OTHER_LICENCE}
        with pytest.raises(sa.exc.OperationalError):
            frozen.tend()  # it finds out on its next statement
        frozen.lost()
    finally:
        frozen.close()
        other.close()


@POSTGRES_ONLY
def test_a_hand_over_answers_each_event_once(engine: Engine, clock: ManualClock) -> None:
    """While a licensee changes hands both processes receive its events; the one that decides
    an event second stays quiet about it, unless the original is older than the hand-over
    (a station's resend, which is answered)."""
    routing = Routing(Ownership(engine, lease_timeout_s=30), "seedtrace-ingest", 1.0)
    try:
        assert routing.tend(clock.now()).gained == {LICENCE, OTHER_LICENCE}

        def reply(outcome: Outcome, received_at: datetime) -> Reply:
            return Reply(
                topic(LICENCE, "s1", Channel.ACKS),
                Ack(
                    event_id=new_event_id(),
                    sequence=1,
                    outcome=outcome,
                    original_outcome=Outcome.ACCEPTED if outcome is Outcome.DUPLICATE else None,
                    received_at=received_at,
                ),
            )

        assert routing.echo(reply(Outcome.DUPLICATE, clock.now()))  # the other's copy
        assert not routing.echo(reply(Outcome.DUPLICATE, clock.now() - timedelta(hours=1)))
        assert not routing.echo(reply(Outcome.ACCEPTED, clock.now()))
        # A station resending an event this process decided itself is answered.
        mine = reply(Outcome.ACCEPTED, clock.now())
        routing.decided(mine)
        resent = Reply(mine.topic, mine.ack.model_copy(update={"outcome": Outcome.DUPLICATE}))
        assert not routing.echo(resent)
        assert routing.echoes == 1
    finally:
        routing.ownership.close()


class _Floor:
    """One station publishing its events with at most ``window`` unacknowledged, resending
    what has no ack after ``resend_s`` (as the edge agent's outbox does)."""

    def __init__(self, broker: PrivateBroker, station: Station, events: list[EventEnvelope]):
        self.station = station
        self.events = events
        self.link = StationLink(
            station.licence, station.station_id, broker.host, broker.port, clock=SYSTEM_CLOCK
        )
        self.link.connect()
        # Per event, what each of its acks said it became: a duplicate's original outcome (the
        # event was stored before, e.g. by a process killed before it could answer).
        self.outcomes: dict[str, list[Outcome | None]] = {}
        self.order: list[int] = []  # sequences of first acks, in arrival order

    def run(
        self,
        stop: threading.Event,
        tail: threading.Event,
        window: int = 20,
        resend_s: float = 3.0,
        pace_s: float = 0,
        held: int = 0,
    ) -> None:
        """Publishes until every event has its answer or ``stop`` is set; the last ``held``
        events wait for ``tail`` (so a load outlasts what the test does under it)."""
        sent: dict[str, float] = {}
        by_id = {e.event_id: e for e in self.events}
        following = iter(self.events)
        published = 0
        while not stop.is_set() and len(self.outcomes) < len(self.events):
            while len(sent) < window:
                if published >= len(self.events) - held and not tail.is_set():
                    break
                event = next(following, None)
                if event is None:
                    break
                published += 1
                self.link.publish(event)
                sent[event.event_id] = time.monotonic()
                if pace_s:
                    time.sleep(pace_s)  # a floor at work, not a backlog
            try:
                ack = self.link.acks.get(timeout=0.2)
                if ack.event_id not in self.outcomes:
                    self.order.append(ack.sequence)
                decided = ack.original_outcome if ack.outcome is Outcome.DUPLICATE else ack.outcome
                self.outcomes.setdefault(ack.event_id, []).append(decided)
                sent.pop(ack.event_id, None)
            except queue.Empty:
                pass
            now = time.monotonic()
            for event_id, at in list(sent.items()):
                if now - at > resend_s:
                    self.link.publish(by_id[event_id])
                    sent[event_id] = now

    def close(self) -> None:
        self.link.close()


def _stream(station: Station, n: int, first_tag: int) -> list[EventEnvelope]:
    """Per pair: a new batch, then its two plants tagged (refused if it came first)."""
    events = [station.event(tags_received(first_tag, first_tag + n))]
    for i in range(n // 2):
        batch = f"B-{station.station_id}-{i}"
        events.append(station.event(batch_created(batch, 2)))
        tags = [uid(first_tag + 2 * i), uid(first_tag + 2 * i + 1)]
        events.append(station.event(tagged(batch, tags)))
    return events


def _load(
    broker: PrivateBroker,
    licences: list[str],
    per_station: int,
    stop: threading.Event,
    tail: threading.Event,
    **run: float,
) -> tuple[list[_Floor], list[threading.Thread]]:
    """One station per licensee (s0, s1, ...) publishing its :func:`_stream` (``per_station``
    tags: a batch and its two plants tagged per pair), each in its own thread, started
    (``run``: :meth:`_Floor.run`'s keywords)."""
    floors = [
        _Floor(broker, station, _stream(station, per_station, 10_000 * (k + 1)))
        for k, licence in enumerate(licences)
        for station in [Station(f"s{k}", licence)]
    ]
    threads = [
        threading.Thread(target=f.run, args=(stop, tail), kwargs=run, daemon=True) for f in floors
    ]
    for t in threads:
        t.start()
    return floors, threads


def _answered(floors: list[_Floor]) -> int:
    return sum(len(f.outcomes) for f in floors)


def _wait_answered(floors: list[_Floor], share: int) -> None:
    """Until one event in ``share`` of all the floors' events has its answer (at most 60 s)."""
    total = sum(len(f.events) for f in floors)
    deadline = time.monotonic() + 60
    while _answered(floors) < total // share:
        assert time.monotonic() < deadline, "the load did not get going"
        time.sleep(0.05)


@contextlib.contextmanager
def _under_load(
    engine: Engine,
    broker: PrivateBroker,
    servers: list[subprocess.Popen[bytes]],
    licences: list[str],
    per_station: int,
    share: int,
    **run: float,
) -> Iterator[list[_Floor]]:
    """Once ``servers`` share the licensees out, one station per licensee publishing its
    :func:`_load`; the body runs when one event in ``share`` has its answer, and each floor's
    last ``held`` events (a keyword of ``run``) wait for its end. Afterwards every event must
    be answered (within 120 s per station); then the floors and every server in
    ``servers`` (the body may add some) are stopped, and each event must be stored once,
    in its station's order."""
    floors: list[_Floor] = []
    stop = threading.Event()
    tail = threading.Event()
    try:
        # A give-up bound: a loaded machine takes its time starting the servers, whose first
        # deadline sweep holds back their first hand-over (docs/architecture.md).
        wait_settled(engine, len(servers), timeout=120)
        floors, threads = _load(broker, licences, per_station, stop, tail, **run)
        _wait_answered(floors, share)
        yield floors
        tail.set()
        for t in threads:
            t.join(120)
        assert not any(t.is_alive() for t in threads), "some events were never answered"
    finally:
        stop.set()
        stop_servers(servers)
        for f in floors:
            f.close()
    _check_every_event_once_in_order(engine, floors)


@pytest.fixture
def licences(engine: Engine, clock: ManualClock) -> list[str]:
    """The six licensees (:func:`_add_licensees`)."""
    return _add_licensees(engine, clock)


@pytest.fixture
def start_server(
    broker: PrivateBroker, database_url: str, tmp_path: Path
) -> Callable[[str], subprocess.Popen[bytes]]:
    """Starts an ingest-only ``seedtrace server`` with the client id given, on the test's
    database and broker; they all log to one file in the test's folder."""
    log = tmp_path / "servers.log"
    return lambda client_id: _server(broker, database_url, client_id, log)


@POSTGRES_ONLY
def test_an_ingest_process_killed_mid_load_loses_nothing_and_doubles_nothing(
    engine: Engine,
    broker: PrivateBroker,
    licences: list[str],
    start_server: Callable[[str], subprocess.Popen[bytes]],
) -> None:
    servers = [start_server(f"ingest-{n}") for n in range(3)]
    with _under_load(engine, broker, servers, licences, 160, 3):
        victim = servers[0]
        victim.send_signal(signal.SIGKILL)  # mid-load, holding leases, with events in hand
        victim.wait(10)
        killed_at = time.monotonic()
        while True:  # the two survivors hold every licensee again
            found = holders(engine)
            if found.members == 2 and len(found.owner) == len(licences):
                break
            assert time.monotonic() - killed_at < 10, f"no takeover: {found}"
            time.sleep(0.05)


@POSTGRES_ONLY
def test_processes_joining_mid_load_share_the_licensees_and_lose_nothing(
    engine: Engine,
    broker: PrivateBroker,
    licences: list[str],
    start_server: Callable[[str], subprocess.Popen[bytes]],
) -> None:
    servers = [start_server("ingest-0")]
    # Each floor's last 100 events wait until the hand-over is over, however long a loaded
    # machine takes to start the two processes: the new owners take them.
    with _under_load(engine, broker, servers, licences, 600, 10, pace_s=0.01, held=100) as floors:
        # Two more join while the first owns everything: it gives four licensees away.
        servers += [start_server(f"ingest-{n}") for n in (1, 2)]
        joined = _answered(floors)
        deadline = time.monotonic() + 60
        while not ((found := holders(engine)).members == 3 and found.settled):
            assert time.monotonic() < deadline, f"the leases did not settle: {found}"
            time.sleep(0.05)
        assert _answered(floors) > joined, "nothing was answered during the hand-over"
        assert len(set(found.owner.values())) == 3  # every process owns some


def _check_every_event_once_in_order(engine: Engine, floors: list["_Floor"]) -> None:
    # Every station got an answer for every event, and every event was accepted: a plant
    # tagged before its batch existed would have been refused (per-station order kept).
    for f in floors:
        assert len(f.outcomes) == len(f.events)
        decided = {o for outcomes in f.outcomes.values() for o in outcomes}
        assert decided == {Outcome.ACCEPTED}, f.station.station_id
    logged = rows(
        engine,
        "SELECT station_id, sequence, event_id, outcome FROM event_log "
        "WHERE station_id LIKE 's%' ORDER BY position",
    )
    held = count(engine, "SELECT count(*) FROM held_events")
    next_sequences = dict(
        rows(engine, "SELECT station_id, next_sequence FROM stations WHERE station_id LIKE 's%'")
    )
    # Stored exactly once each, nothing more.
    assert sorted(r.event_id for r in logged) == sorted(
        e.event_id for f in floors for e in f.events
    )
    assert {r.outcome for r in logged} == {"accepted"}
    # In each station's order in the log.
    for f in floors:
        sequences = [r.sequence for r in logged if r.station_id == f.station.station_id]
        assert sequences == list(range(1, len(f.events) + 1))
        assert next_sequences[f.station.station_id] == len(f.events) + 1
    assert held == 0


@POSTGRES_ONLY
def test_every_session_of_an_ingest_process_gives_up_a_vanished_peer_within_the_lease_timeout(
    database_url: str, engine: Engine
) -> None:
    """``seedtrace server``'s engine (``peer_timeout_s``) and the lease session (on any engine)
    carry the settings that end a session whose host vanished mid-transaction
    (tests/server/test_hosts.py cuts a host's link)."""
    wanted = {
        "tcp_user_timeout": "5000",  # ms
        "tcp_keepalives_idle": "2",  # s
        "tcp_keepalives_interval": "1",
        "tcp_keepalives_count": "3",
        "client_connection_check_interval": "1s",
    }

    def shown(conn: sa.Connection) -> dict[str, str]:
        return {name: str(conn.exec_driver_sql(f"SHOW {name}").scalar_one()) for name in wanted}

    ingest_engine = make_engine(database_url, peer_timeout_s=5.0)
    try:
        with ingest_engine.connect() as conn:
            assert shown(conn) == wanted
            # and the client's end of the socket: libpq's keepalives and user timeout
            client = cast(psycopg.Connection[Any], conn.connection.dbapi_connection)
            parameters = client.info.get_parameters()
            assert (parameters["keepalives_idle"], parameters["tcp_user_timeout"]) == ("2", "5000")
    finally:
        ingest_engine.dispose()
    with engine.connect() as conn:  # an engine made without: nothing of the kind
        assert shown(conn)["tcp_user_timeout"] == "0"
    ownership = Ownership(engine, lease_timeout_s=5.0)
    try:
        assert shown(ownership.connection()) == wanted
    finally:
        ownership.close()
