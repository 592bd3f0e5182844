"""Scale benchmark: a state's worth of records, measured against an empty database (issue 18).

Run: ``.venv/bin/python benchmarks/scale.py [--db sqlite|postgresql|both] [--quick | --scale F]``
(markdown report on stdout, progress on stderr). Per database it builds two databases in the
same run and measures the same things on both:

- **empty**: freshly migrated, the licensees and their people registered, nothing else;
- **full**: the same, then filled with ``--licensees`` (500) licensees of OR, CA and CT,
  ``1,000,000 x F`` plants across their life cycles (15 % still vegetative, 25 % flowering,
  60 % cut into harvest batches) and about ten events per plant (tag rolls, cultivation
  batches, tagging, one single-plant move per scan (``plants.moved``, the bulk of the events),
  flowering, harvests), dated over the last 180 days. Licensees differ in size (the i-th
  holds a share proportional to ``1 / (i + 1) ** 0.7``: the largest about 5 %). ``--quick``
  is ``--scale 0.01``.

The fill goes through :meth:`server.ingest.pipeline.Pipeline.process`, the ingest's own call
(every rule, projection, deadline and the hash chain), in batches of
``ServerSettings.backlog_batch_size`` events of one station, in process, without MQTT, in
``--fill-workers`` processes on PostgreSQL (one on SQLite, which has one writer). Every
event must be accepted: one rejection or held event stops the run, naming it.

Then, on each database:

1. console and API reads over the real app (:func:`server.api.app.create_app`, FastAPI's
   TestClient, signed in as the largest licensee's account manager or as a regulator
   overseeing every licensee): ``--samples`` requests each, p50 and p99;
2. the deadline sweep (:func:`server.compliance.deadlines.sweep.sweep`) over every licensee,
   twice (the first opens the day's DAILY-RECONCILE notifications, the second is the steady
   state); the DAILY-RECONCILE close-of-business report for the largest licensee and for all
   of them, one after the other;
3. ``seedtrace db rebuild --check`` and ``seedtrace db verify`` (subprocesses, wall time);
4. database size (PostgreSQL ``pg_database_size``; the SQLite file and its WAL) per event
   and per plant;
5. ingest through mosquitto with the ingest benchmark's load (``benchmarks/ingest.py``: its
   stations, throughput and single-scan functions, imported): a real ``seedtrace server``
   subprocess, started on the database for it, so its start-up analytics round (every
   licensee, in slices between batches) runs while the load starts. The load runs twice: at
   once (its throughput overall, and until the server logs the round's end, ``analytics: N
   licensees refreshed in S slices over T s``), and again once the round is over; then the
   single scans; the server's resident memory (VmRSS, VmHWM) after the load.

``--keep NAME`` (PostgreSQL) keeps the full database under that name; ``--reuse NAME``
measures it again, with the code of the day, without filling it (it is migrated first, and the
measurements' own events and notifications add to it): a 10M-event fill takes about an hour,
and a read changed afterwards is measured on the same rows in minutes.

Nothing here asserts a timing; the report compares each figure with the issue's targets.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

import ingest  # noqa: E402  (benchmarks/ingest.py, next to this file)

from schemas.clock import SYSTEM_CLOCK  # noqa: E402
from schemas.events import EventEnvelope, Payload, PlantsMoved  # noqa: E402

JURISDICTIONS = ("OR", "CA", "CT")
FULL_PLANTS = 1_000_000
EVENTS_PER_PLANT = 10  # the 10M events for 1M plants
SEASON = timedelta(days=180)  # the fill's events are dated over this span, up to now
SHARE_EXPONENT = 0.7  # licensee i holds a share proportional to 1 / (i + 1) ** 0.7
PASSWORD = "correct horse battery"
REGULATOR = "state.inspector"
MANAGER = "am-bench"  # ingest.prepare_database's account manager

# The targets (seconds).
READ_P99 = 0.100
RECONCILE_LARGEST = 1.0
RECONCILE_ALL = 30.0
SWEEP = 5.0
INGEST_WITHIN = 0.20

# The ingest's log line at the end of an analytics round (server/ingest/worker.py).
ROUND_DONE = re.compile(r"analytics: (\d+) licensees refreshed in (\d+) slices over ([\d.]+) s")

log = ingest.log


def jurisdiction_of(licence: str) -> str:
    return licence[:2]


def licences(count: int) -> list[str]:
    """``OR-0000``, ``CA-0001``, ``CT-0002``, ...: the jurisdictions in turn."""
    return [f"{JURISDICTIONS[n % 3]}-{n:04d}" for n in range(count)]


def plants_per_licensee(count: int, total: int) -> list[int]:
    """``total`` plants shared out, the first licensee largest; each at least one."""
    weights = [1 / (n + 1) ** SHARE_EXPONENT for n in range(count)]
    scale = total / sum(weights)
    return [max(1, round(w * scale)) for w in weights]


# The fill -----------------------------------------------------------------------------------


class Grower(ingest.Floor):
    """A licensee's fill station: the ingest benchmark's builders, plus single-plant moves
    and events dated along the season (``occurred_at`` advances by ``step`` per event)."""

    def __init__(self, licence: str, station_no: int, start: datetime, step: timedelta) -> None:
        super().__init__(licence, f"fill{station_no:03d}", station_no)
        self.at = start
        self.step = step
        self.rooms = itertools.cycle(("Veg Room 1", "Veg Room 2"))

    def event(self, payload: Payload, device_id: str | None = None) -> EventEnvelope:
        envelope = super().event(payload, device_id)
        self.at += self.step
        return envelope.model_copy(update={"occurred_at": self.at})

    def moves(self, uids: list[str], per_plant: int) -> list[EventEnvelope]:
        return [
            self.event(PlantsMoved(uids=[uid], location=next(self.rooms)))
            for _ in range(per_plant)
            for uid in uids
        ]

    def life(self, plants: int, moves_per_plant: int) -> Iterator[list[EventEnvelope]]:
        """Cycles of up to 50 plants: tagged, moved, then 85 % flowered and 60 % harvested
        (by plant count, cycle by cycle)."""
        done = flowered = harvested = 0
        while done < plants:
            count = min(ingest.PLANTS_PER_BATCH, plants - done)
            events: list[EventEnvelope] = []
            if len(self.free_uids) < count:
                events.append(self.receive_roll(ingest.ROLL_SIZE))
            batch_id, created = self.new_batch(count)
            uids, tagged = self.tag(batch_id, count)
            events += [created, tagged, *self.moves(uids, moves_per_plant)]
            done += count
            if flowered < 0.85 * done:
                events.append(self.flower(uids))
                flowered += count
                if harvested < 0.60 * done:
                    events += [
                        self.harvest(uid, f"H-{batch_id}", Decimal(600 + i) + Decimal("0.5"))
                        for i, uid in enumerate(uids)
                    ]
                    harvested += count
            yield events


@dataclass
class FillResult:
    events: int = 0
    plants: int = 0
    seconds: float = 0.0
    reused: str | None = None  # the kept database measured again (--reuse), not filled now


_FILL: list[Any] = []  # a fill process's Pipeline, made once by its initializer


def _start_fill(url: str) -> None:
    """A fill process's initializer: its own engine and pipeline for every licensee it fills
    (the connection closes with the process)."""
    from server.db.engine import make_engine
    from server.ingest.pipeline import Pipeline

    _FILL.append(Pipeline(make_engine(url), clock=SYSTEM_CLOCK))


def fill_licensee(job: tuple[str, int, int], batch: int) -> tuple[int, int]:
    """Fill one licensee's ``job`` (licence, station number, plants) through the process's
    pipeline; returns (events, plants). Raises RuntimeError on the first event not
    accepted."""
    from server.ingest.parse import Parsed, canonical

    licence, station_no, count = job
    pipeline = _FILL[0]
    moves = EVENTS_PER_PLANT - 1
    events = 0
    # An upper bound, so none is dated in the future: per cycle of up to 50 plants ten
    # events a plant and at most a roll, a batch, its tagging and its flowering (a
    # licensee of one plant has 14 events, not 12).
    per_licensee = count * (EVENTS_PER_PLANT + 2) + 4
    start = datetime.now(UTC) - SEASON
    grower = Grower(licence, station_no, start, SEASON / (per_licensee + 1))
    pending: list[Parsed] = []

    def send(parsed: list[Parsed]) -> None:
        result = pipeline.process(parsed)
        bad = [r.ack for r in result.replies if r.ack.outcome.value != "accepted"]
        if bad or result.held or len(result.replies) != len(parsed):
            why = "; ".join(f"{v.rule_id}: {v.message}" for v in bad[0].violations) if bad else ""
            raise RuntimeError(
                f"{licence}: {len(bad)} of {len(parsed)} events not accepted, "
                f"{result.held} held: {bad[0].outcome.value if bad else ''} {why}"
            )

    for cycle in grower.life(count, moves):
        for envelope in cycle:
            body, digest = canonical(envelope)
            pending.append(Parsed(envelope, body, digest, SYSTEM_CLOCK.now()))
            if len(pending) == batch:
                send(pending)
                events += len(pending)
                pending = []
    if pending:
        send(pending)
        events += len(pending)
    return events, count


def fill(url: str, names: list[str], plants_total: int, workers: int) -> FillResult:
    from server.config import ServerSettings

    shares = plants_per_licensee(len(names), plants_total)
    jobs = [(licence, n + 1, shares[n]) for n, licence in enumerate(names)]  # the largest first
    batch = ServerSettings().backlog_batch_size
    result = FillResult()
    began = time.perf_counter()
    # One licensee per task, the largest first: a process takes the next licensee when it is
    # free, so the processes end together. Dealt out in fixed slices, the licensees left one
    # process filling alone for the last 15-20 minutes of a 10M-event fill.
    with ProcessPoolExecutor(workers, initializer=_start_fill, initargs=(url,)) as pool:
        for events, plants in pool.map(fill_licensee, jobs, itertools.repeat(batch)):
            result.events += events
            result.plants += plants
    result.seconds = time.perf_counter() - began
    return result


# Measurements -------------------------------------------------------------------------------


@dataclass
class Figures:
    """One database's measurements (seconds unless named otherwise)."""

    events: int = 0  # rows in the event log
    plants: int = 0
    reads: dict[str, list[float]] = field(default_factory=dict)
    sweep_first: float | None = None  # None: not run (--reads-only)
    sweep_again: float | None = None
    opened: int = 0  # notifications the first sweep opened
    open_deadlines: int = 0  # open notifications when the sweep ran again
    reconcile_largest: list[float] = field(default_factory=list)
    reconcile_all: float = 0.0
    rebuild_check: float | None = None  # None: not run (--no-rebuild)
    verify: float | None = None
    rebuild_kib: int = 0  # the command's peak resident memory (0: not run)
    verify_kib: int = 0
    size_bytes: int = 0
    ingest: ingest.Throughput | None = None  # the load started with the server's start-up
    ingest_during: float | None = None  # events/s of it until the start-up refresh ended
    ingest_after: ingest.Throughput | None = None  # the load again, the start-up refresh done
    refresh: tuple[int, int, float] | None = None  # the start-up round: licensees, slices, s
    latency: ingest.Latency | None = None
    rss_kib: int = 0
    hwm_kib: int = 0
    problems: list[str] = field(default_factory=list)


