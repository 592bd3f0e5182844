"""The state link as the compliance manager sees it in the console (FastAPI TestClient, on
SQLite and PostgreSQL): each licensee's link health on the station health page, and an
event's page with its state calls (request, the state's ids, its answer)."""

import html as htmllib
import json
import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

import server.console
from schemas.clock import ManualClock
from server.config import ServerSettings
from server.console.queries import statelink
from server.statesync.queue import configure_link
from tests.server.conftest import LICENCE, OTHER_LICENCE
from tests.server.console.test_pages import MANAGER, OWN_PAGE, REGULATOR, Fixed
from tests.server.floor import uid
from tests.statesync.cultivation import story
from tests.statesync.linked import (
    USER_KEY,
    VENDOR_KEY,
    calls,
    file_all,
    linked_metrc,
    metrc_outage,
    metrc_sim,
    record_story,
)


def console(engine: Engine, clock: ManualClock, viewer: object) -> TestClient:
    app = FastAPI()
    app.state.engine = engine
    app.state.settings = ServerSettings()
    app.state.clock = clock
    app.state.console_viewers = Fixed(viewer)  # type: ignore[arg-type]
    server.console.mount(app)
    return TestClient(app, headers=OWN_PAGE)


def readable(fragment: str) -> str:
    """What a person reads in ``fragment``: tags dropped, entities decoded, spaces folded."""
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def element(page: str, opening: str, closing: str = "</tr>") -> str:
    """The HTML from ``opening`` (the start of a tag) to the next ``closing``."""
    start = page.find(opening)
    assert start >= 0, f"no {opening} on the page"
    return page[start : page.index(closing, start)]


def row_text(page: str, licence: str) -> str:
    return readable(element(page, f'<tr data-licence="{licence}"'))


def test_link_health_shows_the_refusal_in_the_states_words_and_the_event_its_calls(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    with metrc_sim(tmp_path, clock) as sim:
        floor = linked_metrc(
            engine, sim, clock, LICENCE, n_tags=0
        )  # LICENCE's tags never reached Metrc: refused
        record_story(floor)
        file_all(engine, clock)
        configure_link(engine, OTHER_LICENCE, sim.url, now=clock.now())  # nothing filed yet
    ours = calls(engine, LICENCE)
    # Both licensees' figures in one read (a regulator's page) are each one's own.
    both = statelink.health(engine, [LICENCE, OTHER_LICENCE])
    one_by_one = [*statelink.health(engine, [OTHER_LICENCE]), *statelink.health(engine, [LICENCE])]
    assert both == one_by_one
    assert [(h.licence, h.linked, h.refused) for h in both] == [
        (OTHER_LICENCE, True, 0),  # in licence order: CA before OR
        (LICENCE, True, 1),
    ]
    assert both[0].last_refusal is None
    assert both[1].last_refusal is not None
    assert both[0].oldest_unsent is None
    assert both[1].oldest_unsent is not None
    (refused,) = [r for r in ours if r["status"] == "refused"]
    planting = next(r for r in ours if r["action"] == "plantings")
    assert planting["status"] == "done"

    with console(engine, clock, MANAGER) as web:
        page = web.get("/console/stations")
        assert page.status_code == 200
        text = row_text(page.text, LICENCE)
        assert "Linked Metrc" in text
        assert "Up" in text
        assert "1 refused" in text
        assert refused["message"] in text  # Metrc's own words, unmodified
        assert f"seedtrace sync retry {LICENCE} {refused['id']}" in text
        backlog = sum(1 for r in ours if r["status"] != "done")
        assert f" {backlog} " in f" {text} "
        assert USER_KEY not in page.text
        assert VENDOR_KEY not in page.text

        event = web.get(f"/console/events/{planting['event_id']}")
        assert event.status_code == 200
        # The location made sure of, then the planting, in order.
        assert event.text.count("<tr data-call=") == 2
        assert event.text.index("ensure_location") < event.text.index("plantings")
        row = element(event.text, f'<tr data-call="{planting["id"]}"')
        ids = json.loads(planting["state_ids"])
        shown = re.findall(r"<code>([^<]*)</code>", element(row, '<td class="state-ids">', "</td>"))
        assert ids
        assert shown == [str(i) for i in ids]
        assert "Done" in readable(row)
        assert '"Name": "B-1"' in htmllib.unescape(row)  # the request as it was sent
        assert planting["response"] in htmllib.unescape(row)  # the state's answer as it came
        assert USER_KEY not in event.text

        refusal = web.get(f"/console/events/{refused['event_id']}")
        assert "Refused" in refusal.text
        assert refused["message"] in readable(refusal.text)

        # The link names the event page; another licensee's event is not found.
        assert f"/console/events/{refused['event_id']}" in page.text
    with console(
        engine, clock, MANAGER.__class__("x", "X", "account_manager", (OTHER_LICENCE,), False)
    ) as other:
        assert other.get(f"/console/events/{planting['event_id']}").status_code == 404


def test_an_outage_in_progress_and_an_unlinked_licensee(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    with metrc_outage(engine, clock, tmp_path) as (_, floor, c, went_down):
        for payload in story("B-1", 1, harvest_batch="HB-1")[:3]:
            floor.record(payload)
        for _ in range(40):  # two minutes of tries: past LOST_AFTER_S (60 s)
            c.run_once()
            clock.advance(timedelta(seconds=3))
        with console(engine, clock, REGULATOR) as web:
            html = web.get("/console/stations").text
    text = row_text(html, LICENCE)
    assert "ACCESS LOST" in text
    assert "since" in text
    assert went_down.strftime("%Y-%m-%d") in text
    assert "Not linked to a state system" in row_text(html, OTHER_LICENCE)
    assert f"{uid(1)}" not in text  # health, not contents


@pytest.mark.parametrize("event_id", ["no-such-event", "a" * 36])
def test_an_unknown_event_is_not_found(engine: Engine, clock: ManualClock, event_id: str) -> None:
    with console(engine, clock, MANAGER) as web:
        r = web.get(f"/console/events/{event_id}")
    assert r.status_code == 404
    assert "Event not found" in r.text
