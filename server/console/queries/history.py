"""Plants per phase over time, from the per-day counts the projections keep.

``plant_phase_days`` (:mod:`server.store.phase_days`) holds, per licensee, the live plants per
phase at the end of each local day (in the licensee's own zone) on which an event that can
change them was accepted: batches (immature plants; seeds and tissue cultures once they
germinate), tagging, phase changes, harvests and destruction, counted as the current state
counts them. A correction counts in place of the event it corrects, at that event's time, as
it does for the current state. Days without a row repeat the day before.

Reads: per licensee, its rows of the chart's days (at most :data:`MAX_DAYS`, and any dated
later than today) and its one latest row before them; nothing that grows with its log. The
licensees' rows are summed here, as they come (a regulator's 500: about 20 ms on SQLite).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.clock import local_day
from server.console.queries import days
from server.db.among import among
from server.db.core import table_of
from server.db.tables import PlantPhaseDay
from server.reads import phases

D = table_of(PlantPhaseDay)
PHASES = phases.PHASES
MAX_DAYS = 90
COLUMNS = (D.c.licence, D.c.day, *(D.c[phase] for phase in PHASES))


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    counts: dict[str, int]  # phase -> live plants at the end of the day


def _rows(conn: sa.Connection, licences: list[str], start: date) -> list[tuple[Any, ...]]:
    """Each licensee's latest row before ``start`` (:func:`server.reads.phases.latest_rows`),
    then every row from ``start`` on, by day; each (licence, day, immature, vegetative,
    flowering). The rows from ``start`` on are each licensee's index range."""
    before = sorted(phases.latest_rows(conn, licences, before=start), key=lambda r: r[1])
    window = sa.select(*COLUMNS).where(among(D.c.licence, licences), D.c.day >= start)
    return before + [tuple(r) for r in conn.execute(window.order_by(D.c.day))]


def phases_over_time(engine: Engine, licences: Sequence[str], now: datetime) -> list[DayCount]:
    """One point per local day from the first day with a plant event (at most MAX_DAYS
    back) to the day it is at ``now`` (or the latest day an event is dated, if later); each
    licensee's day in its own zone. Empty when no licensee has a plant event."""
    with engine.connect() as conn:
        tz = days.zones(conn, licences)
        if not tz:
            return []
        today = max(local_day(now, zone) for zone in tz.values())
        start = today - timedelta(days=MAX_DAYS - 1)
        rows = _rows(conn, list(tz), start)
    if not rows:
        return []
    first = max(rows[0][1], start)  # rows[0]: the earliest day with a row
    current: dict[str, tuple[int, ...]] = {}  # licence -> its counts at the end of the day
    total = [0] * len(PHASES)  # the sum of ``current``, kept as rows replace its entries
    pending = iter(rows)
    row = next(pending, None)
    out: list[DayCount] = []
    day, last = first, max(today, rows[-1][1])
    while day <= last:
        while row is not None and row[1] <= day:
            licence, counts = row[0], tuple(row[2:])
            before = current.get(licence, (0,) * len(PHASES))
            total = [t + new - old for t, new, old in zip(total, counts, before, strict=True)]
            current[licence] = counts
            row = next(pending, None)
        out.append(DayCount(day, dict(zip(PHASES, total, strict=True))))
        day += timedelta(days=1)
    return out
