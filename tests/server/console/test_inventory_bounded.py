"""The console's inventory page lists what is current, bounded (docs/performance.md, Scale,
change 19): batches that still hold untagged plants, seeds or cultures and open harvest
batches (something left to package, or a NET-WEIGHT-60D net weight still due), the most
urgent first, at most ``cap`` of each with the exact number of all; on SQLite and PostgreSQL,
through the real pipeline."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from server.compliance.rules.state import has_left
from server.console.queries import inventory
from server.db.core_tables import HARVEST_BATCHES as H
from tests.analytics.cases import weighed
from tests.server.conftest import LICENCE, OTHER_LICENCE
from tests.server.console.day import send
from tests.server.console.test_pages import MANAGER, OWN_PAGE, REGULATOR, make_app
from tests.server.domain import package_created, package_tags_received, package_uid
from tests.server.floor import Station, batch_created, harvested, tagged, to_flowering, uid


def destroyed(batch_id: str, count: int) -> dict[str, Any]:
    return {
        "kind": "plant.destroyed",
        "batch_id": batch_id,
        "count": count,
        "waste_weight": {"value": "10", "unit": "g"},
        "method": "compost",
        "reason": "Root rot",
    }


def ok(engine: Engine, station: Station, payload: dict[str, Any]) -> None:
    ack = send(engine, station, payload)
    assert ack.outcome == "accepted", (payload["kind"], ack)


def oregon(engine: Engine) -> None:
    """LICENCE (Oregon: no NET-WEIGHT-60D). Batches: B-1 of 12 clones with 6 tagged (6
    immature), B-95 (95, near the limit), B-SEEDS (20 seeds, none up), B-ALL (4, all tagged)
    and B-GONE (3, all destroyed). Harvest batches, first harvested in this order: HB-DONE
    (dried 400 g, all 400 packaged), HB-WET (not dried), HB-PART (dried 400 g, 100 packaged)
    and HB-DRYNONE (dried 300 g, all packaged, no net weight: finished here)."""
    s = Station("harvest-1", LICENCE)
    plants = [uid(n) for n in range(1, 7)]
    for payload in to_flowering("B-1", 12, plants):
        ok(engine, s, payload)
    ok(engine, s, batch_created("B-95", 95))
    ok(engine, s, {**batch_created("B-SEEDS", 20), "origin": "seed"})
    ok(engine, s, batch_created("B-ALL", 4))
    ok(engine, s, tagged("B-ALL", [uid(n) for n in range(7, 11)]))
    ok(engine, s, batch_created("B-GONE", 3))
    ok(engine, s, destroyed("B-GONE", 3))
    ok(engine, s, package_tags_received(1, 20))
    for plant, name in zip(plants, ["HB-DONE", "HB-WET", "HB-PART", "HB-DRYNONE"], strict=False):
        ok(engine, s, harvested(plant, "500", harvest_batch=name))
    ok(engine, s, weighed("HB-DONE", "400", "dry"))
    ok(engine, s, package_created(package_uid(1), [("HB-DONE", "250.5"), ("HB-PART", "100")]))
    ok(engine, s, package_created(package_uid(2), [("HB-DONE", "149.5")]))
    ok(engine, s, weighed("HB-PART", "400", "dry"))
    ok(engine, s, weighed("HB-DRYNONE", "300", "dry"))
    ok(engine, s, package_created(package_uid(3), [("HB-DRYNONE", "300")]))


def california(engine: Engine) -> None:
    """OTHER_LICENCE (California: NET-WEIGHT-60D), first harvested in this order: CA-NET
    (net 300 g, all packaged: finished), CA-NONET (dried 300 g, all packaged, no net weight:
    open, its net weight is due) and CA-LEFT (net 300 g, 100 packaged)."""
    s = Station("harvest-1", OTHER_LICENCE)
    plants = [uid(n) for n in range(101, 104)]
    for payload in to_flowering("C-1", 3, plants, tags=(101, 150)):
        ok(engine, s, payload)
    ok(engine, s, package_tags_received(501, 520))
    for plant, name in zip(plants, ["CA-NET", "CA-NONET", "CA-LEFT"], strict=True):
        ok(engine, s, harvested(plant, "500", harvest_batch=name))
    ok(engine, s, weighed("CA-NET", "300", "net"))
    ok(engine, s, package_created(package_uid(501), [("CA-NET", "300")]))
    ok(engine, s, weighed("CA-NONET", "300", "dry"))
    ok(engine, s, package_created(package_uid(502), [("CA-NONET", "300")]))
    ok(engine, s, weighed("CA-LEFT", "300", "net"))
    ok(engine, s, package_created(package_uid(503), [("CA-LEFT", "100")]))


def everything(engine: Engine, licences: list[str]) -> dict[str, inventory.HarvestRow]:
    with engine.connect() as conn:
        return {h.name: h for h in inventory.harvests(conn, licences)}


def test_only_batches_holding_something_are_listed_nearest_the_limit_first(
    engine: Engine,
) -> None:
    oregon(engine)
    inv = inventory.inventory(engine, [LICENCE])
    assert [(b.batch_id, b.immature, b.unsprouted, b.tagged) for b in inv.batches] == [
        ("B-95", 95, 0, 0),
        ("B-1", 6, 0, 6),
        ("B-SEEDS", 0, 20, 0),
    ]
    assert (inv.batches_total, inv.over_limit) == (3, 0)
    # The rooms count the batches' plants, not their seeds.
    assert {(r.location, r.phase): r.plants for r in inv.rooms if r.phase == "immature"} == {
        ("Veg Room 1", "immature"): 101
    }


def test_only_open_harvest_batches_are_listed_with_the_same_figures(engine: Engine) -> None:
    oregon(engine)
    california(engine)
    both = [LICENCE, OTHER_LICENCE]
    inv = inventory.inventory(engine, both)
    # Net weights due first (California's, by due date), then the rest by first harvest.
    assert [h.name for h in inv.harvests] == ["CA-NONET", "HB-WET", "HB-PART", "CA-LEFT"]
    assert inv.harvests_total == 4
    every = everything(engine, both)
    assert len(every) == 7  # HB-DONE, HB-DRYNONE and CA-NET are finished
    for h in inv.harvests:
        assert h == every[h.name]  # the same row, figure for figure
    part = every["HB-PART"]
    assert (part.wet_grams, part.dry_grams, part.net_grams) == (Decimal(500), Decimal(400), None)
    nonet = every["CA-NONET"]
    assert nonet.net_due_at == nonet.first_harvest_at + timedelta(days=60)
    only_oregon = inventory.inventory(engine, [LICENCE])
    assert [h.name for h in only_oregon.harvests] == ["HB-WET", "HB-PART"]
    assert only_oregon.harvests_total == 2


def test_each_list_stops_at_the_cap_and_counts_all_exactly(engine: Engine) -> None:
    oregon(engine)
    california(engine)
    inv = inventory.inventory(engine, [LICENCE, OTHER_LICENCE], cap=2)
    assert [b.batch_id for b in inv.batches] == ["B-95", "B-1"]
    assert inv.batches_total == 3
    assert [h.name for h in inv.harvests] == ["CA-NONET", "HB-WET"]
    assert inv.harvests_total == 4


def test_the_over_limit_tile_counts_beyond_the_cap(engine: Engine) -> None:
    """BATCH-MAX-100 refuses a batch over 100, so none is over here: the tile counts in the
    database, so a cap of 1 still counts both near-limit ones as holding plants."""
    s = Station("harvest-1", LICENCE)
    ok(engine, s, batch_created("B-99", 99))
    ok(engine, s, batch_created("B-98", 98))
    inv = inventory.inventory(engine, [LICENCE], cap=1)
    assert [b.batch_id for b in inv.batches] == ["B-99"]
    assert (inv.batches_total, inv.over_limit) == (2, 0)


def test_has_left_is_what_the_weights_say(engine: Engine) -> None:
    """The stored flag the index reads agrees with the exact grams of every row, whether the
    ingest's overlay or the projections wrote it."""
    oregon(engine)
    california(engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(H)).mappings().all()
    assert len(rows) == 7
    for r in rows:
        weights = r.wet_weight_grams, r.dry_weight_grams, r.net_weight_grams, r.packaged_grams
        assert r.has_left is has_left(*weights), r.name
    assert {r.name for r in rows if not r.has_left} == {
        "HB-DONE",
        "HB-DRYNONE",
        "CA-NET",
        "CA-NONET",
    }


