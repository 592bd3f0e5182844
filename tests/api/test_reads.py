"""The read routes: what a licensee's data looks like through the API, filters, pages, CSV."""

import csv
import io

from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN, refused_field
from tests.api.seed import Floor, station_of
from tests.server.conftest import LICENCE

Headers = dict[str, str]
BASE = f"/api/v1/licensees/{LICENCE}"


def get(client: TestClient, headers: Headers, path: str, **params: str | int | bool) -> dict:  # type: ignore[type-arg]
    answer = client.get(BASE + path, headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    body: dict = answer.json()  # type: ignore[type-arg]
    return body


def rows_of(
    client: TestClient, headers: Headers, path: str, **params: str | int | bool
) -> list[dict[str, str]]:
    answer = client.get(BASE + path, headers=headers, params={**params, "format": "csv"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.text)))


def test_licensees_lists_only_what_the_account_may_read(
    client: TestClient, regulator: Headers
) -> None:
    page = client.get("/api/v1/licensees", headers=regulator).json()
    assert [item["licence"] for item in page["items"]] == [LICENCE]
    assert page["total"] == 1
    assert get(client, regulator, "")["name"] == "Green Acres Farm"


def test_the_event_log_says_who_what_when_and_from_where(
    client: TestClient, regulator: Headers, floors: tuple[Floor, Floor]
) -> None:
    mine = floors[0]
    page = get(client, regulator, "/events", limit=3)
    # The floor, after three people registered and trained (six events).
    assert page["total"] == len(mine.event_ids) + 6
    assert [e["event_id"] for e in page["items"]] == mine.event_ids[::-1][:3]
    assert page["items"][0]["kind"] == "record.flagged"
    waste = get(client, regulator, "/events", kind="waste.recorded")["items"]
    assert len(waste) == 1
    assert waste[0]["operator_id"] == ADMIN
    assert waste[0]["station_id"] == station_of(LICENCE)
    assert waste[0]["outcome"] == "accepted"
    assert waste[0]["payload"]["reason"] == "Stems and fan leaves"
    second = get(client, regulator, "/events", limit=3, offset=3)
    assert [e["event_id"] for e in second["items"]] == mine.event_ids[::-1][3:6]
    harvests = get(client, regulator, "/events", kind="plant.harvested")
    assert [e["payload"]["uid"] for e in harvests["items"]] == mine.plants[1::-1]
    receipts = get(client, regulator, "/events", kind="tags.received")["items"]
    roll = next(e for e in receipts if e["payload"]["first"] is not None)
    one = get(client, regulator, f"/events/{roll['event_id']}")
    assert one["payload"]["first"] == mine.uids[0]


