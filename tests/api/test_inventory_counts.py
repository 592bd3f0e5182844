"""The live plants per phase that the API's inventory and the console's inventory page show
are what a count over the plants and batches tables gives (the way both read them before
issue 18), after every event of a varied history sent through the real pipeline: tags,
batches of clones and of seeds, germination, tagging, moves between rooms, flowering,
destruction of plants and of untagged ones, harvests, an event late in the licensee's evening
(the next day in UTC), one dated before the licensee's latest day, harvests and destruction
on the latest day, a correction, and a second licensee; on SQLite and PostgreSQL. The API's
figure is read from ``plant_phase_days`` (server/reads/phases.py): were the projections to
stop keeping it, the counts after the first tagging would already differ."""

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from server.console.queries import inventory
from server.reads import phases
from tests.server import domain as d
from tests.server.conftest import LICENCE, OTHER_LICENCE
from tests.server.console.test_phase_days import Floor, at, received, seeds
from tests.server.desk import destroyed
from tests.server.floor import batch_created, flowering, harvested, tagged, uid
from tests.statesync.cultivation import destroyed_untagged

Headers = dict[str, str]
ZERO = {"immature": 0, "vegetative": 0, "flowering": 0}


def grouped(engine: Engine, licence: str) -> dict[str, int]:
    """The counts as a grouped count of the licensee's plants, and its batches' untagged
    plants (seeds and cultures left out), gives them."""
    where = {"l": licence}
    with engine.connect() as conn:
        tagged_rows = conn.execute(
            sa.text(
                "SELECT phase, count(*) FROM plants WHERE licence = :l"
                " AND phase IN ('vegetative', 'flowering') GROUP BY phase"
            ),
            where,
        ).all()
        immature = conn.execute(
            sa.text(
                "SELECT coalesce(sum(untagged_count - unsprouted_count), 0) FROM batches"
                " WHERE licence = :l AND untagged_count - unsprouted_count > 0"
            ),
            where,
        ).scalar_one()
    return {**ZERO, "immature": int(immature), **{p: int(n) for p, n in tagged_rows}}


def api_plants(client: TestClient, headers: Headers, licence: str) -> dict[str, int]:
    """The API inventory's plant lines (a phase without plants has no line)."""
    response = client.get(f"/api/v1/licensees/{licence}/inventory", headers=headers)
    assert response.status_code == 200, response.text
    rows = response.json()["items"]
    return {r["state"]: r["count"] for r in rows if r["item"] == "plant"}


def moved(uids: list[str], location: str) -> dict[str, Any]:
    return {"kind": "plants.moved", "uids": uids, "location": location}


def check(engine: Engine, client: TestClient, headers: Headers, licence: str) -> dict[str, int]:
    """Every way the counts are shown agrees with the grouped count; returns it."""
    expected = grouped(engine, licence)
    tagged_only = {p: n for p, n in expected.items() if p != "immature" and n != 0}
    assert api_plants(client, headers, licence) == tagged_only
    with engine.connect() as conn:
        assert phases.live_plants(conn, [licence]) == {licence: expected}
    shown = inventory.inventory(engine, [licence])
    assert shown.phase_totals == expected
    rooms: dict[str, int] = dict(ZERO)
    for room in shown.rooms:
        rooms[room.phase] += room.plants
    assert rooms == expected
    return expected


def test_the_counts_are_the_grouped_counts_after_every_event(
    engine: Engine, client: TestClient, user: Headers, other_admin: Headers
) -> None:
    ours, theirs = Floor(engine), Floor(engine, OTHER_LICENCE)
    after: list[dict[str, int]] = []

    def ok(floor: Floor, when: Any, payload: dict[str, Any], office: bool = False) -> str:
        event_id = floor.ok(when, payload, office=office)
        headers = user if floor is ours else other_admin
        after.append(check(engine, client, headers, floor.station.licence))
        return event_id

    ok(ours, at(0, 9), received(1, 60))
    created = ok(ours, at(0, 10), batch_created("B-1", 20))
    ok(ours, at(0, 23, 30), seeds("B-S", 30))  # the licensee's evening: the next UTC day
    ok(theirs, at(0, 9), received(101, 120))
    ok(theirs, at(1, 10), batch_created("C-1", 9))
    ok(ours, at(1, 8), {"kind": "plant_batch.germinated", "batch_id": "B-S", "count": 10})
    ok(ours, at(1, 9), tagged("B-1", [uid(n) for n in range(1, 11)]))
    ok(theirs, at(2, 11), tagged("C-1", [uid(101), uid(102)]))
    ok(ours, at(2, 10), moved([uid(1), uid(2), uid(3)], "Veg 2"))
    ok(ours, at(5, 10), flowering([uid(n) for n in range(1, 7)]))
    ok(ours, at(5, 11), destroyed_untagged("B-1", 3))
    ok(ours, at(6, 10), destroyed(uid(7)))  # a vegetative plant
    ok(ours, at(6, 12), tagged("B-S", [uid(n) for n in range(11, 23)]))  # 10 plants, 2 seeds
    ok(ours, at(3, 10), batch_created("B-2", 4))  # late: dated before the latest day
    ok(ours, at(7, 10), harvested(uid(1), "480", harvest_batch="HB-1"))
    ok(ours, at(7, 11), moved([uid(4), uid(8)], "Flower 2"))
    ok(ours, at(8, 10), flowering([uid(8), uid(9)]))
    # The latest day: a harvest and a destruction late in the evening, then a correction.
    ok(ours, at(9, 23, 40), harvested(uid(2), "455", harvest_batch="HB-1"))
    ok(ours, at(9, 23, 50), destroyed(uid(3)))  # a flowering plant
    correction = d.corrected(created, batch_created("B-1", 18), discovered_at=at(9, 23, 55))
    ok(ours, at(9, 23, 58), correction, office=True)

    # B-1: 18 (corrected) - 10 tagged - 3 destroyed = 5; B-S: 0 (its 2 seeds tagged); B-2: 4.
    # Tagged: 22, less one harvested, two destroyed, one harvested on the latest day.
    assert after[-1] == {"immature": 9, "vegetative": 13, "flowering": 5}
    assert check(engine, client, other_admin, OTHER_LICENCE) == {
        "immature": 7,
        "vegetative": 2,
        "flowering": 0,
    }
    assert len({tuple(sorted(a.items())) for a in after}) > 10  # the counts did move


def test_a_licensee_without_a_plant_event_has_no_plants(
    engine: Engine, client: TestClient, user: Headers
) -> None:
    Floor(engine).ok(at(0, 9), received(1, 10))
    assert check(engine, client, user, LICENCE) == ZERO
    with engine.connect() as conn:
        assert phases.live_plants(conn, ["XX-9999"]) == {"XX-9999": ZERO}
