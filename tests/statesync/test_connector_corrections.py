"""A correction of a filed event (record.corrected): no state API corrects a filed record in
general, so the connector holds a call for a person, with a compliance notification saying
what to change at the state; later events about the same plants wait, the others are filed;
a skip (the correction made at the state by hand) lets them go."""

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.statesync.manage import settle
from tests.server.conftest import LICENCE
from tests.server.floor import harvested, uid
from tests.statesync.cultivation import moved, receive_tags, story, waste
from tests.statesync.linked import (
    calls,
    connector,
    drain,
    linked_metrc,
    metrc_sim,
)


def test_a_correction_is_held_for_a_person_and_holds_up_only_its_plants(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    with metrc_sim(tmp_path, clock) as sim:
        floor = linked_metrc(engine, sim, clock, LICENCE)
        ids = [floor.record(p) for p in [receive_tags(50), *story("B-1", 1, harvest_batch="HB-1")]]
        move = ids[4]  # uid 4 moved to Flower 2
        with connector(engine, clock) as c:
            drain(c, clock)
            fix = floor.record(
                {
                    "kind": "record.corrected",
                    "corrects": move,
                    "reason": "it went to Flower 3, not Flower 2",
                    "discovered_at": clock.now().isoformat(),
                    "replacement": moved([uid(4)], "Flower 3"),
                }
            )
            later = floor.record(harvested(uid(4), "700", "HB-1"))
            other = floor.record(waste("Flower 1", "2.5"))
            drain(c, clock)
            rows = calls(engine, LICENCE)
            (held,) = [r for r in rows if r["event_id"] == fix]
            assert (held["action"], held["status"]) == ("correct_by_hand", "refused")
            assert {r["status"] for r in rows if r["event_id"] == later} == {"pending"}
            assert {r["status"] for r in rows if r["event_id"] == other} == {"done"}
            with engine.connect() as conn:
                note = conn.execute(
                    sa.text("SELECT message, resolves_by FROM notifications WHERE subject_id = :e"),
                    {"e": fix},
                ).one()
            assert f"our event {move} (plants.moved) was corrected here" in note.message
            assert "Make the same correction at Metrc by hand" in note.message
            assert '"location": "Flower 3"' in note.message
            assert f"seedtrace sync skip {LICENCE} {held['id']}" in note.resolves_by

            settle(engine, LICENCE, held["id"], retry=False, by="a.chen", now=clock.now())
            drain(c, clock)
        rows = calls(engine, LICENCE)
        assert {r["status"] for r in rows if r["event_id"] == later} == {"done"}
        assert {r["status"] for r in rows if r["event_id"] == fix} == {"skipped"}
