"""Metrc multi-row batches: a harvest day's ``plant.harvested`` goes to Metrc as one request
(docs/sync.md, Batches), and stays exactly once: a lost answer is read back row by row, a
request that never arrived goes again whole, and a refusal names the event at fault while the
others are filed."""

import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.statesync.errors import StateRefused
from server.statesync.metrc_client import HttpMetrcClient
from server.statesync.metrc_models import PlantDestroy
from server.statesync.simulators import MetrcSimulator
from tests.server.conftest import LICENCE
from tests.server.floor import batch_created, flowering, harvested, tagged, uid
from tests.statesync.cultivation import receive_tags
from tests.statesync.linked import (
    Floor,
    calls,
    connector,
    drain,
    linked_metrc,
    metrc_client,
    metrc_sim,
    sync_notes,
)
from tests.statesync.test_connector_metrc import assert_metrc_matches

PLANTS = [uid(n) for n in range(1, 7)]
WEIGHTS = ["801.5", "790", "812", "775.25", "799", "820"]


def _grown(floor: Floor) -> None:
    """Six plants of B-1, tagged and flowering (not yet harvested)."""
    for payload in [
        receive_tags(50),
        batch_created("B-1", 6),
        tagged("B-1", PLANTS),
        flowering(PLANTS),
    ]:
        floor.record(payload)


def _harvest_day(floor: Floor) -> list[str]:
    return [floor.record(harvested(p, w, "HB-1")) for p, w in zip(PLANTS, WEIGHTS, strict=True)]


def _harvests(engine: Engine) -> list[dict[str, Any]]:
    return [r for r in calls(engine, LICENCE) if r["action"] == "harvest_plant"]


def _metrc_harvest(sim: MetrcSimulator) -> tuple[int, Decimal]:
    with metrc_client(sim) as m:
        (harvest,) = [h for h in m.harvests(LICENCE).data if h.name == "HB-1"]
        return harvest.plant_count, harvest.total_wet_weight


@pytest.mark.parametrize("most", [100, 1], ids=["batches", "turned-off"])
def test_a_harvest_day_goes_to_metrc_as_one_request(
    engine: Engine, clock: ManualClock, tmp_path: object, most: int
) -> None:
    """Six harvests in a row: one request of six rows (``metrc_batch_rows`` 100), or six of
    one (1)."""
    with metrc_sim(tmp_path, clock) as sim:
        floor = linked_metrc(engine, sim, clock, LICENCE)
        _grown(floor)
        _harvest_day(floor)
        with connector(engine, clock, metrc_batch_rows=most) as c:
            drain(c, clock)
        assert_metrc_matches(engine, sim, LICENCE)
        assert _metrc_harvest(sim) == (6, sum(Decimal(w) for w in WEIGHTS))
    rows = _harvests(engine)
    assert [r["status"] for r in rows] == ["done"] * 6
    assert {r["attempts"] for r in rows} == {1}
    answers = [json.loads(r["response"])["Ids"] for r in rows]
    if most == 1:
        assert [len(ids) for ids in answers] == [1] * 6
        return
    # One answer for the six: each call keeps it unmodified, and its own id from it.
    assert {r["response"] for r in rows} == {rows[0]["response"]}
    assert [json.loads(r["state_ids"]) for r in rows] == [[str(i)] for i in answers[0]]
    assert len(answers[0]) == 6


