"""Daily reconciliation and physical audit over the API."""

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.compliance.deadlines import sweep
from tests.api.conftest import USER, refused_field
from tests.api.seed import Floor
from tests.server.conftest import LICENCE

Headers = dict[str, str]
BASE = f"/api/v1/licensees/{LICENCE}"


def test_the_close_of_business_report(
    client: TestClient, user: Headers, floors: tuple[Floor, Floor]
) -> None:
    report = client.get(BASE + "/reconciliation", headers=user).json()
    assert report["business_date"] == "2026-11-24"  # 09:30 in Los Angeles
    assert report["timezone"] == "America/Los_Angeles"
    assert (report["window_start"], report["window_end"]) == (
        "2026-11-24T08:00:00Z",
        "2026-11-25T08:00:00Z",
    )
    here = {(line["item"], line["state"]): line for line in report["on_premises"]}
    assert here[("immature_plants", "untagged")]["count"] == 7
    # 550 g dry, of which 100 g went into the package.
    assert here[("harvest_batch", "dried")]["weight_grams"] == "450"
    assert here[("package:flower", "manifested")]["weight_grams"] == "100"
    assert ("plant", "flowering") not in here  # harvested or destroyed
    assert report["in_transit"] == []
    changes = {c["kind"]: c for c in report["changes"]}
    assert changes["plant.harvested"] == {"kind": "plant.harvested", "accepted": 2, "rejected": 0}
    assert report["reconciled"] == []


def test_reconciling_records_who_closed_the_day_and_resolves_the_notification(
    client: TestClient,
    engine: Engine,
    clock: ManualClock,
    manager: Headers,
    user: Headers,
    floors: tuple[Floor, Floor],
) -> None:
    client.patch(BASE + "/licence", headers=manager, json={"close_of_business": "18:00:00"})
    clock.advance(10 * 3600)  # 19:30 in Los Angeles: past close of business
    sweep(engine, clock.now())
    days = client.get(
        BASE + "/notifications", headers=user, params={"rule_id": "DAILY-RECONCILE"}
    ).json()["items"]
    today = next(n for n in days if n["subject_id"] == "2026-11-24")
    assert today["state"] == "overdue"  # due at 18:00, it is 19:30
    report = client.get(BASE + "/reconciliation", headers=user, params={"date": "2026-11-24"})
    assert report.json()["window_end"] == "2026-11-25T02:00:00Z"  # 18:00 PST
    answer = client.post(
        BASE + "/reconciliation",
        headers=user,
        json={"business_date": "2026-11-24", "note": "All counted"},
    )
    assert answer.status_code == 201, answer.text
    closed = client.get(BASE + "/reconciliation", headers=user, params={"date": "2026-11-24"})
    assert [(r["recorded_by"], r["note"]) for r in closed.json()["reconciled"]] == [
        (USER, "All counted")
    ]
    after = client.get(BASE + f"/notifications/{today['id']}", headers=user).json()
    assert after["state"] == "resolved"
    listed = client.get(BASE + "/reconciliations", headers=user, params={"format": "csv"})
    assert listed.text.splitlines()[1].startswith("2026-11-24,All counted,")


def test_a_reconciliation_of_a_future_day_is_refused(
    client: TestClient, user: Headers, floors: tuple[Floor, Floor]
) -> None:
    answer = client.post(
        BASE + "/reconciliation", headers=user, json={"business_date": "2026-12-01"}
    )
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"location": "body", "field": "business_date", "message": "2026-12-01 is in the future"}
    ]
    bad = client.get(BASE + "/reconciliation", headers=user, params={"date": "24/11/2026"})
    assert refused_field(bad) == "date"


def test_inventory_lists_and_exports(
    client: TestClient, user: Headers, floors: tuple[Floor, Floor]
) -> None:
    rows = client.get(BASE + "/inventory", headers=user).json()["items"]
    assert {r["where"] for r in rows} == {"on_premises"}
    exported = client.get(BASE + "/inventory", headers=user, params={"format": "csv"}).text
    assert exported.splitlines()[0] == "item,state,count,units,weight_grams,where"


def test_an_audit_marks_moisture_variation_apart_from_violations(
    client: TestClient, user: Headers, regulator: Headers, floors: tuple[Floor, Floor]
) -> None:
    mine = floors[0]
    counted = {
        "counted": [
            # 450 g expected: 4 % lighter is normal drying (tolerance 5 %).
            {
                "item_type": "harvest_batch",
                "item_id": mine.harvest_batch,
                "weight": {"value": "432", "unit": "g"},
            },
            {
                "item_type": "package",
                "item_id": mine.package_uids[0],
                "weight": {"value": "90", "unit": "g"},
            },
            {"item_type": "batch", "item_id": mine.batch_id, "count": 7},
            {"item_type": "plant", "item_id": "9" * 24, "count": 1},
        ]
    }
    answer = client.post(BASE + "/audits", headers=user, json=counted)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["moisture_tolerance_pct"] == "5"
    lines = {(x["item_type"], x["item_id"]): x for x in result["lines"]}
    hb = lines[("harvest_batch", mine.harvest_batch)]
    assert (hb["variance_grams"], hb["variance_pct"], hb["finding"]) == (
        "-18",
        "-4.00",
        "within_moisture_tolerance",
    )
    package = lines[("package", mine.package_uids[0])]
    assert (package["variance_pct"], package["finding"]) == ("-10.00", "variance")
    assert lines[("batch", mine.batch_id)]["finding"] == "match"
    assert lines[("plant", "9" * 24)]["finding"] == "unknown_item"
    assert result["violations"] == 2
    # A regulator overseeing the licensee may audit it: nothing is recorded.
    assert client.post(BASE + "/audits", headers=regulator, json=counted).status_code == 200
    exported = client.post(BASE + "/audits", headers=user, json=counted, params={"format": "csv"})
    assert exported.text.splitlines()[0].startswith("item_type,item_id,usable_cannabis")
    assert Decimal(hb["expected_grams"]) == Decimal(450)


def test_an_audit_reports_what_was_not_counted_and_bad_lines(
    client: TestClient, user: Headers, floors: tuple[Floor, Floor]
) -> None:
    mine = floors[0]
    only_one = {"counted": [{"item_type": "package", "item_id": mine.package_uids[0], "count": 0}]}
    result = client.post(BASE + "/audits", headers=user, json=only_one).json()
    assert [(x["item_id"], x["finding"]) for x in result["lines"]] == [
        (mine.package_uids[0], "match")
    ]
    twice = {"counted": [{"item_type": "batch", "item_id": mine.batch_id, "count": 7}] * 2}
    bad = client.post(BASE + "/audits", headers=user, json=twice)
    assert bad.status_code == 422
    assert "counted twice" in bad.json()["detail"]
    empty = client.post(
        BASE + "/audits", headers=user, json={"counted": [{"item_type": "batch", "item_id": "B"}]}
    )
    assert empty.status_code == 422
    assert "give the count, the weight, or both" in empty.json()["detail"]
    harvest_only = {"counted": [{"item_type": "batch", "item_id": "nope", "count": 1}]}
    missing = client.post(BASE + "/audits", headers=user, json=harvest_only).json()["lines"]
    assert (mine.batch_id, "not_counted") in [(x["item_id"], x["finding"]) for x in missing]
