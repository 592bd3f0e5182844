"""The console pages through the app (FastAPI TestClient), on SQLite and PostgreSQL: what a
person sees on each page, and who may see what."""

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

import server.console
from schemas.clock import SYSTEM_CLOCK, ManualClock
from server.config import ServerSettings
from server.console import live, vega
from server.console.queries import feed
from server.console.viewer import Viewer
from tests.server.conftest import LICENCE, OTHER_LICENCE
from tests.server.console.day import PLANTS, floor_day, send, staff
from tests.server.floor import Station, tags_received

MANAGER = Viewer("a.chen", "Alice Chen", "account_manager", (LICENCE,), read_only=False)
REGULATOR = Viewer("olcc.1", "OLCC inspector", "regulator", (LICENCE, OTHER_LICENCE), True)


class Fixed:
    """A viewer source that says the same person is signed in (or nobody, with None)."""

    def __init__(self, viewer: Viewer | None) -> None:
        self.viewer = viewer

    def viewer_for(self, request: Request) -> Viewer | None:
        return self.viewer


# What a browser sends with a form from the console's own page (server.console.deps.same_origin).
OWN_PAGE = {"Origin": "http://testserver"}


def make_app(engine: Engine, viewer: Viewer | None) -> FastAPI:
    app = FastAPI()
    app.state.engine = engine
    app.state.settings = ServerSettings()
    # The floor these tests build (tests/server/console/day.py) is stamped by the system clock.
    app.state.clock = SYSTEM_CLOCK
    app.state.console_viewers = Fixed(viewer)
    server.console.mount(app)
    return app


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(make_app(engine, MANAGER), headers=OWN_PAGE) as c:
        yield c


