"""The state link in headless Chromium, as the compliance manager sees it: the link's health
on the Stations page (a refusal in Metrc's own words, the backlog), and from there an event's
page with its state calls; from the audit trail, an event's page with the ids Metrc gave."""

import json
from pathlib import Path
from typing import Any

import pytest

from schemas.clock import ManualClock
from tests.server.browser.conftest import Site
from tests.server.browser.harness import screenshot
from tests.server.conftest import LICENCE
from tests.statesync.linked import (
    USER_KEY,
    calls,
    file_all,
    linked_metrc,
    metrc_sim,
    record_story,
)

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_state_link_health_and_an_events_state_calls(
    site: Site, page: Any, clock: ManualClock, tmp_path: Path
) -> None:
    with metrc_sim(tmp_path, clock) as sim:
        floor = linked_metrc(
            site.engine, sim, clock, LICENCE, n_tags=0
        )  # the licensee's tags never reached Metrc
        record_story(floor)
        file_all(site.engine, clock)
    ours = calls(site.engine, LICENCE)
    (refused,) = [r for r in ours if r["status"] == "refused"]
    planting = next(r for r in ours if r["action"] == "plantings")

    site.sign_in(page, "a.chen")
    page.get_by_role("link", name="Stations").click()
    row = page.locator(f"#state-links tr[data-licence='{LICENCE}']")
    row.wait_for()
    text = row.inner_text()
    assert "Linked" in text
    assert "Metrc" in text
    assert "1 refused" in text
    assert "is not a tag of facility" in text  # Metrc's words
    assert refused["message"] in text
    assert USER_KEY not in page.content()
    screenshot(page, "state-link")

    row.get_by_role("link", name=f"batch_growth_phase of event {refused['event_id']}").click()
    page.get_by_role("heading", name="State system calls").wait_for()
    call = page.locator(f"#state-calls tr[data-call='{refused['id']}']")
    assert "Refused" in call.inner_text()
    assert f"seedtrace sync retry {LICENCE} {refused['id']}" in call.inner_text()
    screenshot(page, "event-refused-call")

    page.get_by_role("link", name="Audit trail").click()
    page.get_by_label("Item").fill("B-1")
    page.get_by_role("button", name="Show trail").click()
    page.locator("#trail").get_by_role("link", name=planting["event_id"]).click()
    done = page.locator(f"#state-calls tr[data-call='{planting['id']}']")
    done.wait_for()
    ids = [str(i) for i in json.loads(planting["state_ids"])]
    assert done.locator(".state-ids code").all_inner_texts() == ids
    assert "Done" in done.inner_text()
    assert '"Name": "B-1"' in done.inner_text()
    screenshot(page, "event-state-calls")