def percentile(samples: Sequence[float], p: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1]


def add_accounts(conn: Any, settings: Any, names: list[str], now: datetime) -> None:
    """The largest licensee's account manager and a regulator overseeing every licensee."""
    from server.accounts import manage
    from server.accounts.roster import DbRoster

    passwords = settings.passwords()
    manage.add_user_account(
        conn,
        DbRoster(),
        passwords,
        licence=names[0],
        user_id=MANAGER,
        password=PASSWORD,
        now=now,
        login="manager.bench",
    )
    manage.add_regulator(
        conn,
        passwords,
        login=REGULATOR,
        display_name="State Inspector",
        password=PASSWORD,
        oversees=names,
        now=now,
    )


@contextlib.contextmanager
def signed_in_app(
    url: str, names: list[str]
) -> Iterator[tuple[Any, dict[str, str], dict[str, str]]]:
    """The real app on ``url`` in a TestClient, with an API token for the largest
    licensee's account manager and one for a regulator overseeing every licensee; the
    console's session cookies are signed in on two more clients. Yields
    (clients, manager headers, regulator headers) with clients = {"api", "manager", "regulator"}."""
    from fastapi.testclient import TestClient

    from server.accounts import store
    from server.api.app import create_app
    from server.config import ServerSettings
    from server.db.engine import make_engine

    settings = ServerSettings(
        database_url=url, argon2_time_cost=1, argon2_memory_kib=64, argon2_parallelism=1
    )
    engine = make_engine(url)
    now = SYSTEM_CLOCK.now()
    with engine.begin() as conn:
        if store.by_login(conn, REGULATOR) is None:  # not made by an earlier run (--reuse)
            add_accounts(conn, settings, names, now)
    app = create_app(settings, engine, clock=SYSTEM_CLOCK)
    try:
        with contextlib.ExitStack() as stack:
            clients: dict[str, Any] = {}
            for key in ("api", "manager", "regulator"):
                clients[key] = stack.enter_context(
                    TestClient(app, headers={"Origin": "http://testserver"})
                )
            tokens = {}
            for key, login in (("manager", "manager.bench"), ("regulator", REGULATOR)):
                answer = clients["api"].post(
                    "/api/v1/auth/login", json={"login": login, "password": PASSWORD}
                )
                if answer.status_code != 200:
                    raise RuntimeError(f"API sign-in of {login}: {answer.text}")
                tokens[key] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
                page = clients[key].post(
                    "/console/sign-in",
                    data={"login": login, "password": PASSWORD, "next": "/console/"},
                    follow_redirects=False,
                )
                if page.status_code != 303:
                    raise RuntimeError(f"console sign-in of {login}: {page.status_code}")
            yield clients, tokens["manager"], tokens["regulator"]
    finally:
        engine.dispose()


