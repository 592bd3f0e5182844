"""The ops console in headless Chromium against a real site: mosquitto, the ingest worker,
the health listener and the web app (API + console) under uvicorn, with real accounts. Each
test saves a screenshot of the pages it checks under tests/artifacts/."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from edge.link import StationLink
from schemas.clock import SYSTEM_CLOCK
from schemas.status import StationState, StationStatus
from server.compliance.deadlines import State
from server.console.queries import trail
from server.console.queries.notifications import SHOWN
from server.db.core_tables import NOTIFICATIONS
from tests.server.browser.conftest import REGULATOR, Site
from tests.server.browser.harness import screenshot
from tests.server.conftest import LICENCE, OTHER_LICENCE
from tests.server.console.day import PLANTS, flag, floor_day, send
from tests.server.console.test_notifications_bounded import notification_row
from tests.server.floor import Station, batch_created, tags_received

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_signing_in_with_a_wrong_password_is_refused(site: Site, page: Any) -> None:
    page.goto(f"{site.web.url}/console/inventory")
    assert page.url.endswith("/console/sign-in?next=/console/inventory")
    page.get_by_label("Log-on").fill("a.chen")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").filter(has_text="Wrong log-on or password.").wait_for()
    screenshot(page, "sign-in-refused")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Inventory").wait_for()  # back where they wanted to go


def test_a_scan_published_over_mqtt_appears_in_the_live_feed(site: Site, page: Any) -> None:
    floor_day(site.engine)
    site.sign_in(page, "a.chen")
    page.get_by_role("status").filter(has_text="Live").wait_for()
    page.evaluate("window.notReloaded = true")
    station = Station("veg-2", LICENCE)
    link = StationLink(LICENCE, "veg-2", "127.0.0.1", site.broker.port, clock=SYSTEM_CLOCK)
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


def test_station_health_updates_when_a_station_goes_online(site: Site, page: Any) -> None:
    site.sign_in(page, "a.chen")
    page.get_by_role("link", name="Stations").click()
    page.get_by_text("No station has reported its status yet.").wait_for()
    link = StationLink(LICENCE, "dry-1", "127.0.0.1", site.broker.port, clock=SYSTEM_CLOCK)
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


def test_a_plants_audit_trail_and_the_inventory_pages(site: Site, page: Any) -> None:
    floor_day(site.engine)
    site.sign_in(page, "maria.lopez")
    page.get_by_role("link", name="Inventory").click()
    assert "1,530.45 g" in page.locator("#harvests").inner_text()
    assert (
        "1 open harvest batch, net weights due first."
        in page.locator("#harvests-note").inner_text()
    )
    assert "1 batch with untagged plants" in page.locator("#batches-note").inner_text()
    assert (
        "GET /api/v1/licensees/OR-1001/harvest-batches"
        in page.locator("#harvests-note").inner_text()
    )
    assert page.locator("svg.chart").count() == 2
    screenshot(page, "inventory")
    page.get_by_role("link", name="Audit trail").click()
    page.get_by_label("Item").fill(PLANTS[0])
    page.get_by_role("button", name="Show trail").click()
    trail = page.locator("#trail")
    trail.get_by_text(f"Harvested {PLANTS[0]} into HB-1, 512.4 g wet").wait_for()
    kinds = ["tags.received", "plants.tagged", "plants.phase_changed", "plant.harvested"]
    rows = trail.locator("tr").all()
    assert len(rows) == len(kinds)
    for row, kind in zip(rows, kinds, strict=True):
        assert kind in row.inner_text()
    screenshot(page, "audit-trail")
    page.get_by_role("link", name="Tag stock").click()
    assert "220 days" in page.locator("#tag-stock").inner_text()
    screenshot(page, "tags")
    page.get_by_role("link", name="Reports").click()
    assert "BATCH-MAX-100" in page.locator("#audit-rules").inner_text()
    screenshot(page, "reports")


def test_cancelling_a_user_ends_their_session(site: Site, chromium: Any) -> None:
    manager = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    worker = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    site.sign_in(worker, "maria.lopez")
    worker.get_by_role("status").filter(has_text="Live").wait_for()
    site.sign_in(manager, "a.chen")
    manager.get_by_role("link", name="Users").click()
    row = manager.locator("#users tr[data-user='maria.lopez']")
    assert "Active" in row.inner_text()
    screenshot(manager, "users")
    row.get_by_label("Reason to cancel maria.lopez").fill("left the company")
    manager.on("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Cancel maria.lopez").click()
    manager.get_by_role("alert").filter(has_text="maria.lopez is cancelled").wait_for()
    assert "Cancelled" in manager.locator("#users tr[data-user='maria.lopez']").inner_text()
    # Maria's open feed notices without a click: the live stream ends, the page signs her out.
    worker.get_by_role("alert").filter(has_text="Your session has ended").wait_for()
    assert "/console/sign-in" in worker.url
    screenshot(worker, "session-ended")
    worker.goto(f"{site.web.url}/console/inventory")
    assert "/console/sign-in" in worker.url
    # And she cannot sign in again.
    worker.get_by_label("Log-on").fill("maria.lopez")
    worker.get_by_label("Password").fill("correct horse battery")
    worker.get_by_role("button", name="Sign in").click()
    assert worker.get_by_role("alert").inner_text() != ""
    assert worker.get_by_role("button", name="Sign out").count() == 0
    manager.context.close()
    worker.context.close()


def test_a_regulator_reads_every_licensee_and_changes_nothing(site: Site, page: Any) -> None:
    floor_day(site.engine)
    send(site.engine, Station("coast-1", OTHER_LICENCE), tags_received(900, 901))
    site.sign_in(page, REGULATOR)
    note = page.get_by_role("note")
    assert "Read-only view for OLCC Inspector: 2 licensees" in note.inner_text()
    feed = page.locator("#feed").inner_text()
    assert "coast-1" in feed
    assert "harvest-1" in feed
    screenshot(page, "regulator-feed")
    page.get_by_role("link", name="Users").click()
    assert page.get_by_role("button", name="Cancel maria.lopez").count() == 0
    screenshot(page, "regulator-users")


def test_an_unresolved_compliance_notification_offers_the_way_to_resolve_it_not_dismissal(
    site: Site, page: Any
) -> None:
    floor_day(site.engine)
    [harvest] = [
        e.event.event_id
        for e in trail.entries(site.engine, [LICENCE], PLANTS[0])
        if e.event.kind == "plant.harvested"
    ]
    flag(site.engine, harvest, days_ago=10)
    site.sign_in(page, "a.chen")
    page.get_by_role("link", name="Notifications").click()
    # Oregon requires the correction without a time limit (OR CTS Requirements (5)(d)): an
    # open compliance notification with no due time, which still needs action.
    row = page.locator('#notifications tr[data-rule="CORRECTION-3BD"]').first
    assert "Open" in row.inner_text()
    assert "no due time" in row.inner_text()
    screenshot(page, "notifications")
    # Nothing to click that would only be refused: what is needed and where to do it.
    assert row.get_by_role("button", name="Dismiss").count() == 0
    assert "Needs action" in row.inner_text()
    assert "Can be dismissed once resolved." in row.inner_text()
    row.get_by_role("link", name="Open its audit trail").click()
    page.get_by_role("heading", name="Audit trail").first.wait_for()
    assert harvest in page.url
    screenshot(page, "notification-resolve-link")


def test_the_feed_filters_by_station_as_soon_as_one_is_picked(site: Site, page: Any) -> None:
    floor_day(site.engine)
    site.sign_in(page, "a.chen")
    page.get_by_label("Station").select_option("veg-1")
    page.wait_for_url("**/console/?station=veg-1**")
    rows = page.locator("#feed tr")
    assert rows.count() == 1
    assert "Started batch B-2: 150" in rows.first.inner_text()
    screenshot(page, "feed-filtered")


def test_a_long_overdue_list_shows_the_most_urgent_and_reads_on_live(site: Site, page: Any) -> None:
    """More overdue notifications than the page lists: it says so, and its link shows the
    rest, kept live by the stream of the same group after the same cursor."""
    now = datetime.now(UTC)
    rows = [
        notification_row(
            LICENCE, "compliance", State.OPEN, now - timedelta(days=1, minutes=SHOWN + 5 - k), now
        )
        for k in range(SHOWN + 5)
    ]
    with site.engine.begin() as conn:
        conn.execute(NOTIFICATIONS.insert(), rows)
    site.sign_in(page, "a.chen")
    page.get_by_role("link", name="Notifications").click()
    total = SHOWN + 5
    page.get_by_text(f"Showing the {SHOWN} most urgent of {total} overdue.").wait_for()
    assert page.locator("#notifications tr.overdue").count() == SHOWN
    screenshot(page, "notifications-bounded")
    page.get_by_role("link", name=f"Show the next {SHOWN}").click()
    page.get_by_text(f"({total} overdue in all)").wait_for()
    page.get_by_role("status").filter(has_text="Live").wait_for()
    # One more falls due, the least overdue of all: it belongs after those listed here, and
    # the stream of this page (not of the first) brings it.
    with site.engine.begin() as conn:
        conn.execute(
            NOTIFICATIONS.insert(), [notification_row(LICENCE, "compliance", State.OPEN, now, now)]
        )
    page.locator("#notifications tr.overdue").nth(5).wait_for()
    assert page.locator("#notifications tr.overdue").count() == 6
    assert page.get_by_text(f"({total + 1} overdue in all)").count() == 1
    screenshot(page, "notifications-read-on")
