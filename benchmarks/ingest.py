"""Ingest benchmark: stations -> mosquitto -> ``seedtrace server`` -> acks, against the bare broker.

Run: ``.venv/bin/python benchmarks/ingest.py [--events N] [--stations 10] [--db both]``
(``--db`` is ``sqlite``, ``postgresql`` or ``both``; ``--help`` lists the rest). It prints a
markdown report on stdout (progress on stderr) and stops everything it started (brokers,
server processes, temporary databases), also on error or Ctrl-C.

Everything stays on 127.0.0.1. Each scenario gets a fresh :class:`~server.broker.PrivateBroker`
(so no persistent session of an earlier scenario sits in the shared group) and a fresh database:

- **bare broker**: the ceiling. A subscriber process (this file with ``--echo-port``) in the
  shared group answers every event with a fixed, pre-serialised ack on the station's ack
  topic; it reads nothing but the topic and touches no database.
- **seedtrace**: the real ``seedtrace server`` subprocess(es) (what production runs) on a
  temporary SQLite file, or on a fresh PostgreSQL database ``seedtrace_bench_<pid>_<n>``
  (dropped at the end), migrated and with the licensees registered first. One more row per
  database with ``--processes`` ingest processes (different ``--client-id``): on PostgreSQL
  they share the licensees out by leases (``docs/architecture.md``, "Licensee ownership"),
  and the measurement starts once the leases have settled; on SQLite they join one shared
  subscription and take turns on the database.

Each scenario measures, in this order:

1. **Throughput**: ``--stations`` :class:`~edge.link.StationLink` s (TCP_NODELAY) in this
   process, one publisher thread each, publish their events QoS 1 with at most ``--window``
   unacknowledged events each (paho message ids are 16 bit). The events are realistic and
   must all be *accepted* by the rules: per station a roll of tags (``tags.received``), then
   cycles of ``plant_batch.created`` (50 plants), ``plants.tagged``, ``plants.phase_changed``
   to flowering and one ``plant.harvested`` per plant with a stable scale reading equal to the
   wet weight; each station has its own UIDs, batch ids and sequence numbers from 1. The rate
   is accepted events / (last ack received - first publish). Any rejected, unexpected or
   missing ack makes the scenario **failed**: no number is reported for it.
2. **Ack round trip of a single scan**: one more station sets up flowering plants, then
   publishes one ``plant.harvested`` at a time and waits for its ack: p50 and p99.
3. **Backlog drain**: one more station publishes ``--backlog`` events (default 10,000) at
   once, as a station does when it comes back from an outage with a full outbox: seconds
   from the first publish to the last ack.

For seedtrace, each phase also reports the **database round trips per event**: the servers
run under ``benchmarks/counted_server.py``, which counts every statement, COMMIT, BEGIN and
pre-ping probe its engines send (SQLAlchemy events), read before and after the phase, and,
for the throughput phase, how many events the servers **held** for an earlier sequence (an
event dealt to a process other than the one deciding its station's previous events: 0 with
licensee ownership).

Nothing here asserts a timing: this is measurement. Compare ratios within one run; these
machines are noisy (``docs/platform-facts.md``).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import platform
import queue
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from importlib.metadata import version
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from edge.link import LinkError, StationLink  # noqa: E402
from schemas.acks import Ack, Outcome  # noqa: E402
from schemas.clock import SYSTEM_CLOCK  # noqa: E402
from schemas.events import (  # noqa: E402
    EventEnvelope,
    Payload,
    PlantBatchCreated,
    PlantHarvested,
    PlantOrigin,
    PlantPhase,
    PlantsPhaseChanged,
    PlantsTagged,
    ScaleReading,
    TagsReceived,
    TagType,
)
from schemas.ids import new_event_id  # noqa: E402
from schemas.topics import EVENTS_FILTER  # noqa: E402
from schemas.weights import Unit, Weight  # noqa: E402

HOST = "127.0.0.1"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
PG_START_HINT = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
PLANTS_PER_BATCH = 50  # a cultivation batch holds at most 100 (BATCH-MAX-100)
ROLL_SIZE = 1000  # tags per tags.received roll
PHASE_CHUNK = 500  # plants.phase_changed lists at most 500 UIDs
TAG_CHUNK = 100  # plants.tagged lists at most 100 UIDs
SERVER_READY = "connected to"
ECHO_READY = "echo ready"


# The stations' operator: registered and trained per licensee (USER-AUTHORISED).
OPERATOR = "op-bench"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# Events ------------------------------------------------------------------------------------


class Floor:
    """One station's realistic, valid event stream: its own UIDs, batches and sequence."""

    def __init__(self, licence: str, station_id: str, station_no: int, host: str = HOST) -> None:
        self.licence = licence
        self.host = host  # the broker's address
        self.station_id = station_id
        self.uid_prefix = f"1A4FF{station_no:03d}"  # 8 characters, then a 16-digit counter
        self.sequence = itertools.count(1)
        self.next_uid = 1
        self.free_uids: list[str] = []
        self.batches = itertools.count(1)

    def link(self, port: int, on_ack: Callable[[Ack], None]) -> StationLink:
        """This station's link to the broker on ``port``; acks go to ``on_ack`` (paho's
        network thread)."""
        return StationLink(
            self.licence,
            self.station_id,
            self.host,
            port,
            client_id=f"bench-{self.station_id}",
            on_ack=on_ack,
            clock=SYSTEM_CLOCK,
        )

    def event(self, payload: Payload, device_id: str | None = None) -> EventEnvelope:
        return EventEnvelope(
            event_id=new_event_id(),
            licence=self.licence,
            station_id=self.station_id,
            device_id=device_id,
            operator_id=OPERATOR,
            sequence=next(self.sequence),
            occurred_at=datetime.now(UTC),
            payload=payload,
        )

    def receive_roll(self, size: int) -> EventEnvelope:
        first, last = self.next_uid, self.next_uid + size - 1
        self.next_uid += size
        uids = [f"{self.uid_prefix}{n:016d}" for n in range(first, last + 1)]
        self.free_uids.extend(uids)
        return self.event(TagsReceived(tag_type=TagType.PLANT, first=uids[0], last=uids[-1]))

    def new_batch(self, count: int) -> tuple[str, EventEnvelope]:
        batch_id = f"B-{self.station_id}-{next(self.batches)}"
        return batch_id, self.event(
            PlantBatchCreated(
                batch_id=batch_id,
                origin=PlantOrigin.CLONE,
                count=count,
                strain="Blue Dream",
                location="Veg Room 1",
            )
        )

    def tag(self, batch_id: str, count: int) -> tuple[list[str], EventEnvelope]:
        uids, self.free_uids = self.free_uids[:count], self.free_uids[count:]
        return uids, self.event(PlantsTagged(batch_id=batch_id, uids=uids))

    def flower(self, uids: list[str]) -> EventEnvelope:
        return self.event(
            PlantsPhaseChanged(uids=uids, phase=PlantPhase.FLOWERING, location="Flower Room 2")
        )

    def harvest(self, uid: str, harvest_batch: str, grams: Decimal) -> EventEnvelope:
        weight = Weight(value=grams, unit=Unit.G)
        frame = f"S S {grams:>10} g\r\n".encode()  # an MT-SICS stable weight line
        reading = ScaleReading(
            device_id="scale-1",
            weight=weight,
            stable=True,
            raw_hex=frame.hex(),
            read_at=datetime.now(UTC),
        )
        return self.event(
            PlantHarvested(
                uid=uid,
                harvest_batch=harvest_batch,
                wet_weight=weight,
                scale_reading=reading,
                location="Harvest Room",
            ),
            device_id="scale-1",
        )

    def stream(self, count: int) -> list[EventEnvelope]:
        """``count`` events: rolls of tags, then batch -> tag -> flower -> harvest cycles."""
        events: list[EventEnvelope] = []
        while len(events) < count:
            remaining = count - len(events)
            if remaining < 4:  # too few for a cycle: new batches (valid on their own)
                events.append(self.new_batch(10)[1])
                continue
            plants = min(PLANTS_PER_BATCH, remaining - 3)
            if len(self.free_uids) < plants:
                events.append(self.receive_roll(ROLL_SIZE))
                continue
            batch_id, created = self.new_batch(plants)
            uids, tagged = self.tag(batch_id, plants)
            events += [created, tagged, self.flower(uids)]
            events += [
                self.harvest(uid, f"H-{batch_id}", Decimal(700 + i) + Decimal("0.25"))
                for i, uid in enumerate(uids)
            ]
        return events

    def flowering_plants(self, count: int) -> tuple[list[EventEnvelope], list[str]]:
        """Events that leave ``count`` flowering plants (for single-scan harvests)."""
        events = [self.receive_roll(count)]
        uids: list[str] = []
        for start in range(0, count, TAG_CHUNK):
            batch_id, created = self.new_batch(min(TAG_CHUNK, count - start))
            tagged_uids, tagged = self.tag(batch_id, min(TAG_CHUNK, count - start))
            events += [created, tagged]
            uids += tagged_uids
        events += [self.flower(uids[i : i + PHASE_CHUNK]) for i in range(0, count, PHASE_CHUNK)]
        return events, uids


