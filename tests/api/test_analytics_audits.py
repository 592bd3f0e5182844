"""A physical audit recorded through the API (inventory.audited, through the ingest) and its
signal after the refresh, on SQLite and PostgreSQL; the honest twin (an audit that found what
the system holds) raises none, and a regulator may compare but not record."""

import json

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.analytics.refresh import refresh
from server.analytics.tables import SIGNALS
from tests.api.seed import Floor
from tests.server.conftest import LICENCE, OTHER_LICENCE

API = "/api/v1"


def counted(floor: Floor, grams: str) -> dict[str, object]:
    """The harvest batch weighed (450 g on hand: 550 g dry less 100 g packaged), its three
    plants harvested (none live) and nothing else."""
    return {
        "counted": [
            {
                "item_type": "harvest_batch",
                "item_id": floor.harvest_batch,
                "weight": {"value": grams, "unit": "g"},
            }
        ],
        "audited_by": "OLCC inspector K. Lee",
    }


def test_a_recorded_audit_short_of_weight_is_a_signal_and_a_full_one_is_not(
    client: TestClient,
    engine: Engine,
    clock: ManualClock,
    floors: tuple[Floor, Floor],
    admin: dict[str, str],
    other_admin: dict[str, str],
    regulator: dict[str, str],
) -> None:
    ours, theirs = floors
    url = f"{API}/licensees/{LICENCE}/audits/record"
    refused = client.post(url, json=counted(ours, "300"), headers=regulator)
    assert refused.status_code == 403, refused.text
    compared = client.post(
        f"{API}/licensees/{LICENCE}/audits",
        json={"counted": counted(ours, "300")["counted"]},
        headers=regulator,
    )
    assert compared.status_code == 200, compared.text

    answer = client.post(url, json={**counted(ours, "300"), "audit_id": "AUD-7"}, headers=admin)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["audit_id"] == "AUD-7"
    (event_id,) = body["event_ids"]
    (line,) = body["result"]["lines"]
    assert (line["expected_grams"], line["counted_grams"], line["finding"]) == (
        "450",
        "300",
        "variance",
    )
    twin = client.post(
        f"{API}/licensees/{OTHER_LICENCE}/audits/record",
        json=counted(theirs, "445"),  # 1.1 % light: moisture
        headers=other_admin,
    )
    assert twin.status_code == 201, twin.text
    assert twin.json()["audit_id"].startswith("AUD-")

    with engine.connect() as conn:
        audits = conn.execute(
            sa.text(
                "SELECT licence, audit_id, lines, variances FROM inventory_audits ORDER BY position"
            )
        ).all()
    assert [tuple(a) for a in audits] == [
        (LICENCE, "AUD-7", 1, 1),
        (OTHER_LICENCE, twin.json()["audit_id"], 1, 0),
    ]

    refresh(engine, clock.now())
    with engine.connect() as conn:
        rows = conn.execute(sa.select(SIGNALS).where(SIGNALS.c.kind.like("audit-%"))).all()
    (signal,) = rows
    assert (signal.licence, signal.kind, signal.subject, signal.score) == (
        LICENCE,
        "audit-variance",
        "AUD-7",
        1,
    )
    assert json.loads(signal.event_ids) == [event_id]
    assert (
        f"harvest_batch {ours.harvest_batch}: 300 g weighed, 450 g expected" in signal.explanation
    )
    assert "Of the 450 g the system expected, 33.3 % was not found." in signal.explanation
    trail = client.get(f"{API}/licensees/{LICENCE}/analytics/signals", headers=regulator).json()
    assert [s["kind"] for s in trail["items"] if s["subject"] == "AUD-7"] == ["audit-variance"]