def test_the_page_says_how_many_are_shown_of_how_many(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    oregon(engine)
    california(engine)
    monkeypatch.setattr(inventory, "CAP", 2)
    with TestClient(make_app(engine, REGULATOR), headers=OWN_PAGE) as client:
        html = client.get("/console/inventory").text
    assert (
        "Showing the 2 most urgent of 3 batches with untagged plants, seeds or cultures, "
        "nearest the limit first." in html
    )
    assert "Showing the 2 most urgent of 4 open harvest batches, net weights due first." in html
    assert "/api/v1/licensees/{licence}/harvest-batches" in html
    harvests = html.split('id="harvests"', 1)[1].split("</tbody>", 1)[0]
    assert harvests.index("CA-NONET") < harvests.index("HB-WET")
    assert "HB-PART" not in harvests
    assert "HB-DONE" not in harvests
    batches = html.split('id="batches"', 1)[1].split("</tbody>", 1)[0]
    assert batches.index("B-95") < batches.index("B-1")
    assert "B-SEEDS" not in batches


def test_under_the_cap_the_page_gives_the_count_and_where_the_rest_are(engine: Engine) -> None:
    """One licensee: the notes name the licensee's full lists in the API."""
    oregon(engine)
    with TestClient(make_app(engine, MANAGER), headers=OWN_PAGE) as client:
        html = client.get("/console/inventory").text
    assert "3 batches with untagged plants, seeds or cultures, nearest the limit first." in html
    assert "2 open harvest batches, net weights due first." in html
    assert "Showing the" not in html
    assert f"<code>GET /api/v1/licensees/{LICENCE}/harvest-batches</code>" in html
    assert f"<code>GET /api/v1/licensees/{LICENCE}/batches</code>" in html
    harvests = html.split('id="harvests"', 1)[1].split("</tbody>", 1)[0]
    assert "HB-DONE" not in harvests
    assert "HB-DRYNONE" not in harvests
    assert "HB-WET" in harvests
    assert "HB-PART" in harvests
