"""The REST API application: :func:`create_app`.

Everything the routes need (settings, engine, clock, authenticator) is passed in and kept on
``app.state``; nothing is built at import time, so tests and the CLI each make an app on their
own database. OpenAPI is served at ``/openapi.json``, the interactive documentation at
``/docs``; the routes live under ``/api/v1`` (see ``docs/api.md``).
"""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from sqlalchemy.engine import Engine

from schemas.clock import Clock
from server import console
from server.accounts.roster import DbRoster, Roster
from server.accounts.service import Authenticator
from server.api import errors
from server.api.deps import known_query, no_nul
from server.api.routes import (
    analytics,
    audit,
    auth,
    commerce,
    cultivation,
    events,
    harvests,
    integrity,
    invoices,
    licensees,
    notifications,
    premises,
    reconciliation,
    records,
    statelink,
    stations,
    tags,
    users,
)
from server.config import ServerSettings
from server.console import vega
from server.metrics import ServerMetrics

API_PREFIX = "/api/v1"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """At start-up, start the console's chart renderer in a thread of its own (~1.2 s), so the
    first page with a chart does not wait for it; start-up does not wait either, and a failed
    warm-up is only logged (:func:`server.console.vega.warm_up`).

    Then what start-up made is moved out of the garbage collector's way (``gc.freeze``): the
    server holds some 230,000 objects once its modules are loaded, and each full collection
    walked all of them, 210-250 ms in the middle of whichever request set it off (the
    regulator's 500-licensee pages, whose p99 it was; docs/performance.md, Scale, change 21).
    Frozen, a collection walks only what requests made. At shutdown they are handed back."""
    vega.warm_up()
    gc.collect()  # what is garbage now is freed, not frozen
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


ROUTERS = (
    auth.router,
    licensees.router,
    premises.router,
    users.router,
    stations.router,
    tags.router,
    cultivation.router,
    harvests.router,
    commerce.router,
    invoices.router,
    events.router,
    records.router,
    notifications.router,
    reconciliation.router,
    audit.router,
    statelink.router,
    integrity.router,
    analytics.router,
)


def create_app(
    settings: ServerSettings,
    engine: Engine,
    *,
    roster: Roster | None = None,
    clock: Clock,
    metrics: ServerMetrics | None = None,
) -> FastAPI:
    """The API on ``engine`` (already migrated). ``clock`` gives aware UTC times; tests pass
    a fixed one to move through lockouts and session expiry. ``roster`` defaults to the
    database's (:class:`~server.accounts.roster.DbRoster`). ``metrics``: served at
    ``/metrics``; give the ingest worker's of this process (a new, empty one otherwise)."""
    app = FastAPI(
        title="seedtrace",
        summary="Seed-to-sale tracking: the licensee's records, read and written under rules.",
        version="1",
        docs_url="/docs",
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.clock = clock
    app.state.authenticator = Authenticator(
        engine,
        passwords=settings.passwords(),
        roster=DbRoster() if roster is None else roster,
        policy=settings.lockout(),
        session_lifetime_s=settings.session_lifetime_s,
        clock=clock,
    )
    errors.install(app)
    if settings.hsts_max_age_s > 0:
        hsts = f"max-age={settings.hsts_max_age_s}"

        @app.middleware("http")
        async def strict_transport(request: Request, call_next: Any) -> Any:
            """Tell the browser to come back over HTTPS only: on HTTPS answers (the scheme
            the proxy reported, when the proxy is trusted), never on plain HTTP."""
            response = await call_next(request)
            if request.url.scheme == "https":
                response.headers["Strict-Transport-Security"] = hsts
            return response

    api = APIRouter(
        prefix=API_PREFIX,
        responses=errors.PROBLEM_RESPONSES,
        dependencies=[Depends(known_query), Depends(no_nul)],
    )
    for router in ROUTERS:
        api.include_router(router)
    app.include_router(api)
    console.mount(app)  # the ops console: /console (server/console, docs/console.md)
    app.state.metrics = ServerMetrics() if metrics is None else metrics
    app.add_api_route("/metrics", _metrics, methods=["GET"], include_in_schema=False)
    return app


def _metrics(request: Request) -> Response:
    """Prometheus's scrape: counts, sizes and times only (server/metrics.py), so no session."""
    body, content_type = request.app.state.metrics.exposition()
    return Response(body, media_type=content_type)
