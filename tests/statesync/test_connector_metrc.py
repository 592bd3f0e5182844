"""End to end into Metrc: events accepted by the real pipeline are filed by the connector
into the Metrc simulator, and Metrc then holds what we hold."""

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.statesync.simulators import MetrcSimulator
from tests.server.conftest import LICENCE
from tests.server.floor import uid
from tests.statesync.linked import (
    calls,
    metrc_client,
    metrc_sim,
    story_filed_at_metrc,
)


def _metrc(tmp_path: object, clock: ManualClock) -> MetrcSimulator:
    return metrc_sim(tmp_path, clock)


def test_a_cultivation_story_reaches_metrc_once_and_metrc_holds_what_we_hold(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    with story_filed_at_metrc(engine, clock, tmp_path) as (sim, _):
        assert_metrc_matches(engine, sim, LICENCE)
        rows = calls(engine, LICENCE)
        assert {r["status"] for r in rows} == {"done"}
        assert all(r["attempts"] <= 1 for r in rows)
        planting = next(r for r in rows if r["action"] == "plantings")
        assert '"Ids"' in planting["response"]  # Metrc's answer, as it came


def assert_metrc_matches(engine: Engine, sim: MetrcSimulator, licence: str) -> None:
    """Every batch, plant and harvest batch of ours is at Metrc as we have it, once."""
    with engine.connect() as conn:
        batches = conn.execute(
            sa.text(
                "SELECT batch_id, untagged_count, tagged_count, destroyed_count FROM batches "
                "WHERE licence = :l"
            ),
            {"l": licence},
        ).all()
        plants = conn.execute(
            sa.text("SELECT uid, phase, location, harvest_batch FROM plants WHERE licence = :l"),
            {"l": licence},
        ).all()
        harvests = conn.execute(
            sa.text("SELECT name, plant_count FROM harvest_batches WHERE licence = :l"),
            {"l": licence},
        ).all()
    with metrc_client(sim) as m:
        theirs = {b.name: b for b in _all(lambda n: m.plant_batches(licence, page=n))}
        theirs |= {
            b.name: b for b in _all(lambda n: m.plant_batches(licence, active=False, page=n))
        }
        assert set(theirs) == {b.batch_id for b in batches}
        for b in batches:
            t = theirs[b.batch_id]
            assert (t.untracked_count, t.tracked_count, t.destroyed_count) == (
                b.untagged_count,
                b.tagged_count,
                b.destroyed_count,
            )
        for p in plants:
            t = m.plant(licence, p.uid)
            assert t is not None, p.uid
            phase = {"harvested": "Harvested", "destroyed": "Destroyed"}.get(p.phase)
            if phase is None:
                assert t.growth_phase.lower() == p.phase
                assert t.location_name == p.location
            else:
                assert t.state == phase
        hb = {h.name: h for h in _all(lambda n: m.harvests(licence, page=n))}
        for h in harvests:
            assert hb[h.name].plant_count == h.plant_count


def _all(fetch):  # type: ignore[no-untyped-def]
    page, out = 1, []
    while True:
        got = fetch(page)
        out.extend(got.data)
        if page >= got.total_pages:
            return out
        page += 1


def test_harvest_waste_is_filed_against_the_harvest_metrc_named(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    with story_filed_at_metrc(engine, clock, tmp_path) as (sim, _), metrc_client(sim) as m:
        (harvest,) = [h for h in m.harvests(LICENCE).data if h.name == "HB-1"]
        assert harvest.total_wet_weight == Decimal("1602.5")
        assert harvest.total_waste_weight == Decimal("40.5")
        assert m.plant(LICENCE, uid(1)) is not None
