"""The console's analytics page (docs/analytics.md): for a regulator, the licensees it
oversees ranked by open signals and their projected harvest summed; for the chosen licensee (a
licensee's people: their own), its signals with the events behind each and their reviews, the
mass balance of its harvest batches, and its projected harvest beside what past projections
expected. A manager, or a regulator, records a review with a note: a note about the record, not
a change to it, so the one thing a regulator's read-only view may do.

Everything shown was stored by the scheduled refresh (server.analytics.refresh); the page
says when that was."""

from datetime import UTC
from typing import Annotated

from fastapi import Depends, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse

from server.analytics import views
from server.console.deps import ClockDep, EngineDep, ViewerDep, same_origin
from server.console.pages import ScreenDep, flash, router
from server.console.viewer import Viewer

REVIEWERS = frozenset({"account_manager", "administrator", "regulator"})


def may_review(viewer: Viewer) -> bool:
    return viewer.role in REVIEWERS


@router.get("/analytics")
def analytics_page(
    screen: ScreenDep, clock: ClockDep, licence: Annotated[str, Query(max_length=40)] = ""
) -> HTMLResponse:
    now, viewer = clock.now(), screen.viewer
    with screen.engine.connect() as conn:
        ranked = views.overview(conn, sorted(viewer.licences))
        chosen = licence if viewer.may_see(licence) else ranked[0].licence
        found = views.signals(conn, chosen)
        balances = [
            views.balance_public(r) for r in conn.execute(views.balances_stmt(chosen)).mappings()
        ]
        projected = views.projection(conn, chosen, now)
        overall = views.statewide(conn, sorted(viewer.licences), now.astimezone(UTC).date())
    refreshed = next(r.refreshed_at for r in ranked if r.licence == chosen)
    return screen.page(
        "analytics.html",
        "Analytics",
        ranked=ranked,
        chosen=chosen,
        signals=found,
        balances=balances,
        refreshed=refreshed,
        projected=projected,
        overall=overall if len(viewer.licences) > 1 else None,
        may_review=may_review(viewer),
        plain_subjects=views.NOT_AN_ITEM,
    )


@router.post("/analytics/signals/{signal_id}/review", dependencies=[Depends(same_origin)])
def review_signal(
    signal_id: int,
    viewer: ViewerDep,
    engine: EngineDep,
    clock: ClockDep,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> RedirectResponse:
    with engine.begin() as conn:
        licence = views.signal_licence(conn, signal_id)
        if licence is None or not viewer.may_see(licence):
            return flash("/console/analytics", f"There is no signal {signal_id}.", ok=False)
        back = f"/console/analytics?licence={licence}"
        if not may_review(viewer):
            return flash(back, "Only a manager or a regulator may review a signal.", ok=False)
        if note.strip() == "":
            return flash(back, "Not recorded: say in the note what was looked at.", ok=False)
        done = views.review(
            conn,
            licence,
            signal_id,
            views.Reviewer(viewer.user_id, viewer.name),
            note.strip(),
            clock.now(),
        )
    return flash(back, f"Review of signal {signal_id} ({done.kind}) recorded.", ok=True)
