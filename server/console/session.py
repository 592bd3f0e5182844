"""Signing in to the console: a form, a session cookie, and the viewer behind it.

The console uses the accounts service of the API (:class:`server.accounts.service.
Authenticator`, on ``app.state.authenticator``): the same log-ons, argon2 passwords, lockout
and sessions. The session token goes in an ``HttpOnly``, ``SameSite=Strict`` cookie scoped to
``/console``, so no script can read it and no other site can make the browser send it (which
is also what protects the console's forms from cross-site requests). Every request checks the
session again, so a cancelled user, an expired session or a sign-out ends access at once.
"""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from server.accounts.deps import SESSION_COOKIE
from server.accounts.errors import AccessRefused, BadCredentials, NotSignedIn, SignInThrottled
from server.accounts.roles import AccessRole, Principal
from server.accounts.service import Authenticator
from server.console.deps import get_clock, same_origin
from server.console.render import render
from server.console.viewer import Viewer

COOKIE = SESSION_COOKIE  # one name, as docs/api.md says; scoped to /console by its path
router = APIRouter(prefix="/console", include_in_schema=False)


def viewer_of(principal: Principal) -> Viewer:
    return Viewer(
        user_id=principal.operator_id,
        name=principal.display_name,
        role=principal.role.value,
        licences=tuple(sorted(principal.licences)),
        read_only=principal.role is AccessRole.REGULATOR,
    )


class SessionViewers:
    """The console's :class:`~server.console.deps.ViewerSource`: the session cookie's
    account, through the accounts service."""

    def __init__(self, authenticator: Authenticator) -> None:
        self.authenticator = authenticator

    def viewer_for(self, request: Request) -> Viewer | None:
        token = request.cookies.get(COOKIE)
        if token is None:
            return None
        try:
            return viewer_of(self.authenticator.principal(token))
        except NotSignedIn:
            return None


def _authenticator(request: Request) -> Authenticator:
    auth = getattr(request.app.state, "authenticator", None)
    if not isinstance(auth, Authenticator):
        raise RuntimeError("the app has no accounts service (app.state.authenticator)")
    return auth


def _safe_next(target: str | None) -> str:
    """Only a path inside the console: never an open redirect to another site."""
    if target is None or not target.startswith("/console") or "//" in target:
        return "/console/"
    return target


def _form(message: str | None, login: str, next_url: str, status_code: int) -> HTMLResponse:
    html = render("signin.html", title="Sign in", message=message, login=login, next=next_url)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


@router.get("/sign-in")
def sign_in_form(request: Request, next: str | None = None) -> HTMLResponse:
    ended = request.cookies.get(COOKIE) is not None
    message = "Your session has ended. Sign in again." if ended else None
    response = _form(message, "", _safe_next(next), 200)
    if ended:
        response.delete_cookie(COOKIE, path="/console")
    return response


@router.post("/sign-in", dependencies=[Depends(same_origin)])
def sign_in(
    request: Request,
    login: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=500)] = "/console/",
) -> Response:
    target = _safe_next(next)
    try:
        client = None if request.client is None else request.client.host
        signed_in = _authenticator(request).sign_in(login.strip(), password, client=client)
    except BadCredentials:
        return _form("Wrong log-on or password.", login, target, 401)
    except SignInThrottled as err:
        return _form(str(err), login, target, 429)
    except AccessRefused as err:
        return _form(str(err), login, target, 403)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        signed_in.token,
        max_age=max(0, int((signed_in.expires_at - get_clock(request).now()).total_seconds())),
        path="/console",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/sign-out", dependencies=[Depends(same_origin)])
def sign_out(request: Request) -> Response:
    token = request.cookies.get(COOKIE)
    if token is not None:
        _authenticator(request).sign_out(token)
    response = RedirectResponse(f"/console/sign-in?next={quote('/console/')}", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response
