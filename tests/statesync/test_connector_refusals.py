"""A state refusal becomes a compliance notification naming the event, the state's words and
what to do; the licensee's later calls about the same objects wait behind it, its other calls
and other licensees go on; a retry after the cause is fixed, or a skip, lets it go on."""

import logging

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.statesync.credentials import Credentials, Secret
from server.statesync.faults import FaultSettings
from server.statesync.manage import settle, status
from server.statesync.queue import configure_link
from tests.server.conftest import LICENCE, OTHER_LICENCE
from tests.server.floor import OPERATOR, batch_created, uid
from tests.statesync.linked import (
    KEY,
    USER_KEY,
    Floor,
    calls,
    connector,
    drain,
    file_all,
    link_metrc,
    metrc_client,
    metrc_sim,
    record_story,
    seed_metrc,
    sync_notes,
)
from tests.statesync.test_connector_metrc import assert_metrc_matches

TAGS = [uid(n) for n in range(1, 61)]


def test_a_refusal_is_a_notification_and_blocks_only_its_licensee(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    with metrc_sim(tmp_path, clock) as sim:
        sim.app.add_facility(LICENCE, "Green Acres Farm")
        sim.app.add_facility(OTHER_LICENCE, "Coastal Cultivators")
        sim.app.add_user(USER_KEY, "Maria Lopez", [LICENCE, OTHER_LICENCE])
        sim.app.add_tags(OTHER_LICENCE, "Plant", TAGS)  # LICENCE's tags never reached Metrc
        for licence in (LICENCE, OTHER_LICENCE):
            link_metrc(engine, sim, licence, clock)
            floor = Floor(engine, clock, licence)
            record_story(floor)
        with connector(engine, clock) as c:
            drain(c, clock)

            ours = calls(engine, LICENCE)
            (refused,) = [r for r in ours if r["status"] == "refused"]
            assert refused["action"] == "batch_growth_phase"
            # Behind the refused tagging wait the events about batch B-1, its plants and the
            # harvest they went into; the waste weighed in Flower 2 names none of them: filed.
            later = [r for r in ours if r["position"] > refused["position"]]
            (room_waste,) = [r for r in later if r["action"] == "plant_waste"]
            filed = {r["event_id"] for r in later if r["status"] == "done"}
            assert filed == {room_waste["event_id"]}
            assert all(
                r["status"] == "pending" for r in later if r["event_id"] != room_waste["event_id"]
            )
            assert {r["action"] for r in later if r["status"] == "pending"} >= {
                "plant_growth_phase",
                "move_plants",
                "harvest_plant",
                "destroy_plant",
                "destroy_batch_plants",
                "harvest_waste",
            }
            assert {r["status"] for r in calls(engine, OTHER_LICENCE)} == {"done"}
            [note] = sync_notes(engine, LICENCE)
            assert note.category == "compliance"
            assert note.state == "open"
            assert note.subject_id == refused["event_id"]
            assert refused["event_id"] in note.message
            assert "plants.tagged" in note.message
            assert refused["message"] in note.message  # Metrc's own words
            assert f"seedtrace sync retry {LICENCE} {refused['id']}" in note.resolves_by
            assert status(engine, LICENCE).refused[0][0] == refused["id"]

            sim.app.add_tags(LICENCE, "Plant", TAGS)  # fixed at the state
            settle(engine, LICENCE, refused["id"], retry=True, by="a.chen", now=clock.now())
            drain(c, clock)
        assert {r["status"] for r in calls(engine, LICENCE)} == {"done"}
        for licence in (LICENCE, OTHER_LICENCE):
            assert_metrc_matches(engine, sim, licence)
        with engine.connect() as conn:
            state = conn.execute(
                sa.text("SELECT state FROM notifications WHERE id = :i"),
                {"i": refused["notification_id"]},
            ).scalar_one()
        assert state == "resolved"


def test_a_wrong_or_missing_key_is_a_refusal_that_never_shows_the_key(
    engine: Engine, clock: ManualClock, tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "metrc-key-typed-wrong-0000"
    with metrc_sim(tmp_path, clock) as sim:
        sim.app.add_facility(LICENCE, "Green Acres Farm")
        sim.app.add_facility(OTHER_LICENCE, "Coastal Cultivators")
        sim.app.add_user(USER_KEY, "Maria Lopez", [LICENCE, OTHER_LICENCE])
        configure_link(engine, LICENCE, sim.url, now=clock.now())
        configure_link(engine, OTHER_LICENCE, sim.url, now=clock.now())
        Credentials(KEY).store(
            engine, LICENCE, OPERATOR, "metrc", Secret(None, wrong), now=clock.now()
        )
        for licence in (LICENCE, OTHER_LICENCE):  # OTHER_LICENCE has no key stored at all
            Floor(engine, clock, licence).record(batch_created("B-1", 5))
        file_all(engine, clock)
        with engine.connect() as conn:
            notes = dict(
                conn.execute(
                    sa.text(
                        "SELECT licence, message || ' ' || resolves_by FROM notifications "
                        "WHERE rule_id = 'SECONDARY-SYNC'"
                    )
                ).all()
            )
        assert "Authorization has been denied" in notes[LICENCE]
        assert "Metrc refused call 0 (ensure_location)" in notes[LICENCE]
        assert "seedtrace could not make call 0 (ensure_location)" in notes[OTHER_LICENCE]
        assert f"seedtrace sync credential {OTHER_LICENCE} {OPERATOR}" in notes[OTHER_LICENCE]
        for text in (*notes.values(), caplog.text):
            assert wrong not in text
            assert USER_KEY not in text


def test_a_retry_after_a_failed_check_checks_again_and_never_doubles(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    """The planting is kept at Metrc but its answer lost; then the key is refused while the
    connector checks. Retried once the key is right, the call is checked (read back), found,
    and not sent again."""
    faults = FaultSettings(lose_rate=1.0)
    with metrc_sim(tmp_path, clock, faults) as sim:
        seed_metrc(sim, LICENCE)
        link_metrc(engine, sim, LICENCE, clock)
        sim.app.add_user("metrc-key-new", "Maria Lopez", [LICENCE])
        Floor(engine, clock, LICENCE).record(batch_created("B-1", 5))
        store = Credentials(KEY)
        with connector(engine, clock) as c:
            c.run_once()  # ensure_location: kept, answer lost
            store.store(
                engine, LICENCE, OPERATOR, "metrc", Secret(None, "revoked"), now=clock.now()
            )
            c.clients.forget(LICENCE, OPERATOR)
            drain(c, clock)
            (refused,) = [r for r in calls(engine, LICENCE) if r["status"] == "refused"]
            assert refused["refusal_final"] is False
            sim.set_faults(lose_rate=0.0)
            store.store(
                engine, LICENCE, OPERATOR, "metrc", Secret(None, "metrc-key-new"), now=clock.now()
            )
            c.clients.forget(LICENCE, OPERATOR)
            settle(engine, LICENCE, refused["id"], retry=True, by="a.chen", now=clock.now())
            assert calls(engine, LICENCE)[0]["status"] == "unknown"
            drain(c, clock)
        rows = calls(engine, LICENCE)
        assert {r["status"] for r in rows} == {"done"}
        assert rows[0]["message"] == "confirmed by read-back"
        with metrc_client(sim) as m:
            assert [loc.name for loc in m.locations(LICENCE).data] == ["Veg Room 1"]
            assert [b.name for b in m.plant_batches(LICENCE).data] == ["B-1"]
