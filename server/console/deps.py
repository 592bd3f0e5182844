"""FastAPI dependencies of the console pages: the engine, the clock and the signed-in viewer.

Both come from the app's state, set where the app is built: ``app.state.engine`` and
``app.state.console_viewers``, a :class:`ViewerSource` that turns a request (its session
cookie) into a :class:`~server.console.viewer.Viewer` (:mod:`server.console.session` has the
one over the accounts service). Tests swap the source, not the pages.
"""

from typing import Annotated, Protocol
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.engine import Engine

from schemas.clock import Clock
from server.appstate import get_clock as get_clock
from server.appstate import get_engine as get_engine
from server.console.viewer import Viewer

SIGN_IN = "/console/sign-in"


class ViewerSource(Protocol):
    def viewer_for(self, request: Request) -> Viewer | None:
        """The signed-in viewer of ``request``, or None when nobody is (or the session
        ended: expired, signed out, or the person was cancelled)."""
        ...


class SignInRequired(HTTPException):
    """Not signed in (or the session ended): the browser is sent to the sign-in page."""

    def __init__(self, back_to: str) -> None:
        super().__init__(
            status.HTTP_303_SEE_OTHER, headers={"Location": f"{SIGN_IN}?next={back_to}"}
        )


def current_viewer(request: Request) -> Viewer:
    source: ViewerSource | None = getattr(request.app.state, "console_viewers", None)
    if source is None:
        raise RuntimeError("the app has no app.state.console_viewers; see server.console.deps")
    viewer = source.viewer_for(request)
    if viewer is None:
        raise SignInRequired(request.url.path)
    return viewer


def same_origin(request: Request) -> None:
    """Refuse a form posted from another site. The session cookie is ``SameSite=Strict``, so
    such a post carries no session anyway; this also covers the sign-in form (no session
    yet) and browsers that ignore SameSite. The page's origin is ``Origin``, or, from a
    browser that leaves ``Origin`` out, the ``Referer``'s scheme and host; a state-changing
    request with neither is refused too (every browser sends one of them with a form, and a
    script has the API, with its bearer token, instead)."""
    own = f"{request.url.scheme}://{request.url.netloc}"
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        if referer is None:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                "a form without Origin or Referer is refused: post it from the console's page",
            )
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin != own:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"a form from {origin} is refused here")


EngineDep = Annotated[Engine, Depends(get_engine)]
ClockDep = Annotated[Clock, Depends(get_clock)]
ViewerDep = Annotated[Viewer, Depends(current_viewer)]
