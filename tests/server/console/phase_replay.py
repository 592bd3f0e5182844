"""The phase chart as the console drew it before ``plant_phase_days`` (issue 18): replayed
from the event log on every request. Kept as the reference the summary is compared with
(tests/server/console/test_phase_days.py); the docstring below is the original's.

Plants per phase over time, replayed from the event log.

The projections hold only the present, so the history is rebuilt from the accepted events
that change a plant's phase: batches (immature plants; seeds and tissue cultures once they
germinate), tagging, phase changes, harvests and destruction, counted as the projections count
them (:mod:`server.store.projections`). A correction (``record.corrected``) counts in place of
the event it corrects, at that event's time, as it does for the current state. The count at
the end of each local day (in the licensee's own zone) is one point; days without events
repeat the day before.
"""

import json
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.clock import local_day
from server.compliance.rules.cultivation import NOT_PLANTS_YET
from server.console.queries import days
from server.console.queries.history import MAX_DAYS, PHASES, DayCount
from server.db.core import table_of
from server.db.tables import EventLog

L = table_of(EventLog)
KINDS = (
    "plant_batch.created",
    "plant_batch.germinated",
    "plants.tagged",
    "plants.phase_changed",
    "plant.harvested",
    "plant.destroyed",
    "record.corrected",
)
NOT_PLANTS = frozenset(origin.value for origin in NOT_PLANTS_YET)  # as the JSON body says it


class _Floor:
    """Phase per tagged plant, and untagged items and seeds or cultures not yet plants per
    batch, as events change them."""

    def __init__(self) -> None:
        self.phase: dict[tuple[str, str], str] = {}
        self.untagged: Counter[tuple[str, str]] = Counter()
        self.unsprouted: Counter[tuple[str, str]] = Counter()

    def apply(self, licence: str, p: dict[str, Any]) -> None:
        kind, key = p.get("kind"), (licence, str(p.get("batch_id")))
        if kind == "plant_batch.created":
            self.untagged[key] += int(p["count"])
            if p.get("origin") in NOT_PLANTS:
                self.unsprouted[key] += int(p["count"])
        elif kind == "plant_batch.germinated":
            self.unsprouted[key] -= int(p["count"])
        elif kind == "plants.tagged":
            self.untagged[key] -= len(p["uids"])
            self.unsprouted[key] = min(self.unsprouted[key], self.untagged[key])
            for uid in p["uids"]:
                self.phase[(licence, uid)] = "vegetative"
        elif kind == "plants.phase_changed":
            for uid in p["uids"]:
                self.phase[(licence, uid)] = p["phase"]
        elif kind == "plant.harvested":
            self.phase.pop((licence, p["uid"]), None)
        elif kind == "plant.destroyed":
            if p.get("uid") is not None:
                self.phase.pop((licence, p["uid"]), None)
            elif p.get("batch_id") is not None:
                count = int(p.get("count") or 0)
                self.untagged[key] -= count
                self.unsprouted[key] = max(0, self.unsprouted[key] - count)

    def counts(self) -> dict[str, int]:
        tally = Counter(self.phase.values())
        return {
            "immature": max(0, sum(self.untagged.values()) - sum(self.unsprouted.values())),
            "vegetative": tally["vegetative"],
            "flowering": tally["flowering"],
        }


def phases_over_time(engine: Engine, licences: Sequence[str], now: datetime) -> list[DayCount]:
    """One point per local day from the first plant event (at most MAX_DAYS back) to the day
    it is at ``now``; each event counts on its day in its licensee's zone."""
    query = (
        sa.select(L.c.licence, L.c.event_id, L.c.occurred_at, L.c.body)
        .where(L.c.licence.in_(list(licences)), L.c.outcome == "accepted", L.c.kind.in_(KINDS))
        .order_by(L.c.position)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        tz = days.zones(conn, licences)
    if not tz:
        return []
    today = max(local_day(now, zone) for zone in tz.values())
    replaced: dict[str, dict[str, Any]] = {}
    events: list[tuple[str, str, datetime, dict[str, Any]]] = []
    for licence, event_id, occurred_at, body in rows:
        payload = json.loads(body)["payload"]
        if payload["kind"] == "record.corrected":
            replaced[payload["corrects"]] = payload["replacement"]
        else:
            events.append((licence, event_id, occurred_at, payload))
    if not events:
        return []
    floor = _Floor()
    points: dict[date, dict[str, int]] = {}
    for licence, event_id, occurred_at, payload in events:
        floor.apply(licence, replaced.get(event_id, payload))
        points[local_day(occurred_at, tz[licence])] = floor.counts()
    first = max(min(points), today - timedelta(days=MAX_DAYS - 1))
    out: list[DayCount] = []
    last = dict.fromkeys(PHASES, 0)
    for day in sorted(d for d in points if d < first):
        last = points[day]
    day = first
    while day <= max(today, max(points)):
        last = points.get(day, last)
        out.append(DayCount(day, last))
        day += timedelta(days=1)
    return out