def some_plant(url: str, licence: str) -> str:
    """A harvested plant of ``licence`` (its trail is the longest), or a UID nobody holds."""
    import sqlalchemy as sa

    from server.db.core import table_of
    from server.db.engine import make_engine
    from server.db.tables import Plant

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            plants = table_of(Plant)
            uid = conn.execute(
                sa.select(plants.c.uid).where(plants.c.licence == licence).limit(1)
            ).scalar_one_or_none()
    finally:
        engine.dispose()
    return "1A4FF0010000000000000001" if uid is None else str(uid)


def measure_reads(url: str, names: list[str], samples: int, figures: Figures) -> None:
    largest = names[0]
    uid = some_plant(url, largest)
    api = f"/api/v1/licensees/{largest}"
    with signed_in_app(url, names) as (clients, manager, regulator):
        reads: list[tuple[str, str, str, dict[str, str]]] = [
            ("API inventory (largest licensee)", "api", f"{api}/inventory", manager),
            ("API plants, first page", "api", f"{api}/plants", manager),
            ("API one plant", "api", f"{api}/plants/{uid}", manager),
            ("API event log, first page", "api", f"{api}/events", manager),
            ("API notifications", "api", f"{api}/notifications", manager),
            ("API stations", "api", f"{api}/stations", manager),
            (
                "API regulator overview (all licensees)",
                "api",
                "/api/v1/analytics/overview",
                regulator,
            ),
            ("console live feed", "manager", "/console/", {}),
            ("console inventory", "manager", "/console/inventory", {}),
            ("console audit trail of one plant", "manager", f"/console/audit?item={uid}", {}),
            ("console notifications", "manager", "/console/notifications", {}),
            ("console station health", "manager", "/console/stations", {}),
            ("console feed, regulator (all licensees)", "regulator", "/console/", {}),
            ("console notifications, regulator", "regulator", "/console/notifications", {}),
            ("console station health, regulator", "regulator", "/console/stations", {}),
        ]
        # a page deep in the log costs what the first does: the cursor of the first page's end
        after = clients["api"].get(f"{api}/events", headers=manager).json().get("next")
        if after is not None:
            reads.append(
                ("API event log, next page", "api", f"{api}/events?after={after}", manager)
            )
        for name, who, path, headers in reads:
            client = clients[who]
            first = client.get(path, headers=headers)  # warm up; must succeed
            if first.status_code != 200:
                figures.problems.append(f"{name}: GET {path} answered {first.status_code}")
                continue
            times = []
            for _ in range(samples):
                began = time.perf_counter()
                client.get(path, headers=headers)
                times.append(time.perf_counter() - began)
            figures.reads[name] = times
            log(f"  {name}: p99 {percentile(times, 99) * 1000:.1f} ms")
        measure_reconcile(clients["api"], names, regulator, figures)


