"""The published checkpoints of the event log's hash chain, over the API: a regulator reads
those of the licensees it oversees, to keep them (docs/integrity.md)."""

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.store.integrity import take_checkpoints, verify
from tests.api.conftest import LICENCE, OTHER_LICENCE


def test_a_regulator_reads_the_checkpoints_it_can_keep(
    client: TestClient, engine: Engine, clock: ManualClock, regulator: dict[str, str]
) -> None:
    taken = {c.licence: c for c in take_checkpoints(engine, clock.now())}
    answer = client.get(f"/api/v1/licensees/{LICENCE}/checkpoints", headers=regulator)
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    head = taken[LICENCE]
    assert [(i["chain_index"], i["row_hash"], i["position"]) for i in items] == [
        (head.chain_index, head.row_hash, head.position)
    ]
    assert items[0]["taken_at"].startswith(clock.now().date().isoformat())
    # The chain's head is what the log holds now: verify agrees.
    assert verify(engine, LICENCE)[1] == []


def test_another_licensees_checkpoints_are_not_visible(
    client: TestClient, engine: Engine, clock: ManualClock, regulator: dict[str, str]
) -> None:
    take_checkpoints(engine, clock.now())
    answer = client.get(f"/api/v1/licensees/{OTHER_LICENCE}/checkpoints", headers=regulator)
    assert answer.status_code == 404


def test_a_licensees_own_people_read_its_checkpoints_as_csv(
    client: TestClient, engine: Engine, clock: ManualClock, manager: dict[str, str]
) -> None:
    take_checkpoints(engine, clock.now())
    answer = client.get(
        f"/api/v1/licensees/{LICENCE}/checkpoints", params={"format": "csv"}, headers=manager
    )
    assert answer.status_code == 200, answer.text
    header, row = answer.text.strip().splitlines()
    assert header.split(",") == ["licence", "taken_at", "chain_index", "row_hash", "position"]
    assert row.startswith(f"{LICENCE},")
