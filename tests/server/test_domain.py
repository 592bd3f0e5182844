"""Every payload kind reaches its projection, and a rebuild from the log reproduces them all."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.acks import Outcome
from schemas.clock import SYSTEM_CLOCK
from schemas.events import EventEnvelope
from server.compliance.rules.kinds import ALL_KINDS
from server.db.tables import PROJECTION_TABLES
from server.ingest.pipeline import Pipeline
from server.store import replay
from server.store.projections import HANDLERS
from server.store.rebuild import verify
from tests.server import domain as d
from tests.server.conftest import STAFF_EVENTS
from tests.server.floor import MANAGER, Station, batch_created, harvested, to_flowering, uid
from tests.server.test_pipeline import run

HB = "HB-2026-11-22"
FOREIGN = ["1A4FF0900000022000000001", "1A4FF0900000022000000002"]


def every_kind(station: Station, console: Station) -> list[tuple[Station, EventEnvelope]]:
    """A licensee's life, from set-up to close-out, touching every payload kind but
    ``record.corrected`` (tests/server/test_corrections.py)."""
    plants = [uid(1), uid(2), uid(3)]
    p1, p2 = d.package_uid(1), d.package_uid(2)
    lost_at = datetime.now(UTC) - timedelta(hours=2)
    lost = station.event(d.access_lost(lost_at))
    out: list[tuple[Station, EventEnvelope]] = [
        (console, console.event(d.licence_updated(licence_type="producer", status="active"))),
        (console, console.event(d.licence_updated(close_of_business="18:00:00"))),
        (console, console.event(d.location_added("Flower 1", "canopy"))),
        (console, console.event(d.location_added("Drying Room 1", "drying_room"))),
        (console, console.event(d.user_registered("j.garcia"))),
        (console, console.event(d.user_trained("j.garcia", "2024-06-03"))),
        (console, console.event(d.training_registered("j.garcia"))),
        (console, console.event(d.tags_ordered())),
        *((station, station.event(p)) for p in to_flowering("B-17", 10, plants, tags=(1, 50))),
        (station, station.event({**batch_created("B-SEEDS", 20), "origin": "seed"})),
        (
            station,
            station.event({"kind": "plant_batch.germinated", "batch_id": "B-SEEDS", "count": 12}),
        ),
        (station, station.event(d.package_tags_received(1, 20))),
        (station, station.event({"kind": "plants.moved", "uids": plants, "location": "Flower 1"})),
    ]
    out += [(station, station.event(harvested(u, "500", harvest_batch=HB))) for u in plants]
    waste = {"value": "20", "unit": "g"}
    out += [
        (
            station,
            station.event(
                {
                    "kind": "harvest_batch.weighed",
                    "harvest_batch": HB,
                    "weight_type": "dry",
                    "weight": {"value": "400", "unit": "g"},
                }
            ),
        ),
        (
            station,
            station.event(
                {
                    "kind": "plant.destroyed",
                    "batch_id": "B-17",
                    "count": 2,
                    "waste_weight": waste,
                    "method": "compost",
                    "reason": "Root rot",
                }
            ),
        ),
        (
            station,
            station.event(
                {
                    "kind": "waste.recorded",
                    "harvest_batch": HB,
                    "location": "Trim room",
                    "weight": waste,
                    "method": "compost",
                    "reason": "Stems",
                }
            ),
        ),
        (station, station.event({"kind": "tag.retired", "uid": uid(49), "reason": "Damaged"})),
        (station, station.event(d.package_created(p1, [(HB, "100")]))),
        (station, station.event(d.package_created(p2, [(HB, "50")]))),
        (station, lost),
        (
            station,
            station.event(d.access_restored(lost.event_id, lost_at + timedelta(minutes=30), 0)),
        ),
        (console, console.event(d.manifested("M-1", [(p1, "100")]))),
        (console, console.event(d.departed("M-1"))),
        (console, console.event(d.acknowledged("M-1", [p1]))),
        (console, console.event(d.arrived("M-IN-1", FOREIGN))),
        (
            console,
            console.event(
                d.received("M-IN-1", accepted=[(FOREIGN[0], "28")], rejected=[(FOREIGN[1], "Wet")])
            ),
        ),
        (console, console.event(d.sale(p2, d.grams("3.5")))),
        (console, console.event(d.record_flagged(lost.event_id))),
    ]
    discovery = console.event(d.diversion_discovered([p2]))
    out += [
        (console, discovery),
        (console, console.event(d.diversion_reported(discovery.event_id))),
        (console, console.event(d.reconciled())),
        (console, console.event(d.audited(p2, "46.5", "40"))),
        (console, console.event(d.user_cancelled("j.garcia"))),
        (console, console.event(d.licence_updated(status="surrendered"))),
        (console, console.event(d.closed_out())),
    ]
    return out


def run_all(pipeline: Pipeline, events: list[tuple[Station, EventEnvelope]]) -> list[Any]:
    acks = []
    for station, event in events:
        acks += run(pipeline, station, event)
    return acks


def rows(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql)).all()]


def test_every_payload_kind_has_a_projection() -> None:
    assert set(HANDLERS) == ALL_KINDS


def test_every_kind_is_projected_and_rebuilt_identically(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = Pipeline(engine, clock=SYSTEM_CLOCK)
    events = every_kind(Station(), Station("office-1", operator=MANAGER))
    acks = run_all(pipeline, events)
    assert [(a.outcome, a.violations) for a in acks] == [(Outcome.ACCEPTED, [])] * len(events)
    kinds = {e.kind for _, e in events}
    assert kinds == ALL_KINDS - {"record.corrected"}

    empty = [t for t in PROJECTION_TABLES if rows(engine, f"SELECT count(*) FROM {t}") == [(0,)]]
    assert empty == ["corrections"]
    p1, p2 = d.package_uid(1), d.package_uid(2)
    assert rows(
        engine, "SELECT uid, source, status, quantity_grams FROM packages ORDER BY uid"
    ) == [
        (p1, "created", "departed", "100"),
        (p2, "created", "on_hand", "50"),
        (FOREIGN[0], "received", "on_hand", "28"),
    ]
    assert rows(engine, "SELECT packaged_grams FROM harvest_batches") == [("150",)]
    assert rows(engine, f"SELECT item_type, item_id FROM tags WHERE uid = '{p1}'") == [
        ("package", p1)
    ]
    assert rows(
        engine, "SELECT direction, manifest_id, status FROM transfers ORDER BY direction"
    ) == [
        ("in", "M-IN-1", "received"),
        ("out", "M-1", "departed"),
    ]
    assert rows(
        engine,
        "SELECT uid, decision, reject_reason FROM transfer_items WHERE direction = 'in'"
        " ORDER BY uid",
    ) == [(FOREIGN[0], "accepted", None), (FOREIGN[1], "rejected", "Wet")]
    (user,) = rows(
        engine,
        "SELECT user_id, role, first_trained_on, cancel_reason FROM users"
        " WHERE user_id = 'j.garcia'",
    )
    assert user[:2] == ("j.garcia", "user")
    assert str(user[2]) == "2024-06-03"
    assert user[3] == "Left the company"
    (licence,) = rows(
        engine, "SELECT licence_type, status, close_of_business, closed_out_at FROM licence_details"
    )
    assert licence[:2] == ("producer", "surrendered")
    assert str(licence[2]).startswith("18:00")
    assert licence[3] is not None
    (loss,) = rows(engine, "SELECT station_id, backlog, restored_at FROM access_losses")
    assert loss[:2] == ("harvest-1", 0)
    assert loss[2] is not None
    assert rows(engine, "SELECT audit_id, part, parts, lines, variances FROM inventory_audits") == [
        ("AUD-1", 1, 1, 1, 1)
    ]

    expected = (len(events) + STAFF_EVENTS, [])
    assert verify(engine, keep=False, per_event=True) == expected  # one by one: the reference
    for length in (replay.RUN, 1, 3):  # batched through the overlay, in runs of these lengths
        monkeypatch.setattr(replay, "RUN", length)
        assert verify(engine, keep=False) == expected
