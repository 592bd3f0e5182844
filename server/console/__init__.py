"""The ops console: server-rendered pages (Jinja2) with a little plain JavaScript and live
updates over server-sent events, served by the same FastAPI app as the REST API.

:func:`mount` adds it to an app: the pages under ``/console``, the static files under
``/console/static``, and ``/`` redirecting to the console. No asset comes from a CDN.
"""

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from server.console.render import STATIC


def mount(app: FastAPI) -> None:
    """Add the console to ``app``, which has ``app.state.engine`` and either
    ``app.state.authenticator`` (the accounts service: sign-in with a session cookie) or its
    own ``app.state.console_viewers`` (see :mod:`server.console.deps`)."""
    import server.console.analytics
    import server.console.integrity
    import server.console.invoices
    import server.console.notices
    import server.console.people
    import server.console.reporting
    import server.console.statelink  # noqa: F401  (their routes join the pages' router)
    from server.console.pages import router as pages

    if getattr(app.state, "console_viewers", None) is None:
        from server.console.session import SessionViewers
        from server.console.session import router as session

        app.state.console_viewers = SessionViewers(app.state.authenticator)
        app.include_router(session)
    app.include_router(pages)
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")

    @app.get("/", include_in_schema=False)
    def _root() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=307)

    @app.get("/favicon.ico", include_in_schema=False)
    def _favicon() -> RedirectResponse:
        """Browsers ask for /favicon.ico whatever the page says: send them to the icon."""
        return RedirectResponse("/console/static/favicon.svg", status_code=301)
