"""A correction of a filed event (record.corrected): no state API corrects a filed record in
general, so the connector holds a call for a person, with a compliance notification saying
what to change at the state; later events about the same plants wait, the others are filed;
a skip (the correction made at the state by hand) lets them go. A corrected move or phase
change goes through Metrc's API, unless the plants changed again since."""

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.statesync.manage import settle
from server.statesync.reconcile import reconcile_biotrack
from server.statesync.simulators import MetrcSimulator
from tests.server.conftest import LICENCE
from tests.server.floor import batch_created, harvested, tagged, uid
from tests.statesync.cultivation import moved, receive_tags, story, waste
from tests.statesync.linked import (
    CT_LICENCE,
    Floor,
    biotrack_client,
    biotrack_floor,
    calls,
    connector,
    drain,
    linked_metrc,
    metrc_client,
    metrc_sim,
)
from tests.statesync.test_connector_metrc import assert_metrc_matches


def correction(corrects: str, reason: str, replacement: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "record.corrected",
        "corrects": corrects,
        "reason": reason,
        "discovered_at": datetime.now(UTC).isoformat(),
        "replacement": replacement,
    }


def test_a_correction_is_held_for_a_person_and_holds_up_only_its_plants(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    with metrc_sim(tmp_path, clock) as sim:
        floor = linked_metrc(engine, sim, clock, LICENCE)
        ids = [floor.record(p) for p in [receive_tags(50), *story("B-1", 1, harvest_batch="HB-1")]]
        harvest = ids[5]  # uid 1 harvested into HB-1, 812.5 g
        with connector(engine, clock) as c:
            drain(c, clock)
            fix = floor.record(
                correction(harvest, "read off wrong", harvested(uid(1), "821.5", "HB-1"))
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
            assert f"our event {harvest} (plant.harvested) was corrected here" in note.message
            assert "Make the same correction at Metrc by hand;" in note.message
            assert '"value": "821.5"' in note.message
            assert f"seedtrace sync skip {LICENCE} {held['id']}" in note.resolves_by

            settle(engine, LICENCE, held["id"], retry=False, by="a.chen", now=clock.now())
            drain(c, clock)
        rows = calls(engine, LICENCE)
        assert {r["status"] for r in rows if r["event_id"] == later} == {"done"}
        assert {r["status"] for r in rows if r["event_id"] == fix} == {"skipped"}


def _correcting(engine: Engine, licence: str, event_id: str) -> list[dict[str, Any]]:
    """The ``correct_plants`` calls of correction ``event_id``."""
    rows = calls(engine, licence)
    return [r for r in rows if r["event_id"] == event_id and r["action"] == "correct_plants"]


def _plant_at_metrc(sim: MetrcSimulator, label: str) -> tuple[str, str]:
    with metrc_client(sim) as m:
        plant = m.plant(LICENCE, label)
    assert plant is not None
    return plant.location_name, plant.growth_phase


def _filed_then_corrected(
    engine: Engine,
    clock: ManualClock,
    floor: Floor,
    payloads: list[dict[str, Any]],
    corrects: int,
    replacement: dict[str, Any],
) -> str:
    """``payloads`` recorded and filed; then the ``corrects``-th of them corrected to
    ``replacement``, and filed. Returns the correction's event id."""
    ids = [floor.record(p) for p in payloads]
    with connector(engine, clock) as c:
        drain(c, clock)
        fix = floor.record(correction(ids[corrects], "recorded wrong", replacement))
        drain(c, clock)
    return fix


def _story() -> list[dict[str, Any]]:
    """The cultivation story; its 5th event (index 4) moves uid 4 to Flower 2."""
    return [receive_tags(50), *story("B-1", 1, harvest_batch="HB-1")]


def test_a_corrected_move_goes_through_metrcs_api(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    with metrc_sim(tmp_path, clock) as sim:
        floor = linked_metrc(engine, sim, clock, LICENCE)
        fix = _filed_then_corrected(engine, clock, floor, _story(), 4, moved([uid(4)], "Flower 3"))
        (sent,) = [
            r
            for r in calls(engine, LICENCE)
            if r["event_id"] == fix and r["action"] != "ensure_location"
        ]
        assert (sent["action"], sent["status"]) == ("correct_plants", "done")
        assert _plant_at_metrc(sim, uid(4)) == ("Flower 3", "Flowering")
        assert_metrc_matches(engine, sim, LICENCE)
        with engine.connect() as conn:
            assert (
                conn.execute(
                    sa.text("SELECT count(*) FROM notifications WHERE subject_id = :e"), {"e": fix}
                ).scalar_one()
                == 0
            )


def test_a_corrected_move_is_held_when_the_plants_moved_again_since(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    with metrc_sim(tmp_path, clock) as sim:
        floor = linked_metrc(engine, sim, clock, LICENCE)
        again = [*_story(), moved([uid(4)], "Flower 1")]  # after the move that is corrected
        fix = _filed_then_corrected(engine, clock, floor, again, 4, moved([uid(4)], "Flower 3"))
        (held,) = _correcting(engine, LICENCE, fix)
        assert held["status"] == "refused"
        assert "not through the API: the plants changed again" in held["message"]
        assert _plant_at_metrc(sim, uid(4)) == ("Flower 1", "Flowering")  # unchanged


def _phase(phase: str, location: str) -> dict[str, Any]:
    return {"kind": "plants.phase_changed", "uids": PLANTS, "phase": phase, "location": location}


PLANTS = [uid(n) for n in range(1, 5)]


def test_a_corrected_phase_change_goes_through_metrcs_api(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    """Flowering in Flower 1, corrected to flowering in Flower 3: filed through the API."""
    with metrc_sim(tmp_path, clock) as sim:
        floor = linked_metrc(engine, sim, clock, LICENCE)
        grown = [receive_tags(50), batch_created("B-2", 4), tagged("B-2", PLANTS)]
        flowered = [*grown, _phase("flowering", "Flower 1")]
        fix = _filed_then_corrected(
            engine, clock, floor, flowered, 3, _phase("flowering", "Flower 3")
        )
        (sent,) = _correcting(engine, LICENCE, fix)
        assert sent["status"] == "done"
        assert [_plant_at_metrc(sim, p) for p in PLANTS] == [("Flower 3", "Flowering")] * 4
        assert_metrc_matches(engine, sim, LICENCE)


def test_a_corrected_move_goes_through_biotracks_api(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    with biotrack_floor(engine, clock, tmp_path) as (sim, floor):
        fix = _filed_then_corrected(engine, clock, floor, _story(), 4, moved([uid(4)], "Flower 3"))
        (sent,) = _correcting(engine, CT_LICENCE, fix)
        assert sent["status"] == "done"
        with biotrack_client(sim) as bt:
            rooms = {str(r["roomid"]): r["name"] for r in bt.sync("plant_room", 0)}
            plant_id = json.loads(sent["request"])["barcodeid"][0]
            (plant,) = [p for p in bt.sync("plant", 0) if p["id"] == plant_id]
            assert rooms[str(plant["room"])] == "Flower 3"
            assert reconcile_biotrack(engine, bt, CT_LICENCE).differences == []