# Processes and databases -------------------------------------------------------------------


def stop_process(proc: subprocess.Popen[Any], timeout: float = 15.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_for_line(path: Path, text: str, proc: subprocess.Popen[Any], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = path.read_text(errors="replace") if path.exists() else ""
        if text in content:
            return
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}:\n{content[-2000:]}")
        time.sleep(0.05)
    raise RuntimeError(f"{proc.args!r} was not ready within {timeout} s (see {path})")


@dataclass
class Servers:
    logs: list[Path]
    counts: list[Path]  # each server's round-trip count (benchmarks/counted_server.py)

    def round_trips(self) -> int:
        return self._sum(0)

    def held(self) -> int:
        """Events the servers held for an earlier sequence (dealt out of order)."""
        return self._sum(1)

    def _sum(self, field: int) -> int:
        total = 0
        for path in self.counts:
            with contextlib.suppress(OSError, ValueError, IndexError):
                total += int(path.read_text().split()[field])
        return total


@contextlib.contextmanager
def ingest_servers(
    url: str,
    port: int,
    count: int,
    workdir: Path,
    profile: Path | None,
    *,
    mqtt_host: str = HOST,
    prefixes: Sequence[Sequence[str]] = (),
) -> Iterator[Servers]:
    """``count`` ``seedtrace server`` processes, their round trips counted; process n runs
    under ``prefixes[n - 1]`` when given (another host: ``ip netns exec NAME``)."""
    counted = Path(__file__).resolve().parent / "counted_server.py"
    procs: list[subprocess.Popen[bytes]] = []
    servers = Servers([], [])
    logs = servers.logs
    try:
        for n in range(1, count + 1):
            servers.counts.append(workdir / f"ingest-{n}.count")
            command = [
                str(counted),
                str(servers.counts[-1]),
                "server",
                "--database-url",
                url,
                "--mqtt-host",
                mqtt_host,
                "--mqtt-port",
                str(port),
                "--client-id",
                f"bench-ingest-{n}",
                "--no-api",
                "--no-migrate",
            ]
            if profile is not None:
                out = profile / f"{workdir.name}-ingest-{n}.prof"
                command = ["-m", "cProfile", "-o", str(out), *command]
            command = [*(prefixes[n - 1] if prefixes else ()), sys.executable, *command]
            logs.append(workdir / f"ingest-{n}.log")
            with logs[-1].open("wb") as sink:
                procs.append(
                    subprocess.Popen(
                        command,
                        stdin=subprocess.DEVNULL,
                        stdout=sink,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,  # Ctrl-C reaches us; we stop it in order
                    )
                )
        for proc, path in zip(procs, logs, strict=True):
            wait_for_line(path, SERVER_READY, proc, timeout=60)
        if url.startswith("postgresql"):
            wait_for_ownership(url, count)
        yield servers
    finally:
        for proc in procs:
            stop_process(proc)


def wait_for_ownership(url: str, processes: int, timeout: float = 60) -> None:
    """PostgreSQL: until the processes have shared the licensees out (their leases), and the
    hand-over is over (previous holders unsubscribe within a lease check)."""
    from server.db.engine import make_engine
    from server.ingest.ownership import holders

    engine = make_engine(url)
    try:
        deadline = time.monotonic() + timeout
        while True:
            found = holders(engine)
            if found.members >= processes and found.settled:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the licensee leases did not settle: {found}")
            time.sleep(0.1)
    finally:
        engine.dispose()
    time.sleep(2.5)


@contextlib.contextmanager
def echo_subscriber(port: int, workdir: Path) -> Iterator[None]:
    path = workdir / "echo.log"
    with path.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--echo-port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_line(path, ECHO_READY, proc, timeout=30)
        yield
    finally:
        stop_process(proc)


def no_delay(_client: mqtt.Client, _userdata: Any, sock: Any) -> None:
    # Nagle + delayed ACK cost ~88 ms per QoS 1 round trip (docs/platform-facts.md).
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def run_echo(port: int) -> None:
    """The bare-broker subscriber: one fixed ack per event, to the station's ack topic."""
    ack = Ack(
        event_id=None, sequence=None, outcome=Outcome.ACCEPTED, received_at=datetime.now(UTC)
    ).model_dump_json()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-echo", protocol=mqtt.MQTTv5)
    client.on_socket_open = no_delay

    def on_connect(c: mqtt.Client, _u: Any, _f: Any, _r: Any, _p: Any) -> None:
        c.subscribe(f"$share/bench-echo/{EVENTS_FILTER}", qos=1)

    def on_subscribe(_c: mqtt.Client, _u: Any, _m: Any, _r: Any, _p: Any) -> None:
        print(ECHO_READY, flush=True)

    def on_message(c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        c.publish(message.topic.removesuffix("/events") + "/acks", ack, qos=1)

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.connect(HOST, port)
    client.loop_start()
    stop.wait()
    client.disconnect()
    client.loop_stop()


# The time zone each jurisdiction's benchmark licensees keep.
ZONES = {"OR": "America/Los_Angeles", "CA": "America/Los_Angeles", "CT": "America/New_York"}


def prepare_database(
    url: str, licences: Sequence[str], jurisdiction: Callable[[str], str] = lambda _: "OR"
) -> None:
    """``seedtrace db upgrade``, ``seedtrace licensees add`` and ``seedtrace users add`` (an
    account manager, then the stations' trained operator), as Python calls. ``jurisdiction``:
    each licence's (OR, CA or CT); Oregon by default."""
    from datetime import date

    from server.db.engine import make_engine, migrate
    from server.ingest.users import register_user
    from server.store.licensees import add_licensee

    engine = make_engine(url)
    try:
        migrate(engine)
        for licence in licences:
            add_licensee(
                engine,
                licence=licence,
                name=f"Benchmark Farms {licence}",
                jurisdiction=jurisdiction(licence),
                timezone=ZONES[jurisdiction(licence)],
                now=SYSTEM_CLOCK.now(),
            )
            trained = date(2024, 1, 15)
            register_user(
                engine,
                licence,
                "am-bench",
                "Bench Manager",
                "account_manager",
                trained,
                "State",
                clock=SYSTEM_CLOCK,
            )
            register_user(
                engine,
                licence,
                OPERATOR,
                "Bench Operator",
                "user",
                trained,
                "Bench Manager",
                operator_id="am-bench",
                clock=SYSTEM_CLOCK,
            )
    finally:
        engine.dispose()


@contextlib.contextmanager
def postgres_database(name: str) -> Iterator[str]:
    import psycopg
    from psycopg import sql

    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def postgres_ready() -> bool:
    exe = shutil.which("pg_isready") or "/usr/bin/pg_isready"
    if not Path(exe).exists():
        return False
    return subprocess.run([exe, "-q", "-h", HOST], check=False).returncode == 0


# Stations ----------------------------------------------------------------------------------


class WindowedStation:
    """A station publishing its events with at most ``window`` unacknowledged."""

    def __init__(
        self,
        floor: Floor,
        events: list[EventEnvelope],
        port: int,
        *,
        window: int,
        check_ids: bool,
    ) -> None:
        self.payloads = [(e.event_id, e.model_dump_json().encode()) for e in events]
        self.check_ids = check_ids
        self.window = threading.Semaphore(window)
        self.lock = threading.Lock()
        self.pending: set[str] = set()
        self.outstanding = 0
        self.answered = 0
        self.accepted = 0
        self.problems: list[str] = []
        self.first_publish = 0.0
        self.last_ack = 0.0
        self.accepted_at: list[float] = []  # perf_counter() of each accepted event's ack
        self.link = floor.link(port, self._on_ack)

    def _on_ack(self, ack: Ack) -> None:  # paho's network thread
        now = time.perf_counter()
        with self.lock:
            if self.check_ids:
                if ack.event_id not in self.pending:
                    self._problem(f"ack for an event not in flight: {ack.event_id} {ack.outcome}")
                    return
                self.pending.discard(ack.event_id)
            elif self.outstanding == 0:
                self._problem("ack with nothing in flight")
                return
            self.outstanding -= 1
            self.answered += 1
            self.last_ack = now
            if ack.outcome is Outcome.ACCEPTED:
                self.accepted += 1
                self.accepted_at.append(now)
            else:
                why = "; ".join(f"{v.rule_id}: {v.message}" for v in ack.violations)
                self._problem(f"event {ack.sequence} {ack.outcome}: {why}")
        self.window.release()

    def _problem(self, text: str) -> None:
        if len(self.problems) < 5:
            short = text if len(text) <= 300 else text[:300] + "..."
            self.problems.append(f"{self.link.station_id}: {short}")

    def publish_all(self, go: threading.Event, stop: threading.Event) -> None:
        go.wait()
        for event_id, payload in self.payloads:
            while not self.window.acquire(timeout=0.5):
                if stop.is_set():
                    return
            with self.lock:
                self.pending.add(event_id)
                self.outstanding += 1
                if not self.first_publish:
                    self.first_publish = time.perf_counter()
            try:
                self.link.publish_raw(payload)
            except LinkError as err:
                with self.lock:
                    self._problem(str(err))
                return


@dataclass
class Throughput:
    events: int
    accepted: int
    seconds: float
    problems: list[str]
    began: float = 0.0  # perf_counter() of the first publish
    accepted_at: list[float] = field(default_factory=list)  # perf_counter() of each acceptance

    @property
    def ok(self) -> bool:
        return not self.problems and self.accepted == self.events

    @property
    def rate(self) -> float:
        return self.accepted / self.seconds if self.seconds > 0 else 0.0

    def rate_until(self, moment: float) -> float | None:
        """Events accepted per second from the first publish until ``moment`` (a
        perf_counter() reading; the last ack when that came first); None when ``moment`` is
        before the first publish."""
        end = min(moment, self.began + self.seconds)
        if end <= self.began:
            return None
        return sum(1 for t in self.accepted_at if t <= end) / (end - self.began)


def measure_throughput(
    floors: list[Floor], events_each: int, port: int, *, window: int, check_ids: bool, stall: float
) -> Throughput:
    stations = [
        WindowedStation(f, f.stream(events_each), port, window=window, check_ids=check_ids)
        for f in floors
    ]
    go, stop = threading.Event(), threading.Event()
    threads = [
        threading.Thread(target=s.publish_all, args=(go, stop), daemon=True) for s in stations
    ]
    total = sum(len(s.payloads) for s in stations)
    with contextlib.ExitStack() as links:
        for s in stations:
            s.link.connect()
            links.callback(s.link.close)
        for t in threads:
            t.start()
        go.set()
        last_seen, last_progress = -1, time.monotonic()
        while True:  # ends when everything is answered, or nothing moved for `stall` s
            answered = sum(s.answered for s in stations)
            if answered >= total:
                break
            if answered != last_seen:
                last_seen, last_progress = answered, time.monotonic()
            elif time.monotonic() - last_progress > stall:
                break
            time.sleep(0.05)
        stop.set()
        for t in threads:
            t.join(timeout=5)
    problems = [p for s in stations for p in s.problems]
    accepted = sum(s.accepted for s in stations)
    if accepted < total and not problems:
        problems.append(f"{total - accepted} of {total} events got no ack within {stall} s")
    began = min(s.first_publish for s in stations)
    seconds = max(s.last_ack for s in stations) - began
    times = sorted(t for s in stations for t in s.accepted_at)
    return Throughput(total, accepted, seconds, problems, began, times)


@dataclass
class Latency:
    samples: list[float] = field(default_factory=list)  # seconds
    problems: list[str] = field(default_factory=list)
    round_trips: int | None = None  # over the measured scans

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.samples, n=100, method="inclusive")[p - 1]


class AckWaiter:
    """A station that publishes one event and waits for its ack, timestamped on arrival."""

    def __init__(self, floor: Floor, port: int, *, check_ids: bool) -> None:
        self.check_ids = check_ids
        self.acks: queue.Queue[tuple[float, Ack]] = queue.Queue()
        self.link = floor.link(port, lambda ack: self.acks.put((time.perf_counter(), ack)))

    def round_trip(self, event_id: str, payload: bytes, timeout: float) -> tuple[float, Ack]:
        """Seconds from publish to this event's ack (acks for other events are skipped)."""
        start = time.perf_counter()
        self.link.publish_raw(payload)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no ack for {event_id} within {timeout} s")
            try:
                at, ack = self.acks.get(timeout=remaining)
            except queue.Empty:
                continue
            if not self.check_ids or ack.event_id == event_id:
                return at - start, ack


def measure_latency(
    floor: Floor,
    samples: int,
    port: int,
    *,
    check_ids: bool,
    round_trips: Callable[[], int] | None = None,
) -> Latency:
    setup, uids = floor.flowering_plants(samples)
    scans = [floor.harvest(uid, "H-single-scan", Decimal("812.50")) for uid in uids]
    result = Latency()
    waiter = AckWaiter(floor, port, check_ids=check_ids)
    waiter.link.connect()
    try:
        for measured, events in ((False, setup), (True, scans)):
            before = None if round_trips is None or not measured else round_trips()
            for event in events:
                payload = event.model_dump_json().encode()
                try:
                    seconds, ack = waiter.round_trip(event.event_id, payload, timeout=30)
                except TimeoutError as err:
                    result.problems.append(str(err))
                    return result
                if ack.outcome is not Outcome.ACCEPTED:
                    result.problems.append(f"event {event.sequence}: {ack.outcome}")
                    return result
                if measured:
                    result.samples.append(seconds)
            if before is not None and round_trips is not None:
                time.sleep(0.3)  # the count file is written every 0.1 s
                result.round_trips = round_trips() - before
    finally:
        waiter.link.close()
    return result


def probe(floor: Floor, port: int, *, check_ids: bool, count: int) -> None:
    """Wait until events get answered end to end (also warms the server up). A probe that
    went unanswered (published before a subscription existed) is published again."""
    waiter = AckWaiter(floor, port, check_ids=check_ids)
    waiter.link.connect()
    try:
        for _ in range(count):
            _, event = floor.new_batch(1)
            payload = event.model_dump_json().encode()
            for _attempt in range(30):
                try:
                    waiter.round_trip(event.event_id, payload, timeout=2)
                    break
                except TimeoutError:
                    continue
            else:
                raise RuntimeError("no answer to the probe events within 60 s")
    finally:
        waiter.link.close()


# Scenarios ---------------------------------------------------------------------------------

BARE = "bare broker"
SEEDTRACE = "seedtrace"


@dataclass
class Options:
    events: int
    stations: int
    licensees: int
    window: int
    samples: int
    backlog: int
    stall: float
    profile: Path | None


@dataclass
class Row:
    path: str  # BARE or SEEDTRACE
    database: str  # "-", "SQLite" or "PostgreSQL"
    processes: int
    throughput: Throughput | None = None
    latency: Latency | None = None
    backlog: Throughput | None = None
    error: str | None = None
    server_errors: int = 0
    throughput_round_trips: int | None = None
    throughput_held: int | None = None
    backlog_round_trips: int | None = None

    @property
    def label(self) -> str:
        return f"{self.path} / {self.database} / {self.processes} process(es)"

    @property
    def failure(self) -> str | None:
        if self.error is not None:
            return self.error
        if self.throughput is not None and not self.throughput.ok:
            t = self.throughput
            return f"{t.accepted} of {t.events} accepted: " + "; ".join(t.problems[:3])
        if self.latency is not None and self.latency.problems:
            return "single scan: " + "; ".join(self.latency.problems[:3])
        if self.backlog is not None and not self.backlog.ok:
            b = self.backlog
            return f"backlog: {b.accepted} of {b.events} accepted: " + "; ".join(b.problems[:3])
        if self.throughput is None or self.latency is None or self.backlog is None:
            return "not measured"
        return None


@contextlib.contextmanager
def answering_side(
    row: Row, port: int, licences: list[str], workdir: Path, opts: Options
) -> Iterator[Servers]:
    """The echo subscriber, or a fresh database and ``row.processes`` ingest servers."""
    if row.path == BARE:
        with echo_subscriber(port, workdir):
            yield Servers([], [])
        return
    with contextlib.ExitStack() as stack:
        if row.database == "SQLite":
            url = f"sqlite:///{workdir / 'bench.db'}"
        else:
            name = f"seedtrace_bench_{os.getpid()}_{workdir.name}"
            url = stack.enter_context(postgres_database(name))
        prepare_database(url, licences)
        yield stack.enter_context(ingest_servers(url, port, row.processes, workdir, opts.profile))


def run_scenario(row: Row, opts: Options, workdir: Path) -> Row:
    """Throughput, then single-scan round trips, on a broker and database of its own."""
    from server.broker import PrivateBroker

    licences = [f"BENCH-{n:02d}" for n in range(1, opts.licensees + 1)]
    floors = [
        Floor(licences[i % len(licences)], f"st{i + 1:02d}", i + 1) for i in range(opts.stations)
    ]
    check_ids = row.path == SEEDTRACE
    workdir.mkdir(parents=True)
    try:
        with (
            PrivateBroker() as broker,
            answering_side(row, broker.port, licences, workdir, opts) as servers,
        ):
            log(f"{row.label}: waiting for answers")
            prober = Floor(licences[0], "probe", 998)
            probe(prober, broker.port, check_ids=check_ids, count=3 * row.processes)
            log(f"{row.label}: throughput, {opts.stations} stations x {opts.events} events")
            counted = bool(servers.counts)
            measure = partial(
                counted_throughput, servers, port=broker.port, opts=opts, check_ids=check_ids
            )
            row.throughput, row.throughput_round_trips, row.throughput_held = measure(
                floors, opts.events, window=opts.window
            )
            log(f"{row.label}: {row.throughput.rate:.0f} events/s; single scans")
            single = Floor(licences[0], "single", 999)
            row.latency = measure_latency(
                single,
                opts.samples,
                broker.port,
                check_ids=check_ids,
                round_trips=servers.round_trips if counted else None,
            )
            log(f"{row.label}: backlog of {opts.backlog} events from one station")
            backlog = [Floor(licences[0], "backlog", 997)]
            row.backlog, row.backlog_round_trips, _ = measure(
                backlog, opts.backlog, window=opts.backlog
            )
            for path in servers.logs:
                text = path.read_text(errors="replace")
                row.server_errors += len(re.findall(r" (?:ERROR|CRITICAL) ", text))
    except (RuntimeError, OSError, LinkError) as err:
        row.error = f"{type(err).__name__}: {err}"
    if row.failure is not None:
        log(f"{row.label}: FAILED: {row.failure}")
    return row


def counted_throughput(
    servers: Servers,
    floors: list[Floor],
    events_each: int,
    port: int,
    opts: Options,
    *,
    window: int,
    check_ids: bool,
) -> tuple[Throughput, int | None, int | None]:
    """:func:`measure_throughput`, with the database round trips it took and the events the
    servers held for an earlier sequence (both None when the servers do not count them)."""
    counted = bool(servers.counts)
    before = settled(servers) if counted else 0
    held_before = servers.held()
    result = measure_throughput(
        floors, events_each, port, window=window, check_ids=check_ids, stall=opts.stall
    )
    if not counted:
        return result, None, None
    return result, settled(servers) - before, servers.held() - held_before


def settled(servers: Servers) -> int:
    """The servers' round-trip count, once the count files have caught up."""
    time.sleep(0.3)  # they are written every 0.1 s
    return servers.round_trips()


def plan(db: str, processes: int) -> list[Row]:
    rows = [Row(BARE, "-", 1)]
    if db in ("sqlite", "both"):
        rows += [Row(SEEDTRACE, "SQLite", 1), Row(SEEDTRACE, "SQLite", processes)]
    if db in ("postgresql", "both"):
        rows += [Row(SEEDTRACE, "PostgreSQL", 1), Row(SEEDTRACE, "PostgreSQL", processes)]
    return rows


# Report ------------------------------------------------------------------------------------


def environment() -> list[str]:
    from server.config import ServerSettings

    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    try:
        out = subprocess.run([mosquitto, "-h"], capture_output=True, text=True, check=False)
        mosq = out.stdout.splitlines()[0].removeprefix("mosquitto version ")
    except (OSError, IndexError):
        mosq = "unknown"
    pg = "not reachable"
    if postgres_ready():
        import psycopg

        with psycopg.connect(PG_ADMIN) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            pg = str(row[0]).split()[0] if row else "unknown"
    import sqlite3

    settings = ServerSettings()
    return [
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}",
        f"- Versions: Python {platform.python_version()}, paho-mqtt {version('paho-mqtt')}, "
        f"mosquitto {mosq}, PostgreSQL {pg}, SQLite {sqlite3.sqlite_version}, "
        f"SQLAlchemy {version('sqlalchemy')}, psycopg {version('psycopg')}",
        f"- Ingest settings: batch_size {settings.batch_size}, "
        f"batch_wait_ms {settings.batch_wait_ms:g}",
    ]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def per(round_trips: int | None, events: int) -> str:
    return "-" if round_trips is None or events == 0 else f"{round_trips / events:.2f}"


