"""The console's read pages: floor feed, station health, inventory, tag stock, audit trail.

Routes stay thin: each asks a query module for data and renders a template. Everything is
limited to the viewer's licences; a regulator's pages span all of its licensees and show the
licence column (``multi``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, unquote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.engine import Engine

from server.console import charts, live
from server.console.deps import ClockDep, EngineDep, ViewerDep, ViewerSource, get_clock, get_engine
from server.console.queries import days, feed, history, inventory, statelink, tags, trail
from server.console.queries.notifications import overdue_count
from server.console.render import render
from server.console.viewer import Viewer
from server.health.store import latest

router = APIRouter(prefix="/console", include_in_schema=False)

NAV = [
    ("/console/", "Floor feed"),
    ("/console/stations", "Stations"),
    ("/console/notifications", "Notifications"),
    ("/console/inventory", "Inventory"),
    ("/console/tags", "Tag stock"),
    ("/console/users", "Users"),
    ("/console/audit", "Audit trail"),
    ("/console/reports", "Reports"),
    ("/console/invoices", "Invoices"),
    ("/console/integrity", "Integrity"),
    ("/console/analytics", "Analytics"),
]


FLASH = "seedtrace_flash"


def page(request: Request, viewer: Viewer, name: str, title: str, **context: Any) -> HTMLResponse:
    """Render a full page: the template gets the viewer, the navigation and ``context``, and
    the message an action left (:func:`flash`), shown once."""
    kind, _, text = request.cookies.get(FLASH, "").partition(":")
    now = get_clock(request).now()
    engine = get_engine(request)
    body = render(
        name,
        title=title,
        viewer=viewer,
        nav=NAV,
        here=request.url.path,
        multi=len(viewer.licences) > 1,
        flash=unquote(text) or None,
        flash_kind="bad" if kind == "bad" else "ok",
        now=now,
        tz=days.shared_zone(engine, viewer.licences),  # every time shown is the premises'
        overdue=overdue_count(engine, viewer.licences, now),
        **context,
    )
    response = HTMLResponse(body, headers={"Cache-Control": "no-store"})
    if text:
        response.delete_cookie(FLASH, path="/console")
    return response


@dataclass(frozen=True, slots=True)
class Screen:
    """A console page being answered: the request, the signed-in viewer, the engine."""

    request: Request
    viewer: Viewer
    engine: Engine

    def page(self, name: str, title: str, **context: Any) -> HTMLResponse:
        """The page rendered from the template ``name`` (:func:`page`)."""
        return page(self.request, self.viewer, name, title, **context)


def current_screen(request: Request, viewer: ViewerDep, engine: EngineDep) -> Screen:
    return Screen(request, viewer, engine)


ScreenDep = Annotated[Screen, Depends(current_screen)]


def flash(to: str, message: str, *, ok: bool) -> RedirectResponse:
    """Back to ``to`` (post/redirect/get) with ``message`` shown once at the top. The message
    travels in a cookie, not the URL, so nobody can craft a link that shows their text."""
    response = RedirectResponse(to, status_code=303)
    response.set_cookie(
        FLASH,
        f"{'ok' if ok else 'bad'}:{quote(message)}",
        path="/console",
        httponly=True,
        samesite="strict",
    )
    return response


def still_signed_in(request: Request) -> Callable[[], bool]:
    """For a live stream: is this request's session still valid?"""
    source: ViewerSource = request.app.state.console_viewers
    return lambda: source.viewer_for(request) is not None


def _blank(value: str | None) -> str | None:
    return None if value is None or value.strip() == "" else value.strip()