def measure_reconcile(client: Any, names: list[str], headers: dict[str, str], f: Figures) -> None:
    """The DAILY-RECONCILE close-of-business report: the largest licensee (10 times), then
    every licensee once, one after the other."""
    for _ in range(10):
        began = time.perf_counter()
        answer = client.get(f"/api/v1/licensees/{names[0]}/reconciliation", headers=headers)
        f.reconcile_largest.append(time.perf_counter() - began)
        if answer.status_code != 200:
            f.problems.append(f"reconciliation of {names[0]}: {answer.status_code} {answer.text}")
            return
    began = time.perf_counter()
    for licence in names:
        answer = client.get(f"/api/v1/licensees/{licence}/reconciliation", headers=headers)
        if answer.status_code != 200:
            f.problems.append(f"reconciliation of {licence}: {answer.status_code}")
            return
    f.reconcile_all = time.perf_counter() - began


def measure_sweep(url: str, f: Figures) -> None:
    import sqlalchemy as sa

    from server.compliance.deadlines.sweep import sweep
    from server.db.core import table_of
    from server.db.engine import make_engine
    from server.db.notifications import Notification

    engine = make_engine(url)
    try:
        began = time.perf_counter()
        report = sweep(engine, SYSTEM_CLOCK.now())
        f.sweep_first = time.perf_counter() - began
        f.opened = report.opened
        notes = table_of(Notification)
        with engine.connect() as conn:
            f.open_deadlines = conn.execute(
                sa.select(sa.func.count())
                .select_from(notes)
                .where(notes.c.state.in_(("open", "overdue")))
            ).scalar_one()
        began = time.perf_counter()
        sweep(engine, SYSTEM_CLOCK.now())
        f.sweep_again = time.perf_counter() - began
    finally:
        engine.dispose()


