"""The inventory projection through the refresh and the API: a licensee's live plants
projected from its own history, and afterwards set beside what was harvested."""

from datetime import timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from schemas.events import (
    Payload,
    PlantsTagged,
)
from server.analytics.refresh import refresh
from tests.api import people
from tests.api.conftest import ADMIN, MANAGER, REGULATOR, sign_in
from tests.api.seed import Floor, clones, cut, to_flower
from tests.server.conftest import LICENCE

API = "/api/v1"


def record(engine: Engine, clock: ManualClock, payload: Payload) -> None:
    people.record(engine, LICENCE, ADMIN, payload, clock)


def harvest(engine: Engine, clock: ManualClock, uid: str, value: str) -> None:
    record(engine, clock, cut(uid, "HB-2", value, clock.now()))


def test_a_projection_then_what_was_harvested(
    client: TestClient,
    engine: Engine,
    clock: ManualClock,
    floors: tuple[Floor, Floor],
    manager: dict[str, str],
    regulator: dict[str, str],
) -> None:
    ours, _ = floors
    plants = ours.uids[3:10]  # 7 of the floor's received tags
    record(engine, clock, clones("B-2", 7))
    record(engine, clock, PlantsTagged(batch_id="B-2", uids=plants))
    clock.advance(timedelta(days=28))
    record(engine, clock, to_flower(plants))
    clock.advance(timedelta(days=56))
    for uid, value in zip(plants[:5], ["500", "550", "600", "650", "700"], strict=True):
        harvest(engine, clock, uid, value)
    refresh(engine, clock.now())

    manager = sign_in(client, MANAGER)  # the session of 84 days ago has ended
    answer = client.get(f"{API}/licensees/{LICENCE}/analytics/projection", headers=manager)
    assert answer.status_code == 200, answer.text
    made = answer.json()
    assert made["made_on"] == clock.now().date().isoformat()
    assert made["unprojected"] == 0
    first = made["weeks"][0]
    # Two plants flowering for 56 days, the usual: due now. History: these five and the
    # floor's two (1200.5 g and 999.5 g): the median plant gives 650 g.
    assert (first["plants"], first["expected_grams"]) == (2, "1300")
    assert (
        Decimal(first["low_grams"])
        < Decimal(first["expected_grams"])
        < Decimal(first["high_grams"])
    )
    assert sum(w["plants"] for w in made["weeks"]) == 2
    assert made["past"] == []

    # A week later the two are cut: the week is set beside its projection.
    clock.advance(timedelta(days=1))
    harvest(engine, clock, plants[5], "640")
    harvest(engine, clock, plants[6], "655.5")
    clock.advance(timedelta(days=6))
    refresh(engine, clock.now())
    manager = sign_in(client, MANAGER)
    later = client.get(f"{API}/licensees/{LICENCE}/analytics/projection", headers=manager).json()
    (week,) = later["past"]
    assert week["start"] == made["made_on"]
    assert (week["expected_grams"], week["actual_grams"], week["error_grams"]) == (
        "1300",
        "1295.5",
        "-4.5",
    )
    assert week["within"] is True
    assert sum(w["plants"] for w in later["weeks"]) == 0

    regulator = sign_in(client, REGULATOR)
    statewide = client.get(f"{API}/analytics/projection", headers=regulator).json()
    assert statewide["licences"] == [LICENCE]  # the regulator oversees this one only