def report(rows: list[Row], opts: Options, command: str, env: list[str]) -> str:
    bare = rows[0] if rows and rows[0].path == BARE and rows[0].failure is None else None
    lines = [
        *env,
        f"- Command: `{command}`",
        f"- Load: {opts.stations} stations x {opts.events} events, QoS 1, at most "
        f"{opts.window} unacknowledged per station, {opts.licensees} licensee(s); single scan: "
        f"{opts.samples} `plant.harvested`, one at a time; backlog: {opts.backlog} events "
        "from one station at once",
        "",
        "| path | database | ingest processes | accepted / sent | seconds | events/s "
        "| ack p50 (ms) | ack p99 (ms) | backlog drain (s) | round trips / event "
        "| round trips / single scan | round trips / backlog event | held (throughput) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: |",
    ]
    failed: list[str] = []
    for row in rows:
        head = f"| {row.path} | {row.database} | {row.processes if row.path == SEEDTRACE else '-'}"
        failure = row.failure
        t, lat = row.throughput, row.latency
        b = row.backlog
        if failure is not None or t is None or lat is None or b is None:
            lines.append(f"{head} | FAILED (below) | | | | | | | | | |")
            failed.append(f"- {row.label}: {failure}")
            continue
        lines.append(
            f"{head} | {t.accepted} / {t.events} | {t.seconds:.2f} | {t.rate:.0f} "
            f"| {ms(lat.percentile(50))} | {ms(lat.percentile(99))} | {b.seconds:.2f} "
            f"| {per(row.throughput_round_trips, t.events)} "
            f"| {per(lat.round_trips, len(lat.samples))} "
            f"| {per(row.backlog_round_trips, b.events)} "
            f"| {'-' if row.throughput_held is None else row.throughput_held} |"
        )
    if failed:
        lines += ["", "Failed (no number is reported for these):", "", *failed]
    lines += ["", "Ratio seedtrace / bare broker (same run):", ""]
    for row in rows[1:]:
        t, lat = row.throughput, row.latency
        if bare is None or bare.throughput is None or bare.latency is None:
            lines.append(f"- {row.label}: no ratio, the bare broker run failed")
        elif row.failure is not None or t is None or lat is None or row.backlog is None:
            lines.append(f"- {row.label}: no ratio, the run failed")
        else:
            backlog = ""
            if bare.backlog is not None:
                backlog = f", backlog drain x{row.backlog.seconds / bare.backlog.seconds:.1f}"
            lines.append(
                f"- {row.label}: throughput x{t.rate / bare.throughput.rate:.3f}, "
                f"ack p50 x{lat.percentile(50) / bare.latency.percentile(50):.1f}, "
                f"ack p99 x{lat.percentile(99) / bare.latency.percentile(99):.1f}{backlog}"
            )
    errors = [r for r in rows if r.server_errors]
    for row in errors:
        lines.append(f"- {row.label}: the ingest server logged {row.server_errors} errors")
    return "\n".join(lines) + "\n"