@pytest.mark.parametrize(
    ("fault", "how"),
    [("lose_rate", "confirmed by read-back"), ("error_rate", None)],
    ids=["kept-answer-lost", "never-kept"],
)
def test_a_batch_whose_answer_is_lost_is_read_back_row_by_row(
    engine: Engine, clock: ManualClock, tmp_path: object, fault: str, how: str | None
) -> None:
    """``lose_rate``: Metrc kept the six rows and the answer was lost: every row is found by
    its read-back, nothing is sent again. ``error_rate`` (a 500 before anything is done):
    no row is found; the six go again, together, once."""
    with metrc_sim(tmp_path, clock) as sim:
        floor = linked_metrc(engine, sim, clock, LICENCE)
        _grown(floor)
        with connector(engine, clock) as c:
            drain(c, clock)
            _harvest_day(floor)
            sim.set_faults(**{fault: 1.0})
            c.run_once()  # plans the day, sends it as one request: the answer is lost
            assert {r["status"] for r in _harvests(engine)} == {"unknown"}
            sim.set_faults(**{fault: 0.0})
            drain(c, clock)
        assert _metrc_harvest(sim) == (6, sum(Decimal(w) for w in WEIGHTS))
        assert_metrc_matches(engine, sim, LICENCE)
        rows = _harvests(engine)
        assert [r["status"] for r in rows] == ["done"] * 6
        assert {r["message"] for r in rows} == {how}
        assert {r["attempts"] for r in rows} == ({1} if how else {2})


def _refusal_notes(engine: Engine) -> list[tuple[str, str]]:
    return [(n.subject_id, n.message) for n in sync_notes(engine, LICENCE) if n.state == "open"]


def _destroy_at_metrc_by_hand(sim: MetrcSimulator, clock: ManualClock, plant: str) -> None:
    row = PlantDestroy(
        label=plant,
        waste_method_name="Compost",
        waste_material_mixed="Soil",
        waste_reason_name="Other",
        reason_note="by hand",
        waste_weight=Decimal(100),
        waste_unit_of_measure_name="Grams",
        actual_date=clock.now().date(),
    )
    with metrc_client(sim) as m:
        m.destroy_plants(LICENCE, [row])


def _assert_third_refused(engine: Engine, sim: MetrcSimulator, events: list[str]) -> None:
    """The harvest of the plant destroyed at Metrc is refused and named; the two before it are
    filed (together); the three after it concern HB-1 and wait behind the refusal."""
    rows = {r["event_id"]: r for r in _harvests(engine)}
    assert [rows[e]["status"] for e in events] == ["done", "done", "refused"] + ["pending"] * 3
    refused = rows[events[2]]
    assert PLANTS[2] in refused["message"]
    ((subject, message),) = _refusal_notes(engine)
    assert events[2] in f"{subject} {message}"
    assert _metrc_harvest(sim) == (2, Decimal(WEIGHTS[0]) + Decimal(WEIGHTS[1]))


def _third_destroyed_at_metrc(engine: Engine, clock: ManualClock, tmp_path: object) -> None:
    """Six flowering plants filed; the third destroyed at Metrc by hand; then the harvest day
    recorded and filed: :func:`_assert_third_refused`."""
    with metrc_sim(tmp_path, clock) as sim:
        floor = linked_metrc(engine, sim, clock, LICENCE)
        _grown(floor)
        with connector(engine, clock) as c:
            drain(c, clock)
            _destroy_at_metrc_by_hand(sim, clock, PLANTS[2])
            events = _harvest_day(floor)
            drain(c, clock)
        _assert_third_refused(engine, sim, events)


def test_a_refused_row_names_its_event_and_the_rows_before_it_are_filed(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    _third_destroyed_at_metrc(engine, clock, tmp_path)
    assert {json.loads(r["readback"]).get("alone") for r in _harvests(engine)} == {None}


def test_a_refusal_naming_no_row_is_split_to_find_the_event_at_fault(
    engine: Engine, clock: ManualClock, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Metrc that words its refusal without row numbers: the batch is split, each call goes
    alone, and the refusal of the one at fault names it."""
    harvest = HttpMetrcClient.harvest_plants

    def unnumbered(self: HttpMetrcClient, licence: str, rows: list[Any]) -> Any:
        try:
            return harvest(self, licence, rows)
        except StateRefused as err:
            raise StateRefused(err.call, err.messages, status=err.status) from err

    monkeypatch.setattr(HttpMetrcClient, "harvest_plants", unnumbered)
    _third_destroyed_at_metrc(engine, clock, tmp_path)
    (before, *_) = _harvests(engine)
    assert json.loads(before["readback"]) == {"alone": True}
