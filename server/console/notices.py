"""The notifications page: what is overdue and due, by urgency, with what resolves each, live;
and dismissing one, which the deadline store refuses for an unresolved compliance
notification (the refusal, with its reason, is shown to the person who tried)."""

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.engine import Engine

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
from server.console.queries.notifications import CURSOR, SLUGS, Board, by_urgency, next_of
from server.console.render import render

# ``?group=overdue&after=<cursor>``: the rest of a group the page cut short (its next ones).
GroupQuery = Annotated[Literal["overdue", "due-soon", "open"] | None, Query()]
AfterQuery = Annotated[str | None, Query(pattern=CURSOR, max_length=48)]


def _board(
    engine: Engine, licences: tuple[str, ...], now: datetime, group: str | None, after: str | None
) -> Board:
    """Every group's most urgent, or with ``group`` that group's next ones after ``after``."""
    if group is None:
        return by_urgency(engine, licences, now)
    return next_of(engine, licences, now, SLUGS[group], after)


@router.get("/notifications")
def notifications_page(
    screen: ScreenDep, clock: ClockDep, group: GroupQuery = None, after: AfterQuery = None
) -> HTMLResponse:
    board = _board(screen.engine, screen.viewer.licences, clock.now(), group, after)
    query = {k: v for k, v in (("group", group), ("after", after)) if v is not None}
    stream = "/console/notifications/stream" + (f"?{urlencode(query)}" if query else "")
    return screen.page(
        "notifications.html",
        "Notifications",
        board=board,
        tally=board.tally,
        more_closed=board.more_closed,
        paging=group is not None,
        stream_url=stream,
    )


@router.get("/notifications/stream")
def notifications_stream(
    request: Request,
    viewer: ViewerDep,
    engine: EngineDep,
    clock: ClockDep,
    group: GroupQuery = None,
    after: AfterQuery = None,
) -> Any:
    """The table's body again whenever a notification opens, changes or falls due: the same
    bounded read as the page, of the same group and cursor."""
    multi = len(viewer.licences) > 1
    tz = days.shared_zone(engine, viewer.licences)
    shown = ""

    def poll() -> list[live.Message]:
        nonlocal shown
        now = clock.now()
        board = _board(engine, viewer.licences, now, group, after)
        html = render(
            "_notifications_body.html",
            board=board,
            paging=group is not None,
            multi=multi,
            viewer=viewer,
            now=now,
            tz=tz,
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
