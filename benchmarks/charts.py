"""Console charts benchmark: the weight of the inventory page with both charts, and what
drawing the charts costs.

Run: ``.venv/bin/python benchmarks/charts.py [--renders 20]``. It prints a markdown table on
stdout (progress on stderr).

The floor is a licensee's last 104 days on SQLite, recorded through the real pipeline: a
batch of 10 plants started every two days, tagged, flowered and harvested 25 days later into a
harvest batch named for its day and drying room ("HB-2026-09-05-Drying Room 2"). 40 harvest
batches by the end, so the wet weight chart shows the latest 30 of 40 bars, and the phase
chart its 90 days of steps. The page is
``GET /console/inventory`` through the app (FastAPI TestClient), signed in as the account
manager.

- **Page bytes**: the HTML as served, and gzip-compressed (what a proxy that compresses
  sends). Both charts are inline in it: the console ships no chart script.
- **Charts**: both charts drawn from the floor's data, by the console's own functions
  (``server.console.charts``): the first call in the process (a library that starts a
  renderer pays for it here), the same data again (a cache answers), and new data each call
  (every call draws: one batch's weight changes by a gram, today's count by a plant).

Nothing here asserts a timing: this is measurement. Compare ratios within one run; these
machines are noisy (``docs/platform-facts.md``).
"""

import argparse
import gzip
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

import server.console
from schemas.clock import ManualClock
from server.config import ServerSettings
from server.console import charts
from server.console.queries import history, inventory
from server.console.viewer import Viewer
from server.db.engine import make_engine, migrate
from server.ingest.pipeline import Pipeline
from tests.server.conftest import add_staffed_licensee
from tests.server.floor import batch_created, flowering, harvested, tagged, tags_received, uid
from tests.statesync.linked import PAYLOAD

LICENCE, USER, MANAGER = "OR-1001", "maria.lopez", "a.chen"
NOW = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
PLANTS = 10
VIEWER = Viewer(MANAGER, "Ana Chen", "account_manager", (LICENCE,), read_only=False)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class Signed:
    """The account manager is signed in (the console's viewer source, without sessions)."""

    def viewer_for(self, request: Request) -> Viewer:
        return VIEWER


def record(url: str, clock: ManualClock) -> None:
    engine = make_engine(url)
    migrate(engine)
    first = NOW - timedelta(days=104)
    clock.set(first - timedelta(days=30))
    add_staffed_licensee(engine, LICENCE, "Bench Farm", "OR", clock)
    pipeline = Pipeline(engine, clock=clock)

    def send(payload: dict[str, object], at: datetime) -> None:
        clock.set(at)
        ack = pipeline.submit(LICENCE, USER, PAYLOAD.validate_python(payload), occurred_at=at)
        if ack.outcome.value != "accepted":
            raise SystemExit(f"not accepted: {ack}")

    # A batch every two days: started, tagged three days later (vegetative), flowered at ten
    # days, harvested at 25 into a batch named for that day: 40 harvested by NOW, the rest
    # still growing. Sent in the order they happened, as the floor would.
    events: list[tuple[datetime, dict[str, object]]] = []
    b = 0
    while (day := first + timedelta(days=2 * b)) < NOW:
        uids = [uid(b * PLANTS + i) for i in range(1, PLANTS + 1)]
        events += [
            (day, batch_created(f"B-{b}", PLANTS)),
            (day + timedelta(days=3), tagged(f"B-{b}", uids)),
            (day + timedelta(days=10), flowering(uids)),
        ]
        cut = day + timedelta(days=25)
        name = f"HB-{cut.date().isoformat()}-Drying Room {b % 3 + 1}"
        for i, u in enumerate(uids):
            grams = f"{480 + 7 * b + i}.{b % 10}5"
            events.append((cut + timedelta(minutes=i), harvested(u, grams, harvest_batch=name)))
        b += 1
    send(tags_received(1, b * PLANTS), first)
    for at, payload in sorted((e for e in events if e[0] <= NOW), key=lambda e: e[0]):
        send(payload, at)
    clock.set(NOW)
    engine.dispose()


def page_bytes(url: str, clock: ManualClock) -> tuple[int, int, int, float]:
    """Bytes of the inventory page, gzipped bytes, ``<svg`` count, median seconds to serve."""
    app = FastAPI()
    app.state.engine = make_engine(url)
    app.state.settings = ServerSettings()
    app.state.clock = clock
    app.state.console_viewers = Signed()
    server.console.mount(app)
    with TestClient(app, headers={"Origin": "http://testserver"}) as client:
        html = client.get("/console/inventory").text
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            client.get("/console/inventory")
            times.append(time.perf_counter() - t0)
    app.state.engine.dispose()
    body = html.encode()
    return len(body), len(gzip.compress(body)), html.count("<svg"), statistics.median(times)


def chart_costs(url: str, renders: int) -> dict[str, float]:
    engine = make_engine(url)
    harvests = sorted(
        inventory.inventory(engine, [LICENCE]).harvests, key=lambda h: h.first_harvest_at
    )
    bars = [(h.name, h.wet_grams) for h in harvests]
    days = history.phases_over_time(engine, [LICENCE], NOW)
    engine.dispose()
    t0 = time.perf_counter()
    wet, steps = str(charts.wet_weights(bars)), str(charts.phases(days))
    first = time.perf_counter() - t0
    same = []
    for _ in range(renders):
        t0 = time.perf_counter()
        charts.wet_weights(bars), charts.phases(days)
        same.append(time.perf_counter() - t0)
    new_wet, new_phase = [], []
    for n in range(renders):
        changed = [*bars[:-1], (bars[-1][0], bars[-1][1] + Decimal(n + 1))]
        moved = [*days[:-1], history.DayCount(days[-1].day, {**days[-1].counts, "immature": n})]
        t0 = time.perf_counter()
        charts.wet_weights(changed)
        t1 = time.perf_counter()
        charts.phases(moved)
        new_wet.append(t1 - t0)
        new_phase.append(time.perf_counter() - t1)
    return {
        "wet_bytes": len(wet.encode()),
        "phase_bytes": len(steps.encode()),
        "first_ms": first * 1000,
        "same_ms": statistics.median(same) * 1000,
        "wet_ms": statistics.median(new_wet) * 1000,
        "phase_ms": statistics.median(new_phase) * 1000,
        "bars": min(len(bars), 30),
        "days": len(days),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp)}/bench.db"
        clock = ManualClock(NOW)
        log("recording 104 days of a floor")
        record(url, clock)
        log("drawing the charts")
        cost = chart_costs(url, args.renders)
        log("serving the inventory page")
        size, zipped, svgs, served = page_bytes(url, clock)
    print("| what | value |")
    print("| --- | ---: |")
    print(f"| inventory page (HTML, {svgs} charts inline) | {size:,} B |")
    print(f"| the same, gzipped | {zipped:,} B |")
    print(f"| wet weight chart ({cost['bars']:.0f} bars) | {cost['wet_bytes']:,.0f} B |")
    print(f"| phase chart ({cost['days']:.0f} days) | {cost['phase_bytes']:,.0f} B |")
    print(f"| both charts, first call in the process | {cost['first_ms']:.1f} ms |")
    print(f"| both charts, same data again (median) | {cost['same_ms']:.2f} ms |")
    print(f"| wet weight chart, new data each call (median) | {cost['wet_ms']:.1f} ms |")
    print(f"| phase chart, new data each call (median) | {cost['phase_ms']:.1f} ms |")
    print(f"| serving the page (median of 5, charts drawn) | {served * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
