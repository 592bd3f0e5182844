"""State-sync benchmark: how fast the connector files a backlog of accepted events into the
Metrc simulator, next to the simulator's own ceiling.

Run: ``.venv/bin/python benchmarks/sync.py [--events 10000] [--db sqlite|postgresql]
[--rate-limit 50]``. It prints a markdown table on stdout (progress on stderr).

The events are realistic cultivation (per cycle: ``plant_batch.created`` of 50,
``plants.tagged`` of 50 consecutive UIDs, ``plants.phase_changed`` to flowering, one
``plant.harvested`` per plant: 94% harvests, one Metrc call each), all accepted by the real
pipeline first; that is the backlog a licensee has after a state outage. Then the connector
(in this process, on the system clock) files it, one call at a time as it must, and the drain
time is from its start to the last call done. The simulator's ceiling is its rate limit on
writes per facility (``--rate-limit``, Metrc's default 50 per second), under which the
connector paces itself (``SEEDTRACE_SYNC_CALLS_PER_S``, 40); a second run lifts the limit and
the pacing to show the connector's own pace.

Nothing here asserts a timing: this is measurement. Compare ratios within one run; these
machines are noisy (``docs/platform-facts.md``).
"""

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import sqlalchemy as sa

from schemas.clock import SYSTEM_CLOCK
from server.db.engine import make_engine, migrate
from server.ingest.pipeline import Pipeline
from server.statesync.clients import ClientPool
from server.statesync.connector import Connector
from server.statesync.credentials import Credentials, Secret, new_key
from server.statesync.queue import configure_link
from server.statesync.settings import SyncSettings
from server.statesync.simulators import MetrcSimulator
from tests.server.conftest import add_staffed_licensee
from tests.server.floor import batch_created, flowering, harvested, tagged, tags_received, uid
from tests.statesync.linked import PAYLOAD

LICENCE, USER = "OR-1001", "maria.lopez"
VENDOR, USER_KEY = "vendor-bench", "user-key-bench"
PG_ADMIN = os.environ.get("SEEDTRACE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def database(kind: str, tmp: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{tmp}/bench.db", None
    name = f"seedtrace_syncbench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    url = sa.engine.make_url(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1))
    return url.set(database=name).render_as_string(hide_password=False), name


def record(engine: sa.Engine, events: int) -> int:
    pipeline = Pipeline(engine, clock=SYSTEM_CLOCK)
    n_plants = max(50, events)
    payloads = [tags_received(1, min(n_plants, 10_000))]
    cycle = 0
    while len(payloads) < events:
        uids = [uid(cycle * 50 + i) for i in range(1, 51)]
        batch = f"B-{cycle}"
        payloads += [batch_created(batch, 50), tagged(batch, uids), flowering(uids)]
        payloads += [harvested(u, "500", f"HB-{cycle}") for u in uids]
        cycle += 1
    payloads = payloads[:events]
    for p in payloads:
        ack = pipeline.submit(LICENCE, USER, PAYLOAD.validate_python(p), station_id="bench-1")
        if ack.outcome.value != "accepted":
            raise SystemExit(f"not accepted: {ack}")
    return len(payloads)


def run(kind: str, events: int, rate_limit: int, batch_rows: int) -> tuple[int, float, int, int]:
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        url, pg_name = database(kind, tmp)
        engine = make_engine(url)
        try:
            migrate(engine)
            add_staffed_licensee(engine, LICENCE, "Bench Farm", "OR", SYSTEM_CLOCK)
            with MetrcSimulator(
                tmp / "metrc.db", clock=SYSTEM_CLOCK, vendor_key=VENDOR, rate_limit_per_s=rate_limit
            ) as sim:
                sim.app.add_facility(LICENCE, "Bench Farm")
                sim.app.add_user(USER_KEY, "Maria Lopez", [LICENCE])
                sim.app.add_tags(LICENCE, "Plant", [uid(n) for n in range(1, 10_051)])
                log(f"{kind}: recording {events} events")
                recorded = record(engine, events)
                key = new_key()
                configure_link(engine, LICENCE, sim.url, now=SYSTEM_CLOCK.now())
                Credentials(key).store(
                    engine, LICENCE, USER, "metrc", Secret(None, USER_KEY), now=SYSTEM_CLOCK.now()
                )
                # Paced under the limit as in production; unpaced when the limit is lifted, to
                # show the connector's own pace.
                pace = 40.0 if rate_limit < 1_000_000 else 1_000_000.0
                settings = SyncSettings(
                    credentials_key=key,
                    metrc_vendor_key=VENDOR,
                    burst=200,
                    poll_s=0.05,
                    calls_per_s=pace,
                    metrc_batch_rows=batch_rows,
                )
                pool = ClientPool(
                    engine, Credentials(key), metrc_vendor_key=VENDOR, timeout_s=settings.timeout_s
                )
                log(f"{kind}: draining (rate limit {rate_limit}/s, {batch_rows} rows a request)")
                with Connector(engine, clock=SYSTEM_CLOCK, settings=settings, clients=pool) as c:
                    start = time.monotonic()
                    while True:
                        if c.run_once() == 0 and _left(engine) == 0:
                            break
                    seconds = time.monotonic() - start
                with engine.connect() as conn:
                    made = conn.execute(sa.text("SELECT count(*) FROM sync_calls")).scalar_one()
                return recorded, seconds, int(made), _requests(engine)
        finally:
            engine.dispose()
            if pg_name is not None:
                with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                    drop = f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'
                    conn.execute(drop)  # type: ignore[arg-type]


LEFT = sa.text(
    "SELECT (SELECT count(*) FROM sync_calls WHERE status IN ('pending', 'sent', 'unknown'))"
    " + (SELECT count(*) FROM event_log e JOIN sync_links l ON l.licence = e.licence"
    " WHERE e.position > l.cursor AND e.outcome = 'accepted')"
)


def _requests(engine: sa.Engine) -> int:
    """Write requests sent: each call sent alone, and each batch (its first call's id in
    ``readback``) once (no faults here, so each was sent once)."""
    alone, batches = 0, set()
    with engine.connect() as conn:
        for (readback,) in conn.execute(
            sa.text("SELECT readback FROM sync_calls WHERE first_sent_at IS NOT NULL")
        ):
            batch = json.loads(readback or "{}").get("batch")
            if batch is None:
                alone += 1
            else:
                batches.add(batch)
    return alone + len(batches)


def _left(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(LEFT).scalar_one())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rate-limit", type=int, default=50)
    parser.add_argument(
        "--batch-rows",
        type=int,
        nargs="+",
        default=[100],
        help="SEEDTRACE_SYNC_METRC_BATCH_ROWS to measure (1: every call alone)",
    )
    args = parser.parse_args()
    rows = []
    for batch_rows in args.batch_rows:
        for limit in (args.rate_limit, 1_000_000):
            events, seconds, made, requests = run(args.db, args.events, limit, batch_rows)
            rows.append((batch_rows, limit, events, made, requests, seconds))
    print(
        "| rows a request at most | simulator write limit (/s) | events | state calls "
        "| write requests | drain (s) | events/s | calls/s |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for batch_rows, limit, events, made, requests, seconds in rows:
        shown = "none" if limit >= 1_000_000 else str(limit)
        print(
            f"| {batch_rows} | {shown} | {events} | {made} | {requests} | {seconds:.1f} "
            f"| {events / seconds:.1f} | {made / seconds:.1f} |"
        )


if __name__ == "__main__":
    main()
