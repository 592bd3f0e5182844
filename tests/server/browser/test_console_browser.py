"""The ops console in headless Chromium against a real site: mosquitto, the ingest worker,
the health listener and the web app under uvicorn. Each test saves a screenshot of the page
it ends on under tests/artifacts/."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI

from edge.link import StationLink
from schemas.status import StationState, StationStatus
from tests.server.browser.conftest import Site
from tests.server.browser.harness import LiveServer, screenshot, serve
from tests.server.conftest import LICENCE
from tests.server.console.day import PLANTS, floor_day
from tests.server.console.test_pages import MANAGER, make_app
from tests.server.floor import Station, batch_created

pytestmark = [pytest.mark.broker, pytest.mark.slow]


@pytest.fixture
def web(site: Site) -> Iterator[LiveServer]:
    app: FastAPI = make_app(site.engine, MANAGER)
    yield from serve(app)


def test_a_scan_published_over_mqtt_appears_in_the_live_feed(
    site: Site, web: LiveServer, page: Any
) -> None:
    floor_day(site.engine)
    page.goto(f"{web.url}/console/")
    page.get_by_role("status").filter(has_text="Live").wait_for()
    page.evaluate("window.notReloaded = true")
    station = Station("veg-2", LICENCE)
    link = StationLink(LICENCE, "veg-2", "127.0.0.1", site.broker.port)
    link.connect()
    try:
        link.publish(station.event(batch_created("B-LIVE", 40)))
        ack = link.wait_ack(15)
    finally:
        link.close()
    assert ack.outcome.value == "accepted"
    row = page.locator("#feed tr").first
    row.filter(has_text="Started batch B-LIVE: 40 Blue Dream").wait_for()
    assert "veg-2" in row.inner_text()
    assert "Accepted" in row.inner_text()
    assert page.evaluate("window.notReloaded") is True
    screenshot(page, "feed-live")


def test_station_health_updates_when_a_station_goes_online(
    site: Site, web: LiveServer, page: Any
) -> None:
    page.goto(f"{web.url}/console/stations")
    page.get_by_text("No station has reported its status yet.").wait_for()
    link = StationLink(LICENCE, "dry-1", "127.0.0.1", site.broker.port)
    link.connect()
    try:
        link.publish_status(
            StationStatus(
                state=StationState.ONLINE,
                at=datetime.now(UTC),
                outbox_depth=12,
                devices={"scale-1": "unplugged", "reader-1": "ok"},
            )
        )
        row = page.locator("#stations tr[data-station='dry-1']")
        row.wait_for()
        text = row.inner_text()
        assert "Online" in text
        assert "12" in text
        assert "scale-1: unplugged" in text
        screenshot(page, "stations")
    finally:
        link.close()


def test_inventory_and_audit_pages(site: Site, web: LiveServer, page: Any) -> None:
    floor_day(site.engine)
    page.goto(f"{web.url}/console/inventory")
    harvests = page.locator("#harvests")
    assert "1,530.45 g" in harvests.inner_text()
    assert page.locator("svg.chart").count() == 2
    screenshot(page, "inventory")
    page.get_by_role("link", name="Audit trail").click()
    page.get_by_label("Item").fill(PLANTS[0])
    page.get_by_role("button", name="Show trail").click()
    trail = page.locator("#trail")
    trail.get_by_text(f"Harvested {PLANTS[0]} into HB-1, 512.4 g wet").wait_for()
    assert trail.locator("tr").count() == 4
    screenshot(page, "audit-trail")
    page.get_by_role("link", name="Tag stock").click()
    assert "220 days" in page.locator("#tag-stock").inner_text()
    screenshot(page, "tags")
