"""The phase chart read from ``plant_phase_days`` shows what the replay of the log showed
(``phase_replay``, the chart before issue 18), on SQLite and PostgreSQL, through the real
pipeline: tagging, phase changes, destruction of plants and of untagged items, harvests,
germination, a correction, days without events, events late in the licensee's evening (the
next day in UTC), two licensees; a rebuild writes the same rows; an event dated before the
licensee's latest day counts from its own day on."""

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.acks import Outcome
from schemas.clock import SYSTEM_CLOCK, local_day
from server.console.queries import history
from server.ingest.pipeline import Pipeline
from server.store.rebuild import verify
from tests.server import domain as d
from tests.server.conftest import LICENCE, OTHER_LICENCE
from tests.server.console import phase_replay
from tests.server.console.day import send
from tests.server.desk import destroyed
from tests.server.floor import MANAGER, Station, batch_created, flowering, harvested, tagged, uid
from tests.server.test_pipeline import run
from tests.statesync.cultivation import destroyed_untagged

ZONE = ZoneInfo("America/Los_Angeles")  # both licensees' (tests/server/conftest.py)
DAY0 = local_day(datetime.now(UTC), "America/Los_Angeles") - timedelta(days=30)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` on the licensee's local day ``DAY0 + day``, in UTC."""
    local = datetime.combine(DAY0 + timedelta(days=day), time(hour, minute), ZONE)
    return local.astimezone(UTC)


def noon(day: int) -> datetime:
    return at(day, 12)


class Floor:
    def __init__(self, engine: Engine, licence: str = LICENCE) -> None:
        self.engine = engine
        self.station = Station("veg-1", licence)
        self.office = Station("office-1", licence, operator=MANAGER)

    def ok(self, when: datetime, payload: dict[str, Any], office: bool = False) -> str:
        """Record ``payload`` as happening ``when``; its event id. It must be accepted."""
        ack = send(self.engine, self.office if office else self.station, payload, occurred_at=when)
        assert (ack.outcome, ack.violations) == (Outcome.ACCEPTED, []), ack
        return ack.event_id


def received(first: int, last: int) -> dict[str, Any]:
    return {"kind": "tags.received", "tag_type": "plant", "first": uid(first), "last": uid(last)}


def seeds(batch_id: str, count: int) -> dict[str, Any]:
    return {**batch_created(batch_id, count), "origin": "seed"}


def history_of(engine: Engine) -> Floor:
    """About ten days of one licensee's floor, in time order, with gaps; its floor."""
    floor = Floor(engine)
    floor.ok(at(0, 9), received(1, 40))
    created = floor.ok(at(0, 10), batch_created("B-1", 20))
    floor.ok(at(0, 23, 30), seeds("B-S", 30))  # the licensee's evening: the next UTC day
    floor.ok(at(1, 8), {"kind": "plant_batch.germinated", "batch_id": "B-S", "count": 10})
    floor.ok(at(1, 9), tagged("B-1", [uid(n) for n in range(1, 9)]))
    # days 2-4: nothing
    floor.ok(at(5, 10), flowering([uid(n) for n in range(1, 6)]))
    floor.ok(at(5, 11), destroyed_untagged("B-1", 3))
    floor.ok(at(6, 10), destroyed(uid(6)))  # a vegetative plant
    floor.ok(at(6, 12), tagged("B-S", [uid(n) for n in range(9, 21)]))  # 10 plants + 2 seeds
    floor.ok(at(7, 10), harvested(uid(1), "480", harvest_batch="HB-1"))
    floor.ok(at(7, 11), harvested(uid(2), "455", harvest_batch="HB-1"))
    floor.ok(at(8, 10), flowering([uid(7), uid(8)]))
    floor.ok(at(8, 11), destroyed(uid(3)))  # a flowering plant
    floor.ok(at(9, 23, 59), {"kind": "plants.moved", "uids": [uid(4)], "location": "Flower 2"})
    correction = d.corrected(created, batch_created("B-1", 18), discovered_at=at(10, 8))
    floor.ok(at(10, 9), correction, office=True)
    return floor


def test_the_chart_shows_what_the_replay_of_the_log_showed(engine: Engine) -> None:
    history_of(engine)
    for now in [noon(3), noon(10), noon(40), noon(95), noon(99), noon(130)]:
        summary = history.phases_over_time(engine, [LICENCE], now)
        assert summary == phase_replay.phases_over_time(engine, [LICENCE], now), now
    days = history.phases_over_time(engine, [LICENCE], noon(12))
    assert [x.day for x in days] == [DAY0 + timedelta(days=n) for n in range(13)]
    by_day = {x.day - DAY0: x.counts for x in days}
    # B-1's 18 (corrected from 20) clones on day 0; the seeds count once 10 germinate.
    assert by_day[timedelta(0)] == {"immature": 18, "vegetative": 0, "flowering": 0}
    assert by_day[timedelta(1)] == {"immature": 20, "vegetative": 8, "flowering": 0}
    assert by_day[timedelta(4)] == by_day[timedelta(1)]  # days without events
    # Day 6: B-1 has 18 - 8 - 3 = 7 untagged; B-S's 12 tagged took its 10 plants and 2 seeds.
    assert by_day[timedelta(6)] == {"immature": 7, "vegetative": 14, "flowering": 5}
    assert by_day[timedelta(12)] == {"immature": 7, "vegetative": 12, "flowering": 4}
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT count(*) FROM plant_phase_days")).scalar_one()
    assert rows == 6  # days 0, 1, 5, 6, 7 and 8: one row per day with a counted event
    for per_event in (False, True):  # the rebuild writes the same rows, either way
        assert verify(engine, keep=False, per_event=per_event)[1] == []


def test_two_licensees_are_summed_day_by_day(engine: Engine) -> None:
    ours, theirs = Floor(engine), Floor(engine, OTHER_LICENCE)
    ours.ok(at(0, 9), received(1, 10))
    theirs.ok(at(0, 9, 30), received(101, 110))
    ours.ok(at(0, 10), batch_created("B-1", 6))
    theirs.ok(at(2, 10), batch_created("C-1", 9))
    ours.ok(at(3, 10), tagged("B-1", [uid(1), uid(2)]))
    theirs.ok(at(3, 11), tagged("C-1", [uid(101)]))
    theirs.ok(at(5, 10), flowering([uid(101)]))
    both = [LICENCE, OTHER_LICENCE]
    for now in [noon(5), noon(60), noon(100)]:
        summary = history.phases_over_time(engine, both, now)
        assert summary == phase_replay.phases_over_time(engine, both, now), now
    days = history.phases_over_time(engine, both, noon(5))
    assert [x.counts for x in days] == [
        {"immature": 6, "vegetative": 0, "flowering": 0},
        {"immature": 6, "vegetative": 0, "flowering": 0},
        {"immature": 15, "vegetative": 0, "flowering": 0},
        {"immature": 12, "vegetative": 3, "flowering": 0},
        {"immature": 12, "vegetative": 3, "flowering": 0},
        {"immature": 12, "vegetative": 2, "flowering": 1},
    ]
    assert history.phases_over_time(engine, [OTHER_LICENCE], noon(5))[0].day == DAY0 + timedelta(2)


def test_an_event_dated_before_the_latest_day_counts_from_its_own_day(engine: Engine) -> None:
    """A station that was offline sends a batch started three days before the licensee's
    latest recorded day: it counts from that day on, every later day included (the replay
    drew it only from where it fell in the log)."""
    floor = Floor(engine)
    floor.ok(at(0, 9), received(1, 10))
    floor.ok(at(0, 10), batch_created("B-1", 6))
    floor.ok(at(6, 10), tagged("B-1", [uid(1)]))
    floor.ok(at(3, 10), batch_created("B-2", 4))  # late: before day 6
    floor.ok(at(1, 10), batch_created("B-3", 2))  # later still, before every row but day 0
    days = history.phases_over_time(engine, [LICENCE], noon(7))
    immature = {x.day - DAY0: x.counts["immature"] for x in days}
    assert immature == {
        timedelta(0): 6,
        timedelta(1): 8,
        timedelta(2): 8,
        timedelta(3): 12,
        timedelta(4): 12,
        timedelta(5): 12,
        timedelta(6): 11,
        timedelta(7): 11,
    }
    assert phase_replay.phases_over_time(engine, [LICENCE], noon(7)) != days
    assert verify(engine, keep=False)[1] == []


def test_no_plant_event_no_chart(engine: Engine) -> None:
    floor = Floor(engine)
    floor.ok(at(0, 9), received(1, 10))
    assert history.phases_over_time(engine, [LICENCE], noon(1)) == []
    assert phase_replay.phases_over_time(engine, [LICENCE], noon(1)) == []
    assert history.phases_over_time(engine, ["XX-9999"], noon(1)) == []


def test_one_ingest_batch_of_several_days_writes_what_event_by_event_does(engine: Engine) -> None:
    """The ingest sums a batch's floor events per day in memory: several days in one batch, a
    day dated before the latest, a destruction (applied on the database) between floor events,
    and a correction of a correction (the latest replacement counts) give the rows a rebuild
    writes event by event, and the chart they should."""
    station = Station("veg-1", LICENCE)
    events = [
        station.event(received(1, 10), occurred_at=at(0, 9)),
        station.event(batch_created("B-1", 8), occurred_at=at(0, 10)),
        station.event(tagged("B-1", [uid(1), uid(2), uid(3)]), occurred_at=at(2, 10)),
        station.event(destroyed_untagged("B-1", 1), occurred_at=at(2, 11)),
        station.event(flowering([uid(1)]), occurred_at=at(3, 10)),
        station.event(batch_created("B-2", 5), occurred_at=at(1, 10)),  # before day 3
        station.event(flowering([uid(2)]), occurred_at=at(3, 11)),
    ]
    acks = run(Pipeline(engine, clock=SYSTEM_CLOCK), station, *events)
    assert [a.outcome for a in acks] == [Outcome.ACCEPTED] * len(events), acks
    days = history.phases_over_time(engine, [LICENCE], noon(3))
    assert [x.counts for x in days] == [
        {"immature": 8, "vegetative": 0, "flowering": 0},
        {"immature": 13, "vegetative": 0, "flowering": 0},
        {"immature": 9, "vegetative": 3, "flowering": 0},
        {"immature": 9, "vegetative": 1, "flowering": 2},
    ]
    office = Floor(engine).office
    first = d.corrected(events[5].event_id, batch_created("B-2", 4), discovered_at=at(4, 8))
    correction = send(engine, office, first, occurred_at=at(4, 9))
    again = d.corrected(correction.event_id, batch_created("B-2", 2), discovered_at=at(4, 9))
    assert send(engine, office, again, occurred_at=at(4, 10)).outcome is Outcome.ACCEPTED
    immature = [x.counts["immature"] for x in history.phases_over_time(engine, [LICENCE], noon(3))]
    assert immature == [8, 10, 6, 6]  # B-2 counts 2, its latest replacement, from day 1
    assert verify(engine, keep=False)[1] == []