def test_event_filters_are_validated(client: TestClient, regulator: Headers) -> None:
    bad = client.get(
        BASE + "/events",
        headers=regulator,
        params={"since": "2026-11-24T10:00:00", "limit": 0, "outcome": "maybe"},
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {"since", "limit", "outcome"}
    backwards = client.get(
        BASE + "/events",
        headers=regulator,
        params={"since": "2026-11-24T10:00:00Z", "until": "2026-11-23T10:00:00Z"},
    )
    assert refused_field(backwards) == "until"


def test_the_tag_ledger_stock_and_a_uids_history(
    client: TestClient, regulator: Headers, floors: tuple[Floor, Floor]
) -> None:
    mine = floors[0]
    stock = {s["tag_type"]: s for s in get(client, regulator, "/tag-stock")["items"]}
    assert stock["plant"] == {
        "tag_type": "plant",
        "available": 7,
        "assigned": 3,
        "retired": 0,
        "total": 10,
    }
    assert (stock["package"]["available"], stock["package"]["assigned"]) == (2, 1)
    available = get(client, regulator, "/tags", tag_type="plant", status="available")
    assert [t["uid"] for t in available["items"]] == mine.uids[3:]
    detail = get(client, regulator, f"/tags/{mine.uids[0]}")
    assert detail["tag"]["status"] == "assigned"
    assert detail["tag"]["item_type"] == "plant"
    # The roll receipt names the UID only by its range; it is part of the history all the same.
    assert [e["kind"] for e in detail["history"]] == [
        "tags.received",
        "plants.tagged",
        "plants.phase_changed",
        "plant.harvested",
    ]
    untouched = get(client, regulator, f"/tags/{mine.uids[9]}")
    assert [e["kind"] for e in untouched["history"]] == ["tags.received"]


def test_batches_plants_and_their_filters(
    client: TestClient, regulator: Headers, floors: tuple[Floor, Floor]
) -> None:
    mine = floors[0]
    batch = get(client, regulator, f"/batches/{mine.batch_id}")
    assert (batch["initial_count"], batch["untagged_count"], batch["tagged_count"]) == (10, 7, 3)
    assert get(client, regulator, "/batches", strain="Blue Dream")["total"] == 1
    assert get(client, regulator, "/batches", strain="OG Kush")["total"] == 0
    harvested = get(client, regulator, "/plants", phase="harvested")
    assert [p["uid"] for p in harvested["items"]] == mine.plants[:2]
    plant = get(client, regulator, f"/plants/{mine.plants[0]}")
    assert plant["wet_weight_grams"] == "1200.5"
    assert plant["harvest_batch"] == mine.harvest_batch
    destroyed = get(client, regulator, "/plants", phase="destroyed")
    assert [p["uid"] for p in destroyed["items"]] == [mine.plants[2]]


def test_harvest_batches_show_weights_and_moisture_loss(
    client: TestClient, regulator: Headers, floors: tuple[Floor, Floor]
) -> None:
    mine = floors[0]
    hb = get(client, regulator, f"/harvest-batches/{mine.harvest_batch}")
    assert hb["plant_count"] == 2
    assert hb["wet_weight_grams"] == "2200.0"
    assert hb["dry_weight_grams"] == "550"
    assert hb["moisture_loss_pct"] == "75.00"
    assert hb["waste_grams"] == "120"
    assert get(client, regulator, "/harvest-batches", dried=False)["total"] == 0
    waste = get(client, regulator, "/waste")["items"]
    assert [(w["source"], w["weight_grams"]) for w in waste] == [
        ("harvest_batch", "120"),
        ("plant", "300"),
    ]


def test_stations_list_the_console(
    client: TestClient, regulator: Headers, floors: tuple[Floor, Floor]
) -> None:
    stations = get(client, regulator, "/stations")["items"]
    assert [s["station_id"] for s in stations] == ["console", station_of(LICENCE)]
    assert stations[1]["next_sequence"] == 2  # it sent one event


def test_every_list_exports_csv(
    client: TestClient, regulator: Headers, floors: tuple[Floor, Floor]
) -> None:
    plants = rows_of(client, regulator, "/plants", limit=1)
    assert len(plants) == 3  # an export is every match, not one page
    assert plants[0]["uid"] == floors[0].plants[0]
    assert plants[2]["harvest_batch"] == ""  # null is an empty cell
    events = rows_of(client, regulator, "/events", kind="plant.destroyed")
    assert events[0]["payload"].startswith('{"kind":"plant.destroyed"')
    stock = rows_of(client, regulator, "/tag-stock")
    assert [r["tag_type"] for r in stock] == ["plant", "package"]
    answer = client.get(BASE + "/waste", headers=regulator, params={"format": "csv"})
    assert answer.headers["content-disposition"] == 'attachment; filename="waste.csv"'


def test_unknown_items_are_404_with_what_was_missing(
    client: TestClient, regulator: Headers, floors: tuple[Floor, Floor]
) -> None:
    answer = client.get(BASE + "/plants/" + "9" * 24, headers=regulator)
    assert answer.status_code == 404
    assert answer.json()["detail"] == f"plant {'9' * 24} not found"
    bad = client.get(BASE + "/plants/not-a-uid", headers=regulator)
    assert refused_field(bad) == "uid"