def cli_seconds(url: str, *args: str) -> tuple[float, int]:
    """Run ``seedtrace ARGS`` on ``url``: (seconds, the process's peak resident KiB, from
    ``wait4``'s ``ru_maxrss``). Raises RuntimeError with its output's end if it fails."""
    command = [str(Path(sys.executable).parent / "seedtrace"), *args, "--database-url", url]
    began = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            out.seek(0)
            raise RuntimeError(f"seedtrace {' '.join(args)}: {out.read()[-1000:]}")
    return seconds, usage.ru_maxrss


def measure_size(url: str, path: Path | None, f: Figures) -> None:
    import sqlalchemy as sa

    from server.db.core import table_of
    from server.db.engine import make_engine
    from server.db.tables import EventLog, Plant

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            f.events = conn.execute(
                sa.select(sa.func.count()).select_from(table_of(EventLog))
            ).scalar_one()
            f.plants = conn.execute(
                sa.select(sa.func.count()).select_from(table_of(Plant))
            ).scalar_one()
            if path is None:
                f.size_bytes = conn.execute(
                    sa.text("SELECT pg_database_size(current_database())")
                ).scalar_one()
    finally:
        engine.dispose()
    if path is not None:
        f.size_bytes = sum(
            p.stat().st_size for p in path.parent.iterdir() if p.name.startswith(path.name)
        )


def server_memory(exclude: set[int]) -> tuple[int, int]:
    """VmRSS and VmHWM (KiB) of this process's newest child that is a seedtrace server."""
    found = (0, 0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in exclude:
            continue
        with contextlib.suppress(OSError):
            status = (entry / "status").read_text()
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            cmdline = (entry / "cmdline").read_bytes()
            if int(fields["PPid"]) == os.getpid() and b"counted_server.py" in cmdline:
                found = (int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0]))
    return found


