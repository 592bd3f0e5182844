"""Many licensees' reads: values as one parameter (``server.db.among``) against one bind
parameter each (``IN``), in the same run (issue 18).

Run: ``.venv/bin/python benchmarks/among.py [--db sqlite|postgresql|both] [--licensees N]
[--rounds R]`` (markdown on stdout, progress on stderr). Per database it builds the scale
benchmark's empty database (``benchmarks/scale.py``: N licensees with their staff) and times
the reads a regulator overseeing all N makes on the console, alternating the two forms
round by round: the notifications page's
(:func:`server.console.queries.notifications.by_urgency`), the overdue count every page
shows, the floor feed's newest 100
(:func:`server.console.queries.feed.recent`) and the station health list. The baseline is
the same code with :data:`server.db.among.FEW` raised above N, so every read is a plain ``IN``.
Medians per read and the ratio to the baseline. Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

import ingest  # noqa: E402  (benchmarks/ingest.py, next to this file)
import scale  # noqa: E402  (benchmarks/scale.py, likewise)

log = ingest.log


def reads(engine: Any, names: list[str], now: datetime) -> dict[str, Callable[[], Any]]:
    from server.console.queries import feed
    from server.console.queries import notifications as nq
    from server.health.store import latest

    return {
        "notifications page (by_urgency)": lambda: nq.by_urgency(engine, names, now),
        "overdue count (every page)": lambda: nq.overdue_count(engine, names, now),
        "floor feed, newest 100": lambda: feed.recent(engine, names, feed.FeedFilter()),
        "station health": lambda: latest(engine, names),
    }


def measure(url: str, names: list[str], rounds: int) -> dict[str, tuple[float, float]]:
    """Median seconds per read: (one parameter, IN)."""
    from server.db import among
    from server.db.engine import make_engine

    engine = make_engine(url)
    now = datetime.now(UTC)
    few = among.FEW
    times: dict[str, tuple[list[float], list[float]]] = {}
    try:
        for name, call in reads(engine, names, now).items():
            one, each = times.setdefault(name, ([], []))
            for _ in range(rounds):
                for form, into in ((few, one), (len(names) + 1, each)):
                    among.FEW = form
                    call()  # this form's statements compiled and cached
                    began = time.perf_counter()
                    call()
                    into.append(time.perf_counter() - began)
    finally:
        among.FEW = few
        engine.dispose()
    return {n: (statistics.median(a), statistics.median(b)) for n, (a, b) in times.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--licensees", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=20)
    opts = parser.parse_args(argv)
    names = scale.licences(opts.licensees)
    kinds = {"sqlite": ["SQLite"], "postgresql": ["PostgreSQL"], "both": ["SQLite", "PostgreSQL"]}
    lines = [
        f"- Command: `benchmarks/among.py {' '.join(argv or sys.argv[1:])}`",
        *scale.machine(),
    ]
    for kind in kinds[opts.db]:
        with scale.database(kind, "among") as (url, _path):
            log(f"{kind}: register {len(names)} licensees")
            ingest.prepare_database(url, names, scale.jurisdiction_of)
            medians = measure(url, names, opts.rounds)
        lines += [
            "",
            f"#### {kind}, {len(names)} licensees, median of {opts.rounds}",
            "",
            "| read | one parameter (ms) | `IN` (ms) | one / `IN` |",
            "| --- | ---: | ---: | ---: |",
        ]
        for name, (one, each) in medians.items():
            lines.append(f"| {name} | {one * 1000:.1f} | {each * 1000:.1f} | x{one / each:.2f} |")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
