"""The station display in headless Chromium (Debian's chromium under Playwright), driven as a
worker would: sign in on the page, choose Harvest, scan and weigh with the simulated devices,
and read what the page shows: the outcome of each scan in green or red with the rule's
message, the offline banner during a broker outage, and the number of events waiting.
Screenshots go to tests/artifacts/ (not committed)."""

from typing import Any

import pytest

from tests.edge.conftest import Floor
from tests.edge.helpers import uid
from tests.server.browser.harness import screenshot

pytestmark = [
    pytest.mark.broker,
    pytest.mark.hardware,
    pytest.mark.slow,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


def test_the_display_shows_outcomes_the_offline_banner_and_the_waiting_count(
    floor: Floor, page: Any
) -> None:
    from playwright.sync_api import expect

    plants = floor.plants(1, 2)
    wait = {"timeout": 20_000}
    # A long threshold: the banner shows the link down; the loss record is another test's.
    with floor.station(access={"lost_after_s": 600}) as (station, bench):
        assert station.agent.display is not None
        page.goto(station.agent.display.url)
        expect(page.locator("#prompt")).to_contain_text("Tap your badge", **wait)
        page.fill("#user", "maria.lopez")
        page.fill("#password", "green-thumb")
        page.click("#signin-ok")
        expect(page.locator("#operator")).to_have_text("Maria Lopez", **wait)
        page.click("#modes button:text-is('Harvest')")
        expect(page.locator("#prompt")).to_contain_text("Scan the plant", **wait)

        bench.scan(plants[0])
        expect(page.locator("#prompt")).to_contain_text("on the scale", **wait)
        bench.weigh("512.40")
        expect(page.locator("#outcome")).to_have_class("accepted", **wait)
        assert page.inner_text("#outcome .title").endswith("512.40 g wet")
        assert page.inner_text("#outcome .msg") == "Accepted"
        assert page.inner_text("#weight") == "512.40 g"
        assert page.inner_text("#stable") == "STABLE"
        screenshot(page, "edge-display-accepted")
        bench.empty_pan()

        bench.scan(uid(150))  # a tag that is on no plant: the server's rule says so
        bench.weigh("300.00")
        expect(page.locator("#outcome")).to_have_class("rejected", **wait)
        assert f"No plant carries UID {uid(150)}" in page.inner_text("#outcome .msg")
        screenshot(page, "edge-display-rejected")
        bench.empty_pan()

        floor.broker.stop()
        expect(page.locator("#banner")).to_contain_text("OFFLINE since", **wait)
        bench.scan(plants[1])
        bench.weigh("498.00")
        expect(page.locator("#waiting")).to_have_text("1", **wait)
        assert "1 waiting" in page.inner_text("#banner")
        assert page.inner_text("#online") == "OFFLINE"
        screenshot(page, "edge-display-offline")

        floor.broker.start()
        expect(page.locator("#waiting")).to_have_text("0", timeout=60_000)
        expect(page.locator("#online")).to_have_text("ONLINE", **wait)
        expect(page.locator("#banner")).to_be_hidden()
        assert page.inner_text("#outcome .title").endswith("498.00 g wet")
