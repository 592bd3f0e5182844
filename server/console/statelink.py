"""The state link in the console (docs/sync.md): each licensee's link health on the station
health page (:func:`server.console.pages.stations_page` includes it), and one event's page
with the state calls made for it: the request as sent, the state's ids and its answer.

Read-only for everyone: retrying or skipping a refused call stays with ``seedtrace sync
retry|skip``, which the page names.
"""

from typing import Annotated

from fastapi import Path
from fastapi.responses import HTMLResponse

from server.console.pages import ScreenDep, router
from server.console.queries.statelink import event_calls

EventId = Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9-]+$")]


@router.get("/events/{event_id}")
def event_page(screen: ScreenDep, event_id: EventId) -> HTMLResponse:
    """One event and its state calls; 404 for an event the viewer may not see."""
    found = event_calls(screen.engine, screen.viewer.licences, event_id)
    if found is None:
        response = screen.page("event.html", "Event not found", found=None, event_id=event_id)
        response.status_code = 404
        return response
    return screen.page("event.html", f"Event {event_id}", found=found, event_id=event_id)
