"""The users page and cancelling a user (USER-ROSTER: leavers are cancelled at once).

Cancelling records a ``user.cancelled`` event through the same pipeline as a station's
(:func:`server.ingest.submit.submit`), attributed to the manager who did it (ACCOUNTABLE). The
accounts service reads the roster on every request, so the cancelled person's open sessions
end with their next click. Only a licensee's account manager or administrator may cancel; a
regulator's view has no button, and the server refuses the request anyway.
"""

from typing import Annotated

from fastapi import Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse

from schemas.records import UserCancelled
from server.accounts.roles import MANAGERS
from server.accounts.roster import CancellationRefused, check_cancellation
from server.console.deps import ClockDep, EngineDep, ViewerDep, same_origin
from server.console.pages import ScreenDep, flash, router
from server.console.queries.users import roster
from server.console.viewer import Viewer
from server.ingest.submit import submit


def may_manage(viewer: Viewer) -> bool:
    return not viewer.read_only and viewer.role in MANAGERS and len(viewer.licences) == 1


@router.get("/users")
def users_page(screen: ScreenDep) -> HTMLResponse:
    viewer = screen.viewer
    return screen.page(
        "users.html",
        "Users and training",
        people=roster(screen.engine, viewer.licences),
        may_manage=may_manage(viewer),
    )


@router.post("/users/{user_id}/cancel", dependencies=[Depends(same_origin)])
def cancel_user(
    user_id: str,
    viewer: ViewerDep,
    engine: EngineDep,
    clock: ClockDep,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> RedirectResponse:
    back = "/console/users"
    if not may_manage(viewer):
        return flash(
            back,
            "Only the licensee's account manager or an administrator may "
            "cancel users; this view is read-only.",
            ok=False,
        )
    if reason.strip() == "":
        return flash(
            back, f"Say why {user_id} is cancelled (the reason is kept in the record).", ok=False
        )
    [licence] = viewer.licences
    with engine.connect() as conn:
        try:
            check_cancellation(conn, licence, viewer.user_id, user_id)
        except CancellationRefused as err:
            return flash(back, f"{user_id} was not cancelled: {err}", ok=False)
    ack = submit(
        engine,
        licence,
        viewer.user_id,
        UserCancelled(user_id=user_id, reason=reason.strip()),
        clock=clock,
    )
    if ack.violations:
        why = "; ".join(f"{v.rule_id}: {v.message}" for v in ack.violations)
        return flash(back, f"{user_id} was not cancelled. {why}", ok=False)
    return flash(back, f"{user_id} is cancelled; their sessions have ended.", ok=True)
