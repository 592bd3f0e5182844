"""The state link over the API: its health, and the state calls of an event with the state's
ids and raw answers; never a credential."""

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from tests.server.conftest import LICENCE
from tests.server.floor import batch_created
from tests.statesync.linked import (
    KEY,
    USER_KEY,
    Floor,
    file_all,
    link_metrc,
    metrc_sim,
    seed_metrc,
)

BASE = f"/api/v1/licensees/{LICENCE}"


def test_the_link_and_an_events_calls(
    client: TestClient,
    manager: dict[str, str],
    other_admin: dict[str, str],
    engine: Engine,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    unlinked = client.get(BASE + "/state-link", headers=manager)
    assert unlinked.status_code == 200, unlinked.text
    assert (unlinked.json()["linked"], unlinked.json()["access"]) == (False, "not linked")
    with metrc_sim(tmp_path, clock) as sim:
        seed_metrc(sim, LICENCE)
        link_metrc(engine, sim, LICENCE, clock)
        event_id = Floor(engine, clock, LICENCE).record(batch_created("B-9", 4))
        file_all(engine, clock)
    link = client.get(BASE + "/state-link", headers=manager)
    assert link.status_code == 200, link.text
    body = link.json()
    assert (body["linked"], body["system"], body["access"]) == (True, "metrc", "up")
    assert body["queue_depth"] == 0
    assert body["refusals"] == []
    assert body["last_success_at"] is not None
    got = client.get(BASE + f"/events/{event_id}/state-calls", headers=manager)
    assert got.status_code == 200, got.text
    made = got.json()
    assert [(c["action"], c["status"]) for c in made] == [
        ("ensure_location", "done"),
        ("plantings", "done"),
    ]
    assert made[1]["state_ids"] != []
    assert '"Ids"' in made[1]["response"]
    for answer in (link, got):
        assert USER_KEY not in answer.text
        assert KEY not in answer.text
    # Another licensee's administrator sees nothing of it.
    other = client.get(BASE + "/state-link", headers=other_admin)
    assert other.status_code == 404
