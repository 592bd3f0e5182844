"""The connector reconciles each licensee with its state system once a day, at the hour set
on the premises' clock (the injected clock), and files each difference as a compliance
notification naming the object; a difference found again keeps its one notification, one no
longer found has it resolved. Nothing is changed on either side."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.statesync.daily import is_due, last_moment
from server.statesync.metrc_models import LocationCreate
from tests.server.conftest import LICENCE
from tests.server.console.test_pages import MANAGER
from tests.server.floor import uid
from tests.statesync.cultivation import receive_tags, story
from tests.statesync.linked import (
    CT_LICENCE,
    biotrack_client,
    biotrack_floor,
    biotrack_object,
    connector,
    drain,
    link_metrc,
    metrc_client,
    metrc_sim,
    moved_by_hand,
    planted_by_hand,
    seed_metrc,
    story_at_metrc,
    sync_notes,
)
from tests.statesync.test_console_link import console, row_text

LA = "America/Los_Angeles"
# The day's run of a licensee linked on 2026-11-24 (the first is the next day): 03:00 in Los
# Angeles, 11:00 UTC.
NEXT_MORNING = datetime(2026, 11, 25, 11, 0, 5, tzinfo=UTC)


def test_the_days_moment_is_on_the_premises_clock() -> None:
    # 02:00 in Los Angeles on 24 Nov: today's 03:00 has not come; yesterday's is the last.
    now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert last_moment(now, LA, time(3, 0)) == datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    # 03:00 exactly is the moment itself.
    now = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
    assert last_moment(now, LA, time(3, 0)) == now
    # Across the spring-forward night 03:00 PDT is 10:00 UTC.
    now = datetime(2027, 3, 14, 12, 0, tzinfo=UTC)
    assert last_moment(now, LA, time(3, 0)) == datetime(2027, 3, 14, 10, 0, tzinfo=UTC)


def test_a_run_is_due_once_per_day_and_not_before_the_first_moment_after_linking() -> None:
    linked = datetime(2026, 11, 24, 17, 30, tzinfo=UTC)  # 09:30 LA
    at = time(3, 0)
    assert not is_due(None, linked, linked + timedelta(hours=10), LA, at)  # 19:30 same day
    next_day = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)  # 03:00 LA
    assert is_due(None, linked, next_day, LA, at)
    assert not is_due(next_day, linked, next_day + timedelta(hours=23), LA, at)
    assert is_due(next_day, linked, next_day + timedelta(hours=24), LA, at)


def _notes(engine: Engine, licence: str) -> list[Any]:
    return [n for n in sync_notes(engine, licence) if n.subject_type != "event"]


def test_the_daily_run_files_differences_as_notifications_and_resolves_them(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    with story_at_metrc(engine, clock, tmp_path) as (sim, _):
        with connector(engine, clock, reconcile_daily=True, reconcile_at=time(3, 0)) as c:
            drain(c, clock)
            assert _notes(engine, LICENCE) == []  # linked today: the first run is tomorrow
            with metrc_client(sim) as m:
                day = date(2026, 11, 24)
                moved_by_hand(m, LICENCE, uid(4), "Veg Room 1", day)
                planted_by_hand(m, LICENCE, day)
                clock.set(NEXT_MORNING)
                c.run_once()
                notes = _notes(engine, LICENCE)
                assert {(n.subject_type, n.subject_id, n.state) for n in notes} == {
                    ("plant", uid(4), "open"),
                    ("batch", "B-X", "open"),
                }
                moved = next(n for n in notes if n.subject_type == "plant")
                assert moved.category == "compliance"
                assert "Flower 2 here and Veg Room 1 at Metrc" in moved.message
                assert "record.corrected" in moved.resolves_by
                extra = next(n for n in notes if n.subject_type == "batch")
                assert "batch B-X is missing here" in extra.message

                clock.advance(timedelta(hours=2))
                c.run_once()  # the same day: no second run
                assert len(_notes(engine, LICENCE)) == 2

                # The plant put back at Metrc; the next day's run resolves its notification,
                # and B-X, still there, keeps its one notification.
                moved_by_hand(m, LICENCE, uid(4), "Flower 2", day)
                clock.set(NEXT_MORNING + timedelta(days=1))
                c.run_once()
        notes = _notes(engine, LICENCE)
        assert {(n.subject_type, n.subject_id, n.state) for n in notes} == {
            ("plant", uid(4), "resolved"),
            ("batch", "B-X", "open"),
        }
        with engine.connect() as conn:
            reconciled = conn.execute(
                sa.text("SELECT reconciled_at FROM sync_links WHERE licence = :l"), {"l": LICENCE}
            ).scalar_one()
        assert reconciled is not None
        with console(engine, clock, MANAGER) as web:
            shown = row_text(web.get("/console/stations").text, LICENCE)
        assert "1 difference with Metrc" in shown
        assert "reconciled 2026-11-26 03:00 PST" in shown


def test_a_run_that_cannot_read_the_state_is_tried_again(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    with metrc_sim(tmp_path, clock) as sim:
        seed_metrc(sim, LICENCE)
        link_metrc(engine, sim, LICENCE, clock)
        with metrc_client(sim) as m:
            m.create_locations(
                LICENCE, [LocationCreate(name="Veg Room 1", location_type_name="Default")]
            )
            planted_by_hand(m, LICENCE, date(2026, 11, 24))
        with connector(engine, clock, reconcile_daily=True, reconcile_at=time(3, 0)) as c:
            clock.set(NEXT_MORNING)
            sim.set_faults(outage_s=300)  # the state is down at 03:00
            c.run_once()
            assert _notes(engine, LICENCE) == []
            clock.advance(timedelta(minutes=11))  # back up, and the retry is due
            c.run_once()
        assert [(n.subject_type, n.subject_id) for n in _notes(engine, LICENCE)] == [
            ("batch", "B-X")
        ]


def test_the_daily_run_on_biotrack_names_a_plant_moved_by_hand(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    with biotrack_floor(engine, clock, tmp_path) as (sim, floor):
        for payload in [receive_tags(50), *story("B-1", 1, harvest_batch="HB-1")[:4]]:
            floor.record(payload)
        with connector(engine, clock, reconcile_daily=True, reconcile_at=time(3, 0)) as c:
            drain(c, clock)
            plant_id, _ = biotrack_object(engine, clock, "plant", uid(1))
            veg, _ = biotrack_object(engine, clock, "room", "Veg Room 1")
            with biotrack_client(sim) as bt:
                bt.move_plants([plant_id], veg)  # by hand at BioTrack
            # 03:00 in New York the next morning.
            clock.set(datetime(2026, 11, 25, 8, 0, 5, tzinfo=UTC))
            c.run_once()
        notes = _notes(engine, CT_LICENCE)
        assert [(n.subject_type, n.subject_id, n.state) for n in notes] == [
            ("plant", uid(1), "open")
        ]
        assert "room differs" in notes[0].message
