"""Regulator analytics (docs/analytics.md): harvest batches' mass balance, diversion signals
and their reviews, and the overview of every licensee the caller may read.

Read from what the scheduled refresh stored (server.analytics.refresh), so each answer is a
few indexed queries. A licensee's people see their own licensee; a regulator sees the
licensees it oversees (REGULATOR-ACCESS). A review is recorded by a licensee's account
manager or administrator, or by a regulator overseeing it, with the reviewer's name: it is a
note about the record, not a change to it.
"""

from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from server.accounts.deps import CurrentPrincipal, ReadScope
from server.accounts.errors import Forbidden
from server.accounts.roles import MANAGERS, AccessRole
from server.analytics import views
from server.analytics.tables import BALANCES
from server.api.deps import ClockDep, EngineDep
from server.api.errors import NotFound
from server.api.listing import Page, PagingDep, page_of
from server.api.listroute import LicenseeListDep, list_route

router = APIRouter(tags=["analytics"])
SignalId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@list_route(router, "/licensees/{licence}/analytics/harvests", views.BalancePublic)
def list_balances(request: LicenseeListDep) -> Page[views.BalancePublic] | Response:
    """The mass balance of each harvest batch, by name, as of the last refresh."""
    stmt = views.balances_stmt(request.licence)
    order = (BALANCES.c.name,)
    return request.respond(stmt, views.BalancePublic, order, convert=views.balance_public)


@list_route(router, "/licensees/{licence}/analytics/signals", views.SignalPublic)
def list_signals(
    request: LicenseeListDep, state: views.SignalState | None = None
) -> Page[views.SignalPublic] | Response:
    """Diversion signals, open first; filter by state (open, reviewed, cleared)."""
    with request.engine.connect() as conn:
        found = views.signals(conn, request.licence, state)
    return request.items(found, views.SignalPublic)


@router.post(
    "/analytics/signals/{signal_id}/reviews", response_model=views.SignalPublic, status_code=201
)
def review_signal(
    principal: CurrentPrincipal,
    signal_id: SignalId,
    body: views.ReviewIn,
    engine: EngineDep,
    clock: ClockDep,
) -> views.SignalPublic:
    """Record that a person reviewed the signal, with a note; the signal then counts as
    reviewed (until a refresh no longer finds it). Reviews are kept, never changed. Not under
    ``/licensees/{licence}``: a review is the reviewer's note about the record, not a change
    to the licensee's record, which a regulator never makes. 404 unless the caller may read
    the signal's licensee; 403 unless a manager of it or a regulator."""
    with engine.begin() as conn:
        licence = views.signal_licence(conn, signal_id)
        if licence is None or not principal.can_read(licence):
            raise NotFound(f"signal {signal_id} not found")
        if principal.role not in MANAGERS and principal.role is not AccessRole.REGULATOR:
            raise Forbidden(
                "only an account manager, an administrator or a regulator may review a signal"
            )
        reviewer = views.Reviewer(principal.login, principal.display_name)
        return views.review(conn, licence, signal_id, reviewer, body.note, clock.now())


@router.get("/licensees/{licence}/analytics/projection", response_model=views.ProjectionPublic)
def licensee_projection(
    scope: ReadScope, engine: EngineDep, clock: ClockDep
) -> views.ProjectionPublic:
    """The wet weight the licensee's live plants are expected to give, week by week for 13
    weeks, with an interval, and the past 13 weeks' projections beside what was harvested."""
    with engine.connect() as conn:
        return views.projection(conn, scope.licence, clock.now())


@router.get("/analytics/projection", response_model=views.ProjectionPublic)
def statewide_projection(
    principal: CurrentPrincipal, engine: EngineDep, clock: ClockDep
) -> views.ProjectionPublic:
    """The projections of every licensee the caller may read, summed week by week (a
    regulator: statewide, over the licensees it oversees)."""
    with engine.connect() as conn:
        return views.statewide(conn, sorted(principal.licences), clock.now().astimezone(UTC).date())


@list_route(router, "/analytics/overview", views.OverviewRow)
def analytics_overview(
    principal: CurrentPrincipal, engine: EngineDep, paging: PagingDep
) -> Page[views.OverviewRow] | Response:
    """Every licensee the caller may read (a regulator: those it oversees), most open signals
    first."""
    with engine.connect() as conn:
        rows = views.overview(conn, sorted(principal.licences))
    return page_of(rows, paging, views.OverviewRow, "overview")
