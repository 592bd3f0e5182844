"""The analytics through the API: balances, signals, reviews and the regulator's overview,
each licensee seeing only its own and a regulator only those it oversees."""

import threading
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from schemas.events import HarvestBatchWeighed, WeightType
from server.analytics.refresh import one_at_a_time, refresh
from tests.api.conftest import ADMIN
from tests.api.people import record
from tests.api.seed import Floor, grams
from tests.server.conftest import LICENCE, OTHER_LICENCE

API = "/api/v1"


def weigh_net(engine: Engine, clock: ManualClock, floor: Floor, value: str) -> str:
    net = HarvestBatchWeighed(
        harvest_batch=floor.harvest_batch, weight_type=WeightType.NET, weight=grams(value)
    )
    return record(engine, floor.licence, ADMIN, net, clock)


def test_balances_signals_and_reviews(
    client: TestClient,
    engine: Engine,
    clock: ManualClock,
    floors: tuple[Floor, Floor],
    manager: dict[str, str],
    user: dict[str, str],
    other_admin: dict[str, str],
    regulator: dict[str, str],
) -> None:
    ours, _ = floors
    # 2,200 g wet, 120 g of waste: a net weight of 2,100 g is more than the batch can weigh.
    net = weigh_net(engine, clock, ours, "2100")
    report = refresh(engine, clock.now())
    assert report.refreshed == sorted([LICENCE, OTHER_LICENCE])

    answer = client.get(f"{API}/licensees/{LICENCE}/analytics/harvests", headers=user)
    assert answer.status_code == 200, answer.text
    (balance,) = answer.json()["items"]
    assert balance["harvest_batch"] == ours.harvest_batch
    assert (balance["wet_grams"], balance["waste_grams"], balance["dry_grams"]) == (
        "2200.0",
        "120",
        "550",
    )
    assert (balance["net_grams"], balance["moisture_loss_grams"]) == ("2100", "-20.0")
    assert (balance["packaged_grams"], balance["on_hand_grams"]) == ("100", "2000")
    assert net in balance["event_ids"]
    assert len(balance["event_ids"]) == 6  # 2 harvests, waste, dry, net, package
    assert set(balance["event_ids"]) <= {*ours.event_ids, net}

    signals = client.get(f"{API}/licensees/{LICENCE}/analytics/signals", headers=user).json()
    (signal,) = signals["items"]
    assert (signal["kind"], signal["subject"], signal["state"]) == (
        "moisture-loss-negative",
        ours.harvest_batch,
        "open",
    )
    assert "weighs 2100 g net, more than the 2200.0 g it weighed wet" in signal["explanation"]
    reviews = f"{API}/analytics/signals/{signal['id']}/reviews"

    # A user reads but does not review; another licensee does not even see it.
    refused = client.post(reviews, json={"note": "Looked"}, headers=user)
    assert refused.status_code == 403, refused.text
    hidden = client.get(f"{API}/licensees/{LICENCE}/analytics/signals", headers=other_admin)
    assert hidden.status_code == 404
    other = client.post(reviews, json={"note": "x"}, headers=other_admin)
    assert (other.status_code, other.json()["detail"]) == (404, f"signal {signal['id']} not found")
    missing = f"{API}/analytics/signals/{signal['id'] + 1000}/reviews"
    assert client.post(missing, json={"note": "x"}, headers=manager).status_code == 404
    empty = client.post(reviews, json={"note": ""}, headers=manager)
    assert empty.status_code == 422

    done = client.post(reviews, json={"note": "Net weight typed as 2100, was 210"}, headers=manager)
    assert done.status_code == 201, done.text
    assert done.json()["state"] == "reviewed"
    (kept,) = done.json()["reviews"]
    assert (kept["reviewed_by"], kept["note"]) == ("a.chen", "Net weight typed as 2100, was 210")
    by_regulator = client.post(reviews, json={"note": "Seen at inspection"}, headers=regulator)
    assert by_regulator.status_code == 201, by_regulator.text
    assert [r["reviewer_name"] for r in by_regulator.json()["reviews"]][-1] == "OLCC Inspector"

    # The regulator's overview: the licensee it oversees only.
    overview = client.get(f"{API}/analytics/overview", headers=regulator).json()["items"]
    assert [(r["licence"], r["open_signals"], r["reviewed_signals"]) for r in overview] == [
        (LICENCE, 0, 1)
    ]
    assert (
        client.get(
            f"{API}/licensees/{OTHER_LICENCE}/analytics/harvests", headers=regulator
        ).status_code
        == 404
    )

    # Nothing moved: skipped. The weight put right: the signal clears, its reviews stay.
    assert refresh(engine, clock.now()).skipped == 2
    weigh_net(engine, clock, ours, "210")
    again = refresh(engine, clock.now())
    assert (again.refreshed, again.cleared) == ([LICENCE], 1)
    cleared = client.get(
        f"{API}/licensees/{LICENCE}/analytics/signals",
        params={"state": "cleared"},
        headers=manager,
    ).json()["items"]
    assert [(s["id"], len(s["reviews"])) for s in cleared] == [(signal["id"], 2)]
    assert cleared[0]["cleared_at"] is not None


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_refresh_of_a_licensee_waits_for_another_refresh_of_it(
    engine: Engine, clock: ManualClock
) -> None:
    """Two ingest processes may both refresh a licensee handed over between them: one at a
    time (PostgreSQL; SQLite has one writer anyway)."""
    done = threading.Event()

    def second() -> None:
        refresh(engine, clock.now(), only={LICENCE}, force=True)
        done.set()

    with engine.begin() as first:  # a refresh of LICENCE under way
        one_at_a_time(first, LICENCE)
        waiting = threading.Thread(target=second, daemon=True)
        waiting.start()
        time.sleep(1.0)
        assert not done.is_set()  # the second waits for the first to commit
    assert done.wait(15)
    waiting.join(5)