@router.get("/")
def feed_page(
    screen: ScreenDep,
    station: Annotated[str | None, Query(max_length=64)] = None,
    operator: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    engine, licences = screen.engine, screen.viewer.licences
    where = feed.FeedFilter(_blank(station), _blank(operator))
    rows = feed.recent(engine, licences, where)
    start = rows[0].position if rows else feed.last_position(engine)
    query = screen.request.url.query
    stream_url = (
        f"/console/feed/stream?{query}&after={start}"
        if query
        else (f"/console/feed/stream?after={start}")
    )
    return screen.page(
        "feed.html",
        "Floor feed",
        rows=rows,
        where=where,
        choices=feed.choices(engine, licences),
        stream_url=stream_url,
    )


@router.get("/feed/stream")
def feed_stream(
    request: Request,
    viewer: ViewerDep,
    engine: EngineDep,
    after: Annotated[int, Query(ge=0)] = 0,
    station: Annotated[str | None, Query(max_length=64)] = None,
    operator: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    """New feed rows as they are stored: ``row`` messages of ``<tr>`` HTML, id = position."""
    where = feed.FeedFilter(_blank(station), _blank(operator))
    cursor = live.last_event_id(request) or after
    multi = len(viewer.licences) > 1
    tz = days.shared_zone(engine, viewer.licences)

    def poll() -> list[live.Message]:
        nonlocal cursor
        rows = feed.after(engine, viewer.licences, where, cursor)
        if not rows:
            return []
        cursor = rows[-1].position
        html = render("_feed_rows.html", rows=list(reversed(rows)), multi=multi, tz=tz)
        return [live.Message("row", html, str(cursor))]

    return live.stream(request, poll, signed_in=still_signed_in(request))


@router.get("/stations")
def stations_page(screen: ScreenDep) -> HTMLResponse:
    engine, licences = screen.engine, screen.viewer.licences
    return screen.page(
        "stations.html",
        "Station health",
        stations=latest(engine, licences),
        links=statelink.health(engine, licences),
    )


@router.get("/stations/stream")
def stations_stream(request: Request, viewer: ViewerDep, engine: EngineDep, clock: ClockDep) -> Any:
    """The station table's body again whenever anything in it changes."""
    multi = len(viewer.licences) > 1
    tz = days.shared_zone(engine, viewer.licences)
    shown = ""

    def poll() -> list[live.Message]:
        nonlocal shown
        html = render(
            "_stations_body.html",
            stations=latest(engine, viewer.licences),
            multi=multi,
            now=clock.now(),
            tz=tz,
        )
        if html == shown:
            return []
        shown = html
        return [live.Message("replace", html)]

    return live.stream(request, poll, signed_in=still_signed_in(request), poll_s=1.0)


# The API's licensee routes (server.api.app.API_PREFIX; the console does not import the API):
# the inventory page names their full batch lists (for an API client: the console's session
# cookie is the console's own, so a link would not be signed in).
API_LICENSEES = "/api/v1/licensees"


@router.get("/inventory")
def inventory_page(screen: ScreenDep, clock: ClockDep) -> HTMLResponse:
    engine, licences = screen.engine, screen.viewer.licences
    inv = inventory.inventory(engine, licences, inventory.CAP)
    return screen.page(
        "inventory.html",
        "Inventory",
        inv=inv,
        over_limit=inv.over_limit,
        cap=inventory.CAP,
        api=f"{API_LICENSEES}/{licences[0] if len(licences) == 1 else '{licence}'}",
        wet_chart=charts.wet_weights(
            [(h.name, h.wet_grams) for h in sorted(inv.harvests, key=lambda h: h.first_harvest_at)]
        ),
        phase_chart=charts.phases(history.phases_over_time(engine, licences, clock.now())),
    )


@router.get("/tags")
def tags_page(screen: ScreenDep, clock: ClockDep) -> HTMLResponse:
    return screen.page(
        "tags.html",
        "Tag stock",
        stock=tags.stock(screen.engine, screen.viewer.licences, clock.now()),
        window=tags.WINDOW_DAYS,
        low_days=tags.LOW_DAYS,
    )


@router.get("/audit")
def audit_page(screen: ScreenDep, item: Annotated[str, Query(max_length=100)] = "") -> HTMLResponse:
    item = item.strip()
    entries = trail.entries(screen.engine, screen.viewer.licences, item) if item else []
    return screen.page("audit.html", "Audit trail", item=item, entries=entries)
