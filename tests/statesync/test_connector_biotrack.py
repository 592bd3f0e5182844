"""End to end into BioTrack: a CT licensee's events, accepted by the real pipeline, filed by
the connector into the BioTrack simulator with one nonce per call; BioTrack then holds what we
hold, and each of our UIDs has its 16-digit BioTrack id."""

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.statesync.simulators import BioTrackSimulator
from tests.statesync.linked import (
    CT_LICENCE,
    biotrack_client,
    biotrack_floor,
    calls,
    file_all,
    record_story,
)


def assert_biotrack_matches(engine: Engine, sim: BioTrackSimulator) -> None:
    """Each of our plants is one BioTrack plant in the same state; rooms match; no extras."""
    with engine.connect() as conn:
        ours = conn.execute(
            sa.text(
                "SELECT p.uid, p.phase, p.location, o.state_id FROM plants p "
                "JOIN sync_objects o ON o.licence = p.licence AND o.kind = 'plant' "
                "AND o.key = p.uid WHERE p.licence = :l"
            ),
            {"l": CT_LICENCE},
        ).all()
        rooms = dict(
            conn.execute(
                sa.text(
                    "SELECT state_id, key FROM sync_objects WHERE kind = 'room' AND licence = :l"
                ),
                {"l": CT_LICENCE},
            ).all()
        )
        batches = conn.execute(
            sa.text("SELECT initial_count FROM batches WHERE licence = :l"), {"l": CT_LICENCE}
        ).scalars()
        made = sum(batches)
    with biotrack_client(sim) as bt:
        theirs = {p["id"]: p for p in bt.sync("plant", 0)}
    assert len(theirs) == made  # plant_new made each batch's plants once
    assert len({p.state_id for p in ours}) == len(ours)
    states = {"harvested": "drying", "destroyed": "destroyed"}
    for p in ours:
        t = theirs[p.state_id]
        if p.phase in states:
            assert t["state"] == states[p.phase], (p, t)
        else:
            assert rooms[str(t["room"])] == p.location, (p, t)


def test_a_cultivation_story_reaches_biotrack_once(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    with biotrack_floor(engine, clock, tmp_path) as (sim, floor):
        record_story(floor)
        file_all(engine, clock)
        assert_biotrack_matches(engine, sim)
        rows = calls(engine, CT_LICENCE)
        assert {r["status"] for r in rows} == {"done"}
        sent = [r for r in rows if r["nonce"] is not None]
        assert len({r["nonce"] for r in sent}) == len(sent)
        destroy = [r for r in rows if r["action"] == "plant_destroy"]
        assert len(destroy) == 2
        for d in destroy:
            schedule = next(
                r for r in rows if r["event_id"] == d["event_id"] and r["call_index"] == 0
            )
            assert (d["done_at"] - schedule["done_at"]).total_seconds() >= 72 * 3600
