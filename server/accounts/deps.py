"""FastAPI dependencies for who is signed in and which licensee a request may touch.

For the REST API and the ops console alike. The app keeps its :class:`Authenticator` in
``app.state.authenticator`` (``server.api.app.create_app`` puts it there). A request is signed
in with either

- ``Authorization: Bearer <token>`` (API clients), or
- the cookie ``seedtrace_session`` holding the same kind of token (the console; set it
  ``HttpOnly``, ``SameSite=Strict`` and, behind HTTPS, ``Secure``).

Both are sessions of the one store (:mod:`server.accounts.sessions`). The dependencies raise the
:mod:`server.accounts.errors` exceptions; the app's exception handlers turn them into answers
(``server.api.errors``), so a console can map ``NotSignedIn`` to a redirect instead.

Typical use::

    @router.get("/licensees/{licence}/plants")
    def plants(scope: ReadScope) -> ...:        # 404 unless the caller may read the licensee
        ...

    @router.post("/licensees/{licence}/users")
    def register(scope: ManagerScope) -> ...:   # 404 as above; 403 unless a manager of it
        ...
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from schemas.ids import LICENCE_PATTERN
from server.accounts.errors import Forbidden, NotSignedIn, NotVisible
from server.accounts.roles import AccessRole, Principal
from server.accounts.service import Authenticator

SESSION_COOKIE = "seedtrace_session"

_bearer = HTTPBearer(
    auto_error=False,
    description="The token from POST /api/v1/auth/login, as `Authorization: Bearer <token>`.",
)
_cookie = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="The console's session cookie."
)


def get_authenticator(request: Request) -> Authenticator:
    auth: Authenticator = request.app.state.authenticator
    return auth


AuthenticatorDep = Annotated[Authenticator, Depends(get_authenticator)]


def session_token(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> str | None:
    """The request's session token: the bearer token if given, else the cookie. An
    ``Authorization`` header that is not ``Bearer <token>`` is refused (NotSignedIn) rather
    than ignored: a client that sent credentials must not be served as someone else."""
    if bearer is not None:
        return bearer.credentials
    if "authorization" in request.headers:
        raise NotSignedIn("the Authorization header must be 'Bearer <token>'")
    return cookie


SessionToken = Annotated[str | None, Depends(session_token)]


def current_principal(auth: AuthenticatorDep, token: SessionToken) -> Principal:
    """The signed-in principal; raises NotSignedIn without a live session."""
    if token is None:
        raise NotSignedIn("sign in first: send 'Authorization: Bearer <token>'")
    return auth.principal(token)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_role(*roles: AccessRole) -> Callable[[Principal], Principal]:
    """A dependency that lets through only principals with one of ``roles`` (403 otherwise)."""
    allowed = frozenset(roles)

    def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise Forbidden(f"this needs one of the roles: {names}")
        return principal

    return check


@dataclass(frozen=True, slots=True)
class Scope:
    """The licensee a request is about, checked against the principal."""

    licence: str
    principal: Principal

    @property
    def operator_id(self) -> str:
        return self.principal.operator_id


LicencePath = Annotated[
    str,
    Path(pattern=LICENCE_PATTERN, description="Licence number, e.g. 020-1002345ABC"),
]


def read_scope(licence: LicencePath, principal: CurrentPrincipal) -> Scope:
    """The caller may read ``licence``: its own licensee, or one a regulator oversees.
    Anything else is NotVisible (404): a 403 would confirm the licensee exists."""
    if not principal.can_read(licence):
        raise NotVisible(f"licensee {licence} not found")
    return Scope(licence, principal)


def write_scope(licence: LicencePath, principal: CurrentPrincipal) -> Scope:
    """The caller may record events for ``licence``: a user of that licensee."""
    scope = read_scope(licence, principal)
    if not principal.can_write(licence):
        raise Forbidden(f"{principal.role.value} accounts have read-only access")
    return scope


def manager_scope(licence: LicencePath, principal: CurrentPrincipal) -> Scope:
    """An account manager or administrator of ``licence``."""
    scope = write_scope(licence, principal)
    if not principal.is_manager():
        raise Forbidden("only an account manager or administrator may do this")
    return scope


def account_manager_scope(licence: LicencePath, principal: CurrentPrincipal) -> Scope:
    """The account manager of ``licence`` (licence details)."""
    scope = write_scope(licence, principal)
    if principal.role is not AccessRole.ACCOUNT_MANAGER:
        raise Forbidden("only the account manager may change the licence's details")
    return scope


ReadScope = Annotated[Scope, Depends(read_scope)]
WriteScope = Annotated[Scope, Depends(write_scope)]
ManagerScope = Annotated[Scope, Depends(manager_scope)]
AccountManagerScope = Annotated[Scope, Depends(account_manager_scope)]
