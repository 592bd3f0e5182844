"""The analytics page in headless Chromium: a manager finds the signal its harvest raised and
reviews it; a regulator sees the licensees ranked by open signals."""

from typing import Any

import pytest

from server.analytics.refresh import refresh
from tests.server.browser.conftest import REGULATOR, Site
from tests.server.browser.harness import screenshot
from tests.server.conftest import LICENCE, OTHER_LICENCE
from tests.server.console.day import floor_day, now
from tests.server.console.test_analytics_page import heavier_dry_than_wet

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_a_manager_reviews_the_signal_a_harvest_raised(site: Site, page: Any) -> None:
    heavier_dry_than_wet(site.engine, LICENCE)
    refresh(site.engine, now())
    site.sign_in(page, "a.chen")
    page.get_by_role("link", name="Analytics").click()
    page.get_by_role("heading", name=f"Signals of {LICENCE}").wait_for()
    signals = page.locator("#signals")
    assert "moisture-loss-negative" in signals.inner_text()
    assert "weighs 1600 g dry" in signals.inner_text()
    assert "1,530.45 g" in page.locator("#balances").inner_text()
    page.get_by_label("Review note").fill("Dry weight keyed as 1600; the scale log says 410")
    page.get_by_role("button", name="Mark reviewed").click()
    page.get_by_text("recorded.").wait_for()
    assert "Dry weight keyed as 1600; the scale log says 410" in signals.inner_text()
    assert page.get_by_role("button", name="Mark reviewed").count() == 1  # may add another
    screenshot(page, "analytics-manager")


def test_a_regulator_sees_the_licensees_ranked(site: Site, page: Any) -> None:
    heavier_dry_than_wet(site.engine, OTHER_LICENCE)
    floor_day(site.engine, LICENCE)
    refresh(site.engine, now())
    site.sign_in(page, REGULATOR)
    page.get_by_role("link", name="Analytics").click()
    ranked = page.locator("#ranked tr")
    assert OTHER_LICENCE in ranked.nth(0).inner_text()
    assert LICENCE in ranked.nth(1).inner_text()
    assert "moisture-loss-negative" in page.locator("#signals").inner_text()
    page.get_by_role("link", name=LICENCE).click()
    page.get_by_role("heading", name=f"Signals of {LICENCE}").wait_for()
    assert "No signal." in page.locator("#signals").inner_text()
    screenshot(page, "analytics-regulator")