class RoundWatch:
    """Watches an ingest server's log for the end of its first analytics round."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.offset = 0
        self.carry = ""
        self.seen_at: float | None = None  # perf_counter() when the line was first seen
        self.figures: tuple[int, int, float] | None = None  # licensees, slices, seconds

    def poll(self) -> bool:
        with contextlib.suppress(OSError), self.log.open("rb") as f:
            f.seek(self.offset)
            chunk = f.read()
            self.offset += len(chunk)
            lines = (self.carry + chunk.decode(errors="replace")).split("\n")
            self.carry = lines.pop()
            for line in lines:
                found = ROUND_DONE.search(line)
                if found is not None:
                    self.seen_at = time.perf_counter()
                    self.figures = (int(found[1]), int(found[2]), float(found[3]))
                    return True
        return False

    def watch(self, stop: threading.Event) -> None:
        while not stop.is_set() and not self.poll():
            time.sleep(0.05)

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.seen_at is None and time.monotonic() < deadline:
            time.sleep(0.2)
        return self.seen_at is not None


def floor(licence: str, station: str, number: int, opts: argparse.Namespace) -> ingest.Floor:
    """The load's station ``station``; on a reused database (``--reuse``), where an earlier
    run's stations already used their sequence numbers and UIDs, a new station of this run
    (its name and its UIDs' counter start from the time)."""
    if opts.reuse is None:
        return ingest.Floor(licence, station, number)
    run = int(time.time())  # seconds: 10 digits, so UIDs stay 16 digits (x 10^6)
    made = ingest.Floor(licence, f"{station}-{run}", number)
    made.next_uid = run * 1_000_000
    return made


def measure_ingest(url: str, names: list[str], opts: argparse.Namespace, f: Figures) -> None:
    """The ingest benchmark's throughput and single-scan load, on this database: the load from
    the server's start (during its start-up analytics round, and until that ends), the load
    again after the round, then single scans."""
    from server.broker import PrivateBroker

    stations = min(opts.stations, len(names))
    floors = [floor(names[i], f"load{i:02d}", 900 + i, opts) for i in range(stations)]
    workdir = Path(tempfile.mkdtemp(prefix="seedtrace-scale-"))
    stop = threading.Event()
    try:
        with (
            PrivateBroker() as broker,
            ingest.ingest_servers(url, broker.port, 1, workdir, None) as servers,
        ):
            rounds = RoundWatch(servers.logs[0])
            watcher = threading.Thread(target=rounds.watch, args=(stop,), daemon=True)
            watcher.start()
            ingest.probe(floor(names[0], "probe", 998, opts), broker.port, check_ids=True, count=3)
            f.ingest = ingest.measure_throughput(
                floors, opts.events, broker.port, window=opts.window, check_ids=True, stall=60
            )
            ended = rounds.seen_at
            f.ingest_during = f.ingest.rate_until(float("inf") if ended is None else ended)
            if ended is None:
                log("  waiting for the start-up analytics refresh to end")
            if rounds.wait(opts.refresh_wait):
                f.refresh = rounds.figures
                f.ingest_after = ingest.measure_throughput(
                    floors, opts.events, broker.port, window=opts.window, check_ids=True, stall=60
                )
            else:
                f.problems.append(
                    f"the start-up analytics refresh did not end within {opts.refresh_wait} s"
                )
            f.latency = ingest.measure_latency(
                floor(names[0], "single", 999, opts), opts.samples, broker.port, check_ids=True
            )
            f.rss_kib, f.hwm_kib = server_memory(set())
    finally:
        stop.set()
        shutil.rmtree(workdir, ignore_errors=True)
    for load in (f.ingest, f.ingest_after):
        if load is not None and not load.ok:
            f.problems.append("ingest: " + "; ".join(load.problems[:3]))
    if f.latency is not None and f.latency.problems:
        f.problems.append("single scan: " + "; ".join(f.latency.problems[:3]))


def walk(url: str, f: Figures, jobs: int) -> None:
    """The two commands that walk the whole log: ``db rebuild --check`` (``--jobs``),
    ``db verify``."""
    log(f"  db rebuild --check --jobs {jobs}, db verify")
    f.rebuild_check, f.rebuild_kib = cli_seconds(
        url, "db", "rebuild", "--check", "--jobs", str(jobs)
    )
    f.verify, f.verify_kib = cli_seconds(url, "db", "verify")


def measure(
    url: str, sqlite_path: Path | None, names: list[str], opts: argparse.Namespace
) -> Figures:
    f = Figures()
    measure_size(url, sqlite_path, f)
    if opts.walks_only:
        walk(url, f, opts.rebuild_jobs)
        return f
    log(f"  reads ({opts.samples} each)")
    measure_reads(url, names, opts.samples, f)
    if opts.reads_only:
        return f
    log("  sweep")
    measure_sweep(url, f)
    if opts.rebuild:
        walk(url, f, opts.rebuild_jobs)
    log("  ingest through mosquitto")
    try:
        measure_ingest(url, names, opts, f)
    except (RuntimeError, OSError) as err:  # reported with the rest, not instead of it
        f.problems.append(f"ingest through mosquitto: {type(err).__name__}: {err}")
    return f


# Report -------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def ratio(full: float, empty: float) -> str:
    return f"x{full / empty:.2f}" if empty > 0 else "-"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def report(db: str, fill: FillResult, empty: Figures, full: Figures) -> list[str]:
    if fill.reused is not None:
        filled = f"The full database is `{fill.reused}`, filled by an earlier run (`--keep`)."
    else:
        filled = (
            f"Fill: {fill.events:,} events for {fill.plants:,} plants through "
            f"`Pipeline.process` in {fill.seconds:.0f} s ({fill.events / fill.seconds:.0f} "
            "events/s); every event accepted."
        )
    lines = [
        f"### {db}",
        "",
        f"{filled} The full database's log holds {full.events:,} rows and {full.plants:,} "
        f"plants (the empty one {empty.events:,} rows: the people's registrations).",
        "",
        "| measurement | empty | full | full / empty | target | |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    loads: list[tuple[str, float | None, float | None, bool]] = []
    for name, pick in (
        ("ingest through mosquitto, from the server's start (events/s)", "ingest"),
        ("ingest after the start-up analytics refresh (events/s)", "ingest_after"),
    ):
        a, b = getattr(empty, pick), getattr(full, pick)
        if a is not None and b is not None and a.ok:
            loads.append((name, a.rate, b.rate, b.ok))
        if pick == "ingest":
            loads.append(
                (
                    "ingest until the start-up analytics refresh ended (events/s)",
                    empty.ingest_during,
                    full.ingest_during,
                    full.ingest is not None and full.ingest.ok,
                )
            )
    for name, e, g, answered in loads:
        if e is None or g is None:  # the refresh ended before the load began
            shown = ["-" if x is None else f"{x:.0f}" for x in (e, g)]
            lines.append(f"| {name} | {shown[0]} | {shown[1]} | - | | |")
            continue
        met = verdict(answered and g >= (1 - INGEST_WITHIN) * e)
        lines.append(
            f"| {name} | {e:.0f} | {g:.0f} | {ratio(g, e)} | within 20 % of empty | {met} |"
        )
    if empty.refresh is not None and full.refresh is not None:
        (_, es, et), (_, fs, ft) = empty.refresh, full.refresh
        lines.append(
            f"| start-up analytics refresh, every licensee (s; slices) | {et:.1f}; {es} "
            f"| {ft:.1f}; {fs} | {ratio(ft, et)} | | |"
        )
    scans = [x.latency.samples if x.latency is not None else [] for x in (empty, full)]
    if scans[0] and scans[1]:
        for p in (50, 99):
            a, b = (percentile(x, p) for x in scans)
            lines.append(f"| single-scan ack p{p} (ms) | {ms(a)} | {ms(b)} | {ratio(b, a)} | | |")
    for name, samples in full.reads.items():
        base = empty.reads.get(name)
        for p in (50, 99):
            b = percentile(samples, p)
            a = percentile(base, p) if base else 0.0
            target = "< 100 ms" if p == 99 else ""
            ok = verdict(b < READ_P99) if p == 99 else ""
            lines.append(
                f"| {name} p{p} (ms) | {ms(a)} | {ms(b)} | {ratio(b, a)} | {target} | {ok} |"
            )
    rows: list[tuple[str, float | None, float | None, str, bool | None]] = [
        (
            f"deadline sweep, {when} (s)",
            getattr(empty, pick),
            getattr(full, pick),
            "< 5 s",
            getattr(full, pick) is not None and getattr(full, pick) < SWEEP,
        )
        for when, pick in (("first of the day", "sweep_first"), ("again", "sweep_again"))
    ]
    if full.reconcile_largest and empty.reconcile_largest:
        a, b = max(empty.reconcile_largest), max(full.reconcile_largest)
        rows.append(
            (
                "DAILY-RECONCILE report, largest licensee, slowest of 10 (s)",
                a,
                b,
                "< 1 s",
                b < RECONCILE_LARGEST,
            )
        )
        rows.append(
            (
                "DAILY-RECONCILE report, every licensee in turn (s)",
                empty.reconcile_all,
                full.reconcile_all,
                "< 30 s",
                full.reconcile_all < RECONCILE_ALL,
            )
        )
    rows += [
        ("`seedtrace db rebuild --check` (s)", empty.rebuild_check, full.rebuild_check, "", None),
        ("`seedtrace db verify` (s)", empty.verify, full.verify, "", None),
        ("database size (MB)", empty.size_bytes / 1e6, full.size_bytes / 1e6, "", None),
    ]
    memory = [  # peak or current resident memory, KiB; 0: not run (--no-rebuild, --reads-only)
        ("`seedtrace db rebuild --check` peak VmHWM", empty.rebuild_kib, full.rebuild_kib),
        ("`seedtrace db verify` peak VmHWM", empty.verify_kib, full.verify_kib),
        ("ingest server VmRSS after the load", empty.rss_kib, full.rss_kib),
        ("ingest server VmHWM", empty.hwm_kib, full.hwm_kib),
    ]
    rows += [
        (f"{name} (MB)", a / 1024 if a else None, b / 1024 if b else None, "", None)
        for name, a, b in memory
    ]
    for name, a, b, target, ok in rows:
        mark = "" if ok is None else verdict(ok)
        if a is None or b is None:  # --no-rebuild, --reads-only
            lines.append(f"| {name} | not run | not run | - | {target} | |")
            continue
        lines.append(f"| {name} | {a:.2f} | {b:.2f} | {ratio(b, a)} | {target} | {mark} |")
    if full.events and full.plants:
        lines += [
            "",
            f"Database size of the full one: {full.size_bytes / full.events:.0f} bytes per "
            f"event-log row, {full.size_bytes / full.plants / 1e3:.1f} kB per plant "
            "(everything included: log, projections, indexes).",
        ]
        if full.sweep_again is not None:
            lines[-1] += (
                f" Open notifications at the second sweep: {empty.open_deadlines} empty, "
                f"{full.open_deadlines} full."
            )
    for label, f in (("empty", empty), ("full", full)):
        lines += [f"- {label}: {p}" for p in f.problems]
    return [*lines, ""]


# Entry point --------------------------------------------------------------------------------


@contextlib.contextmanager
def database(kind: str, tag: str) -> Iterator[tuple[str, Path | None]]:
    if kind == "PostgreSQL":
        with ingest.postgres_database(f"seedtrace_scale_{os.getpid()}_{tag}") as url:
            yield url, None
        return
    folder = Path(tempfile.mkdtemp(prefix=f"seedtrace-scale-{tag}-"))
    try:
        path = folder / "scale.db"
        yield f"sqlite:///{path}", path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def kept_database(name: str, create: bool) -> Iterator[tuple[str, Path | None]]:
    """The PostgreSQL database ``name``, created when ``create`` (``--keep``: it must not
    exist yet) or already there (``--reuse``), and left in place either way."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(ingest.PG_ADMIN, autocommit=True) as admin:
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if create and found is not None:
            raise SystemExit(f"--keep {name}: that database exists; drop it or --reuse it")
        if not create and found is None:
            raise SystemExit(f"--reuse {name}: there is no such database (fill it with --keep)")
        if create:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", None
    log(f"kept the full database {name}: measure it again with --reuse {name}")


def run(kind: str, names: list[str], opts: argparse.Namespace) -> list[str]:
    plants = round(FULL_PLANTS * opts.scale)
    with database(kind, "empty") as (url, path):
        log(f"{kind}, empty: migrate, register {len(names)} licensees")
        ingest.prepare_database(url, names, jurisdiction_of)
        empty = measure(url, path, names, opts)
    kept = opts.keep or opts.reuse
    full_db = database(kind, "full") if kept is None else kept_database(kept, opts.reuse is None)
    with full_db as (url, path):
        if opts.reuse is not None:
            # Filled by an earlier run (with --keep): brought to this code's schema, not refilled.
            log(f"{kind}, full: reuse {opts.reuse}, migrated to this code's schema")
            migrate(url)
            filled = FillResult(reused=opts.reuse)
        else:
            log(f"{kind}, full: register, then fill {plants:,} plants")
            ingest.prepare_database(url, names, jurisdiction_of)
            workers = 1 if kind == "SQLite" else opts.fill_workers
            filled = fill(url, names, plants, workers)
            log(f"{kind}: filled {filled.events:,} events in {filled.seconds:.0f} s")
        if kind == "PostgreSQL":
            analyse(url)
        full = measure(url, path, names, opts)
    return report(kind, filled, empty, full)


def migrate(url: str) -> None:
    from server.db.engine import make_engine
    from server.db.engine import migrate as upgrade

    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def analyse(url: str) -> None:
    """Fresh planner statistics after the bulk fill, as autovacuum would have them soon."""
    import sqlalchemy as sa

    from server.db.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("ANALYZE"))
    finally:
        engine.dispose()


def machine() -> list[str]:
    meminfo = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    load = Path("/proc/loadavg").read_text().split()[:3]
    return [
        f"- Machine: {os.cpu_count()} cores, {int(meminfo) / 1024 / 1024:.0f} GiB memory, "
        f"load average {' '.join(load)} at the end",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="postgresql")
    parser.add_argument("--quick", action="store_true", help="--scale 0.01 (a few minutes)")
    parser.add_argument("--scale", type=float, default=1.0, help="share of 1M plants (1.0)")
    parser.add_argument("--licensees", type=int, default=500)
    parser.add_argument("--samples", type=int, default=50, help="requests per read, scans")
    ingest.add_load_options(parser, stations=10, events=1000)  # the ingest load
    parser.add_argument(
        "--refresh-wait",
        type=float,
        default=3600,
        help="seconds to wait, after the first load, for the start-up analytics refresh",
    )
    parser.add_argument("--fill-workers", type=int, default=2, help="PostgreSQL fill processes")
    parser.add_argument(
        "--no-rebuild",
        dest="rebuild",
        action="store_false",
        help="skip `db rebuild --check` and `db verify`: both walk the whole log by design",
    )
    parser.add_argument(
        "--rebuild-jobs",
        type=int,
        default=1,
        help="processes for `db rebuild --check` (its --jobs; the figure reported is its time)",
    )
    parser.add_argument(
        "--reads-only",
        action="store_true",
        help="measure the reads (and the size) only: no sweep, reports, rebuild or ingest",
    )
    parser.add_argument(
        "--walks-only",
        action="store_true",
        help="measure the size, `db rebuild --check` and `db verify` only (the hour-long "
        "walks of a 10M-event log, apart from the reads that a --reuse run measures)",
    )
    kept = parser.add_mutually_exclusive_group()
    kept.add_argument(
        "--keep",
        metavar="NAME",
        help="PostgreSQL only: fill a new database NAME and keep it after the run",
    )
    kept.add_argument(
        "--reuse",
        metavar="NAME",
        help="PostgreSQL only: measure the database NAME a --keep run filled (no fill; "
        "migrated first; the measurements add to it)",
    )
    opts = parser.parse_args(argv)
    if (opts.keep or opts.reuse) is not None and opts.db != "postgresql":
        parser.error("--keep and --reuse need --db postgresql")
    if opts.walks_only and (opts.reads_only or not opts.rebuild):
        parser.error("--walks-only measures the rebuild: not with --reads-only or --no-rebuild")
    if opts.quick:
        opts.scale = 0.01
    if not 0 < opts.scale <= 1 or not 3 <= opts.licensees <= 999:
        parser.error("need 0 < --scale <= 1 and 3 <= --licensees <= 999")
    names = licences(opts.licensees)
    command = " ".join(["benchmarks/scale.py", *(argv or sys.argv[1:])])
    kinds = {"sqlite": ["SQLite"], "postgresql": ["PostgreSQL"], "both": ["SQLite", "PostgreSQL"]}
    lines = [f"- Command: `{command}` ({opts.licensees} licensees, scale {opts.scale:g})"]
    began = datetime.now(UTC)
    for kind in kinds[opts.db]:
        lines += ["", *run(kind, names, opts)]
    lines[1:1] = [
        *machine(),
        f"- Ran {began:%Y-%m-%d %H:%M}-{datetime.now(UTC):%H:%M} UTC",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
