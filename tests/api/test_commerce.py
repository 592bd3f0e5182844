"""Packages, transfers and sales over the API."""

from fastapi.testclient import TestClient

from tests.api.conftest import refused_field
from tests.api.seed import Floor
from tests.server.conftest import LICENCE

Headers = dict[str, str]
BASE = f"/api/v1/licensees/{LICENCE}"


def test_packages_with_their_harvest_batches(
    client: TestClient, user: Headers, floors: tuple[Floor, Floor]
) -> None:
    mine = floors[0]
    listed = client.get(BASE + "/packages", headers=user, params={"status": "manifested"}).json()
    assert [p["uid"] for p in listed["items"]] == [mine.package_uids[0]]
    package = listed["items"][0]
    assert (package["category"], package["quantity_grams"], package["manifest_id"]) == (
        "flower",
        "100",
        mine.manifest_id,
    )
    by_batch = client.get(BASE + "/packages", headers=user, params={"harvest_batch": "other"})
    assert by_batch.json()["total"] == 0
    detail = client.get(BASE + f"/packages/{mine.package_uids[0]}", headers=user).json()
    assert detail["sources"] == [{"harvest_batch": mine.harvest_batch, "weight_grams": "100"}]
    bad = client.get(BASE + "/packages", headers=user, params={"category": "bud"})
    assert refused_field(bad) == "category"


def test_transfers_and_their_items(
    client: TestClient, user: Headers, floors: tuple[Floor, Floor]
) -> None:
    mine = floors[0]
    out = client.get(BASE + "/transfers", headers=user, params={"direction": "out"}).json()
    assert [(t["manifest_id"], t["status"]) for t in out["items"]] == [
        (mine.manifest_id, "manifested")
    ]
    assert (
        client.get(BASE + "/transfers", headers=user, params={"direction": "in"}).json()["items"]
        == []
    )
    detail = client.get(BASE + f"/transfers/out/{mine.manifest_id}", headers=user).json()
    assert detail["transfer"]["purchaser_licence"] == "C10-0000001-LIC"
    assert [(i["uid"], i["quantity_grams"]) for i in detail["items"]] == [
        (mine.package_uids[0], "100")
    ]
    missing = client.get(BASE + f"/transfers/in/{mine.manifest_id}", headers=user)
    assert missing.status_code == 404


def test_sales_list_and_export(
    client: TestClient, user: Headers, floors: tuple[Floor, Floor]
) -> None:
    page = client.get(BASE + "/sales", headers=user).json()
    assert (page["items"], page["total"]) == ([], 0)
    exported = client.get(BASE + "/sales", headers=user, params={"format": "csv"}).text
    assert exported == "position,package_uid,quantity_grams,quantity_count,price,sold_at\r\n"
