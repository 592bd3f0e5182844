"""Deadline sweep benchmark: the planned sweep against the per-licensee one (issue 18).

Run: ``.venv/bin/python benchmarks/sweep.py [--db sqlite|postgresql|both] [--licensees N]``
(markdown report on stdout, progress on stderr). Per database it builds the scale benchmark's
empty database (``benchmarks/scale.py``: ``ingest.prepare_database``, N licensees of OR, CA
and CT in turn, each with its account manager and trained operator), then sweeps it twice at
the same moment (:func:`sweep_moment`: the next business day of all three states, 17:00 UTC)
with :func:`server.compliance.deadlines.sweep.sweep` (the first opens DAILY-RECONCILE for every
OR and CA licensee, for each business day since its registration; the second finds nothing
due), puts the notifications back as they were, and sweeps twice again with
:func:`~server.compliance.deadlines.sweep.sweep_each` (a transaction for every licensee, the
design before the plan). Per sweep: wall time, SQL statements and transactions (counted with
SQLAlchemy's ``before_cursor_execute`` and ``begin`` events; SQLite's hand-sent ``BEGIN`` is
counted as a transaction, not a statement), licensees locked, notifications opened, and the
ratio of the planned sweep's time to the per-licensee one's. Both designs must leave the same
notifications; the run says so or stops.

Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

import ingest  # noqa: E402  (benchmarks/ingest.py, next to this file)
import scale  # noqa: E402  (benchmarks/scale.py, likewise)

from schemas.clock import SYSTEM_CLOCK  # noqa: E402

log = ingest.log


@dataclass
class Swept:
    seconds: float
    statements: int
    transactions: int
    locked: int  # licensees swept in a transaction of their own
    opened: int


def counted(engine: Any, call: Callable[[], Any]) -> Swept:
    """Run ``call`` (a sweep) and count what it sent on ``engine``."""
    import sqlalchemy as sa

    seen = {"statements": 0, "transactions": 0}

    def statement(*args: Any) -> None:
        key = "transactions" if args[2].startswith("BEGIN") else "statements"
        seen[key] += 1

    def transaction(*args: Any) -> None:
        if engine.dialect.name != "sqlite":  # SQLite's is the BEGIN statement counted above
            seen["transactions"] += 1

    sa.event.listen(engine, "before_cursor_execute", statement)
    sa.event.listen(engine, "begin", transaction)
    try:
        began = time.perf_counter()
        report = call()
        seconds = time.perf_counter() - began
    finally:
        sa.event.remove(engine, "before_cursor_execute", statement)
        sa.event.remove(engine, "begin", transaction)
    return Swept(seconds, seen["statements"], seen["transactions"], report.swept, report.opened)


def measure(url: str) -> tuple[list[Swept], list[Swept]]:
    """The planned sweep twice, then the per-licensee one twice from the same notifications."""
    import sqlalchemy as sa

    from server.compliance.deadlines.sweep import sweep, sweep_each
    from server.db.core_tables import NOTIFICATIONS as N
    from server.db.engine import make_engine

    engine = make_engine(url)
    now = sweep_moment(SYSTEM_CLOCK.now())
    try:
        with engine.connect() as conn:
            before = [dict(row._mapping) for row in conn.execute(sa.select(N))]
        planned = [counted(engine, lambda: sweep(engine, now)) for _ in range(2)]
        after = notes(engine)
        with engine.begin() as conn:
            conn.execute(N.delete())
            if before:
                conn.execute(N.insert(), before)
        each = [counted(engine, lambda: sweep_each(engine, now)) for _ in range(2)]
        if notes(engine) != after:
            raise RuntimeError("the two sweeps left different notifications")
    finally:
        engine.dispose()
    return planned, each


def sweep_moment(registered: datetime) -> datetime:
    """17:00 UTC (09:00 in Oregon and California, 12:00 in Connecticut) of the first day after
    ``registered`` that is a business day in all three states: a day with DAILY-RECONCILE to
    open, whatever day the benchmark runs."""
    from server.compliance.rules.calendar import is_business_day

    day = registered.date() + timedelta(days=1)
    while not all(is_business_day(day, j) for j in ("OR", "CA", "CT")):
        day += timedelta(days=1)
    return datetime.combine(day, dt_time(17, 0), tzinfo=UTC)


def notes(engine: Any) -> list[tuple[Any, ...]]:
    import sqlalchemy as sa

    from server.db.core_tables import NOTIFICATIONS as N

    columns = [c for c in N.columns if c.name != "id"]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*columns)).all()
    return sorted((tuple(r) for r in rows), key=lambda r: tuple(str(v) for v in r))


def report(kind: str, licensees: int, planned: list[Swept], each: list[Swept]) -> list[str]:
    lines = [
        f"#### {kind}, {licensees} licensees, nothing else",
        "",
        "| sweep | design | seconds | statements | transactions | licensees locked | opened |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, n in (("first of the day", 0), ("again", 1)):
        for design, runs in (("planned", planned), ("per licensee", each)):
            s = runs[n]
            lines.append(
                f"| {label} | {design} | {s.seconds:.3f} | {s.statements} | {s.transactions} "
                f"| {s.locked} | {s.opened} |"
            )
    ratios = ", ".join(
        f"{label} x{planned[n].seconds / each[n].seconds:.2f}"
        for label, n in (("first", 0), ("again", 1))
        if each[n].seconds > 0
    )
    return [*lines, "", f"Planned / per licensee, time: {ratios}. Same notifications left.", ""]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--licensees", type=int, default=500)
    opts = parser.parse_args(argv)
    if not 3 <= opts.licensees <= 999:
        parser.error("need 3 <= --licensees <= 999")
    names = scale.licences(opts.licensees)
    kinds = {"sqlite": ["SQLite"], "postgresql": ["PostgreSQL"], "both": ["SQLite", "PostgreSQL"]}
    command = " ".join(["benchmarks/sweep.py", *(argv or sys.argv[1:])])
    began = datetime.now(UTC)
    lines: list[str] = []
    for kind in kinds[opts.db]:
        with scale.database(kind, "sweep") as (url, _):
            log(f"{kind}: migrate, register {len(names)} licensees")
            ingest.prepare_database(url, names, scale.jurisdiction_of)
            log(f"{kind}: sweep")
            planned, each = measure(url)
        lines += report(kind, len(names), planned, each)
    head = [
        f"- Command: `{command}`",
        *scale.machine(),
        f"- Ran {began:%Y-%m-%d %H:%M}-{datetime.now(UTC):%H:%M} UTC",
        "",
    ]
    print("\n".join([*head, *lines]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