def test_nobody_signed_in_is_sent_to_the_sign_in_page(engine: Engine) -> None:
    with TestClient(make_app(engine, None), headers=OWN_PAGE) as c:
        r = c.get("/console/inventory", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/console/sign-in?next=/console/inventory"


def test_the_root_and_the_static_files_are_served(client: TestClient) -> None:
    r = client.get("/", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (307, "/console/")
    assert "EventSource" in client.get("/console/static/console.js").text
    assert client.get("/console/static/console.css").status_code == 200
    icon = client.get("/favicon.ico")  # every browser asks; no 404 in its console
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert '<link rel="icon" href="/console/static/favicon.svg"' in client.get("/console/").text


def test_the_feed_page_lists_events_with_outcomes_and_filters(
    client: TestClient, engine: Engine
) -> None:
    floor_day(engine)
    last = feed.last_position(engine)
    html = client.get("/console/").text
    assert "Started batch B-2: 150 Blue Dream" in html
    assert "BATCH-MAX-100" in html
    assert html.count('class="rejected"') == 1
    assert f'data-stream="/console/feed/stream?after={last}"' in html
    assert "<option>veg-1</option>" in html
    only_veg = client.get("/console/", params={"station": "veg-1"}).text
    assert "Harvested" not in only_veg
    assert f"/console/feed/stream?station=veg-1&amp;after={last}" in only_veg


def test_the_inventory_page_shows_rooms_batches_harvests_and_charts(
    client: TestClient, engine: Engine
) -> None:
    floor_day(engine)
    html = client.get("/console/inventory").text
    assert "1,530.45 g" in html
    assert 'aria-label="6 of 100"' in html
    assert "Plants per phase over time" in html
    assert "HB-1: 1530.45 g" in html  # the bar's tooltip in the SVG
    assert html.count("<svg") == 2
    assert "<script" not in html.split("<main", 1)[1]  # the charts come drawn


def test_the_inventory_page_says_in_words_what_a_chart_it_cannot_draw_shows(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    floor_day(engine)

    def broken(*args: object, **kwargs: object) -> str:
        raise ValueError("Vega-Lite to SVG conversion failed")

    vega._svg.cache_clear()
    monkeypatch.setattr(vega, "draw", broken)
    r = client.get("/console/inventory")
    assert r.status_code == 200
    assert "<svg" not in r.text
    assert "Harvest wet weight per batch: HB-1: 1530.45 g" in r.text
    assert re.search(
        r"Plants per phase over time: On [\d-]+: 6 immature, 0 vegetative, 3 flowering", r.text
    )


def test_the_tag_page_shows_days_of_supply(client: TestClient, engine: Engine) -> None:
    floor_day(engine)
    html = client.get("/console/tags").text
    assert "<b>220 days</b>" in html


def test_the_audit_page_shows_a_plants_trail(client: TestClient, engine: Engine) -> None:
    floor_day(engine)
    html = client.get("/console/audit", params={"item": PLANTS[0]}).text
    assert f"{PLANTS[0]}: 4 events" in html
    assert f"Harvested {PLANTS[0]} into HB-1, 512.4 g wet" in html


def test_the_station_page_says_when_nobody_reported(client: TestClient) -> None:
    assert "No station has reported its status yet." in client.get("/console/stations").text


def test_a_regulator_sees_every_licensee_read_only_and_a_licensee_only_its_own(
    engine: Engine, client: TestClient
) -> None:
    floor_day(engine)
    send(engine, Station("coast-1", OTHER_LICENCE), tags_received(900, 901))
    own = client.get("/console/").text
    assert "coast-1" not in own
    assert "Read-only view" not in own
    with TestClient(make_app(engine, REGULATOR), headers=OWN_PAGE) as c:
        html = c.get("/console/").text
    assert "coast-1" in html
    assert "harvest-1" in html
    assert "Read-only view for OLCC inspector: 2 licensees" in html
    assert "<th>Licence</th>" in html


def test_a_server_sent_event_spells_each_line_of_html_as_data() -> None:
    message = live.Message("row", "<tr>\n<td>x</td>\n</tr>", "42")
    assert message.encode() == (
        b"event: row\nid: 42\ndata: <tr>\ndata: <td>x</td>\ndata: </tr>\n\n"
    )


def test_the_reports_page_has_the_sheet_and_the_audit(client: TestClient, engine: Engine) -> None:
    floor_day(engine)
    html = client.get("/console/reports").text
    assert "3 tagged live plants, 6 untagged immature plants in 1 batches" in html
    assert "No day has been reconciled yet." in html
    assert '<td>BATCH-MAX-100</td><td class="num">1</td>' in html
    empty = client.get("/console/reports", params={"start": "2020-01-01", "end": "2020-01-02"})
    assert "No events in this period." in empty.text


def test_the_users_page_shows_roles_training_and_cancels_a_user(
    client: TestClient, engine: Engine
) -> None:
    staff(engine)
    html = client.get("/console/users").text
    assert "Track-and-trace system training" in html
    assert "Not trained" in html  # li.wong
    assert "Cancel maria.lopez" in html
    assert "Cancel a.chen" not in html  # not oneself
    refused = client.post("/console/users/maria.lopez/cancel", data={"reason": " "})
    assert "Say why maria.lopez is cancelled" in refused.text
    done = client.post("/console/users/maria.lopez/cancel", data={"reason": "left the company"})
    assert "maria.lopez is cancelled; their sessions have ended." in done.text
    assert "left the company" in done.text
    assert "Cancel maria.lopez" not in done.text
    again = client.get("/console/users").text
    assert "their sessions have ended" not in again  # the message is shown once
    # No button for oneself, and a forged form is refused too, with the reason.
    own = client.post("/console/users/a.chen/cancel", data={"reason": "leaving"})
    assert "a.chen was not cancelled: a.chen cannot cancel their own access" in own.text
    with engine.connect() as conn:
        cancelled = conn.execute(
            sa.text("SELECT body FROM event_log WHERE kind = 'user.cancelled'")
        ).scalars()
        assert ["maria.lopez" in body for body in cancelled] == [True]  # a.chen: nothing kept


def test_a_regulator_cannot_cancel_a_user(engine: Engine) -> None:
    staff(engine)
    with TestClient(make_app(engine, REGULATOR), headers=OWN_PAGE) as c:
        page = c.get("/console/users").text
        assert "Cancel maria.lopez" not in page
        r = c.post("/console/users/maria.lopez/cancel", data={"reason": "because"})
    assert "this view is read-only" in r.text
    assert "left" not in r.text
    with TestClient(make_app(engine, MANAGER), headers=OWN_PAGE) as c:
        assert "Cancelled" not in c.get("/console/users").text


def test_sign_in_goes_back_only_to_a_console_page() -> None:
    from server.console.session import _safe_next

    assert _safe_next("/console/inventory") == "/console/inventory"
    assert _safe_next("https://evil.example/") == "/console/"
    assert _safe_next("/console//evil.example") == "/console/"
    assert _safe_next(None) == "/console/"


def test_the_station_page_says_offline_first_with_when_it_was_last_seen(
    client: TestClient, engine: Engine
) -> None:
    from datetime import UTC, datetime, timedelta

    from schemas.status import StationState, StationStatus
    from server.health.store import record

    now = datetime.now(UTC)
    alive = StationStatus(
        state=StationState.ONLINE, at=now, outbox_depth=1234, outbox_capacity=100_000
    )
    record(engine, LICENCE, "a-live", alive, received_at=now, retained=False)
    seen = StationStatus(
        state=StationState.ONLINE,
        at=now - timedelta(hours=3),
        outbox_depth=0,  # zero is a value: shown, not "unknown"
        outbox_capacity=5000,
        last_ack_at=now - timedelta(hours=3),
        devices={"scale-1": "ok"},
    )
    record(engine, LICENCE, "z-gone", seen, received_at=now - timedelta(hours=3), retained=False)
    gone = StationStatus(state=StationState.OFFLINE, at=now - timedelta(hours=5))
    record(engine, LICENCE, "z-gone", gone, received_at=now, retained=False)
    html = client.get("/console/stations").text
    assert html.index('data-station="z-gone"') < html.index('data-station="a-live"')
    assert "OFFLINE" in html
    assert "3 h ago" in html  # last seen: its last online status, not the will's arrival
    assert "connected now" in html
    assert "1,234" in html
    assert "100,000" in html
    # Its last will carried no figures: the last known ones stay, with their age.
    gone_row = html.split('data-station="z-gone"')[1].split("</tr>")[0]
    assert "unknown" not in gone_row
    assert "0 <span" in gone_row
    assert "5,000" in gone_row
    assert "last known, 3 h ago" in gone_row
    assert "scale-1: ok" in gone_row
    # Times on the premises' clock, with the zone: never the browser's zone or bare UTC.
    assert " PST</time>" in gone_row or " PDT</time>" in gone_row
    assert " UTC</time>" not in html
    assert "as last reported, 3 h ago" in gone_row


def test_a_form_posted_from_another_site_is_refused(client: TestClient, engine: Engine) -> None:
    staff(engine)
    r = client.post(
        "/console/users/maria.lopez/cancel",
        data={"reason": "phished"},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403
    assert "Cancelled" not in client.get("/console/users").text
    with TestClient(make_app(engine, MANAGER)) as bare:  # no Origin header at all
        foreign = bare.post(
            "/console/users/maria.lopez/cancel",
            data={"reason": "phished"},
            headers={"Referer": "https://evil.example/page"},
        )
        assert foreign.status_code == 403
        assert "https://evil.example is refused" in foreign.text
        neither = bare.post("/console/users/maria.lopez/cancel", data={"reason": "phished"})
        assert neither.status_code == 403
        assert "without Origin or Referer" in neither.text
        assert "Cancelled" not in bare.get("/console/users").text
        own = bare.post(
            "/console/users/maria.lopez/cancel",
            data={"reason": "left"},
            headers={"Referer": "http://testserver/console/users"},
        )
        assert "maria.lopez is cancelled" in own.text


# A regulator overseeing the same two licensees and 30 more that hold nothing: each licence
# list is then sent as one parameter (server.db.among), not one parameter per licence.
WIDE = Viewer(
    "olcc.2",
    "OLCC inspector",
    "regulator",
    (LICENCE, OTHER_LICENCE, *(f"OR-{9000 + n}" for n in range(30))),
    True,
)
PAGES = [
    "/console/",
    "/console/inventory",
    "/console/tags",
    "/console/reports",
    f"/console/audit?item={PLANTS[0]}",
    "/console/notifications",
    "/console/stations",
    "/console/events/{event}",
    "/console/users",
]


def tables(html: str) -> list[str]:
    """The page's tables, less the rows a page lists for each licensee overseen (the state
    links say "not linked" for each of the 30 more)."""
    html = re.sub(r'<tr data-licence="OR-9\d{3}".*?</tr>\s*', "", html, flags=re.S)
    return re.findall(r"<table.*?</table>", html, flags=re.S)


@pytest.mark.parametrize("path", PAGES)
def test_a_regulator_over_many_licensees_sees_the_tables_one_over_the_same_few_sees(
    engine: Engine, path: str
) -> None:
    floor_day(engine)
    ack = send(engine, Station("coast-1", OTHER_LICENCE), tags_received(900, 901))
    path = path.format(event=ack.event_id)  # its state filings (none: not linked)
    pinned = ManualClock(SYSTEM_CLOCK.now())
    seen = []
    for viewer in (REGULATOR, WIDE):
        app = make_app(engine, viewer)
        app.state.clock = pinned
        with TestClient(app, headers=OWN_PAGE) as c:
            answer = c.get(path)
        assert answer.status_code == 200, answer.text
        seen.append(tables(answer.text))
    assert seen[0] == seen[1]
    assert seen[0], f"{path} shows no table to compare"