# Entry point -------------------------------------------------------------------------------


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def add_load_options(parser: argparse.ArgumentParser, stations: int, events: int) -> None:
    """The stations' load, as this benchmark and those that reuse it take it: ``--stations``
    publishing, ``--events`` each, at most ``--window`` unacknowledged each (default 200)."""
    parser.add_argument(
        "--stations", type=int, default=stations, help=f"publishing stations ({stations})"
    )
    parser.add_argument("--events", type=int, default=events, help=f"events per station ({events})")
    parser.add_argument("--window", type=int, default=200, help="unacked events per station")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Ingest throughput and ack latency: seedtrace against the bare broker."
    )
    add_load_options(parser, stations=10, events=1000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--processes", type=int, default=3, help="ingest processes, extra row")
    parser.add_argument("--licensees", type=int, default=1, help="stations spread over (1)")
    parser.add_argument("--samples", type=int, default=300, help="single-scan round trips")
    parser.add_argument("--backlog", type=int, default=10_000, help="backlog events (10000)")
    parser.add_argument("--stall", type=float, default=30.0, help="give up after s without acks")
    parser.add_argument("--profile", type=Path, help="run servers under cProfile, .prof here")
    parser.add_argument("--echo-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.echo_port is not None:
        run_echo(args.echo_port)
        return 0
    if not (1 <= args.licensees <= args.stations) or min(args.events, args.window) < 1:
        parser.error("need --events >= 1, --window >= 1 and 1 <= --licensees <= --stations")
    if not 1 <= args.samples <= 10_000:
        parser.error("--samples: 1 to 10000")
    if not 1 <= args.backlog <= 60_000:  # paho's message ids are 16 bit
        parser.error("--backlog: 1 to 60000")
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
        args.profile = args.profile.resolve()
    opts = Options(
        args.events,
        args.stations,
        args.licensees,
        args.window,
        args.samples,
        args.backlog,
        args.stall,
        args.profile,
    )
    signal.signal(signal.SIGTERM, _interrupt)  # stop like Ctrl-C: every `finally` runs
    command = " ".join([".venv/bin/python benchmarks/ingest.py", *(argv or sys.argv[1:])])
    env = environment()
    rows = plan(args.db, args.processes)
    base = Path(tempfile.mkdtemp(prefix="seedtrace-bench-"))
    try:
        for n, row in enumerate(rows, 1):
            if row.database == "PostgreSQL" and not postgres_ready():
                row.error = (
                    f"PostgreSQL is not accepting connections on {HOST}:5432 ({PG_START_HINT})"
                )
                continue
            run_scenario(row, opts, base / f"s{n}")
    except KeyboardInterrupt:
        log("interrupted; everything started has been stopped")
        return 130
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(report(rows, opts, command, env))
    return 0 if all(r.failure is None for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
