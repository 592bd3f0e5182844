"""The notifications page: what is overdue and due, by urgency, with what resolves each, live;
and dismissing one, which the deadline store refuses for an unresolved compliance
notification (the refusal, with its reason, is shown to the person who tried)."""

from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from server.compliance.deadlines import (
    DismissRefused,
    NotificationNotFound,
    dismiss,
    get_notification,
)
from server.console import live
from server.console.deps import ClockDep, EngineDep, ViewerDep, same_origin
from server.console.pages import ScreenDep, flash, router, still_signed_in
from server.console.queries import days
from server.console.queries.notifications import by_urgency, counts
from server.console.render import render


@router.get("/notifications")
def notifications_page(screen: ScreenDep, clock: ClockDep) -> HTMLResponse:
    items, more = by_urgency(screen.engine, screen.viewer.licences, clock.now())
    return screen.page(
        "notifications.html",
        "Notifications",
        items=items,
        tally=counts(items),
        more_closed=more,
    )


@router.get("/notifications/stream")
def notifications_stream(
    request: Request, viewer: ViewerDep, engine: EngineDep, clock: ClockDep
) -> Any:
    """The table's body again whenever a notification opens, changes or falls due."""
    multi = len(viewer.licences) > 1
    tz = days.shared_zone(engine, viewer.licences)
    shown = ""

    def poll() -> list[live.Message]:
        nonlocal shown
        now = clock.now()
        items, _ = by_urgency(engine, viewer.licences, now)
        html = render(
            "_notifications_body.html", items=items, multi=multi, viewer=viewer, now=now, tz=tz
        )
        if html == shown:
            return []
        shown = html
        return [live.Message("replace", html)]

    return live.stream(request, poll, signed_in=still_signed_in(request), poll_s=2.0)


@router.post("/notifications/{notification_id}/dismiss", dependencies=[Depends(same_origin)])
def dismiss_notification(
    notification_id: int, viewer: ViewerDep, engine: EngineDep, clock: ClockDep
) -> RedirectResponse:
    back = "/console/notifications"
    if viewer.read_only:
        return flash(back, "This view is read-only: nothing can be dismissed from it.", ok=False)
    try:
        n = get_notification(engine, notification_id)
        if not viewer.may_see(n.licence):
            raise NotificationNotFound(f"there is no notification {notification_id}")
        dismiss(engine, notification_id, by=viewer.user_id, now=clock.now())
    except DismissRefused as err:
        return flash(back, f"Not dismissed: {err}", ok=False)
    except NotificationNotFound as err:
        return flash(back, str(err), ok=False)
    return flash(back, f"Notification {notification_id} ({n.rule_id}) dismissed.", ok=True)
