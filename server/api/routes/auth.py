"""Signing in and out, who am I, changing one's own password."""

from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from server.accounts.deps import AuthenticatorDep, CurrentPrincipal
from server.accounts.passwords import MAX_LENGTH, WeakPassword
from server.accounts.roles import AccessRole, AccountKind, Principal
from server.api.errors import Invalid
from server.api.params import BodyIn

router = APIRouter(prefix="/auth", tags=["auth"])

Password = Annotated[str, Field(min_length=1, max_length=MAX_LENGTH)]


class Credentials(BodyIn):
    login: Annotated[str, Field(min_length=1, max_length=64)]
    password: Password


# The signed-in Principal as it is shown, read off it field by field.
class Me(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    login: str
    kind: AccountKind
    role: AccessRole
    display_name: str
    licence: str | None  # the user's licensee; null for a regulator
    # every licensee this account may read, in order
    licences: Annotated[list[str], AfterValidator(sorted)]
    operator_id: str  # what events recorded by this account carry as operator


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: AwareDatetime
    account: Me


class PasswordChange(BodyIn):
    current_password: Password
    new_password: Password


def me_of(p: Principal) -> Me:
    return Me.model_validate(p, from_attributes=True)


@router.post(
    "/login",
    responses={429: {"description": "Too many failed log-ins; see Retry-After"}},
)
def login(body: Credentials, auth: AuthenticatorDep, request: Request) -> Token:
    """Sign in; send the token back as `Authorization: Bearer <token>`."""
    client = None if request.client is None else request.client.host
    signed = auth.sign_in(body.login, body.password, client=client)
    return Token(
        access_token=signed.token, expires_at=signed.expires_at, account=me_of(signed.principal)
    )


@router.post("/logout", status_code=204)
def logout(principal: CurrentPrincipal, auth: AuthenticatorDep) -> Response:
    """End this session."""
    auth.revoke(principal)
    return Response(status_code=204)


@router.get("/me")
def me(principal: CurrentPrincipal) -> Me:
    """The signed-in account."""
    return me_of(principal)


@router.post("/password", status_code=204)
def change_password(
    body: PasswordChange, principal: CurrentPrincipal, auth: AuthenticatorDep
) -> Response:
    """Change one's own password (12-256 characters); every other session ends."""
    try:
        auth.change_password(principal, body.current_password, body.new_password)
    except WeakPassword as err:
        raise Invalid("body", "new_password", str(err).removeprefix("password: ")) from err
    return Response(status_code=204)
