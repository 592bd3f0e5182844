"""The roster: users, roles, training records, cancellation, and their log-ons.

Registering, training and cancelling are events (attributed to the manager who did it); a
log-on and password are account rows, never in an event. Only an account manager or an
administrator manages people; only an account manager registers or sets the password of
another manager.
"""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field

from schemas.ids import Name, Text, UserId
from schemas.records import Role, TrainingRegistered, UserCancelled, UserRegistered, UserTrained
from server.accounts import manage, store
from server.accounts.deps import AuthenticatorDep, ManagerScope, ReadScope, Scope
from server.accounts.errors import AccountConflict, Forbidden
from server.accounts.passwords import MAX_LENGTH, WeakPassword, check_policy
from server.accounts.roles import AccessRole, AccountKind
from server.accounts.roster import CancellationRefused, DbRoster, check_cancellation
from server.api.deps import ClockDep, EngineDep, Recorded, RecorderDep, event_of
from server.api.errors import Conflict, Invalid, NotFound
from server.api.listing import Page, one
from server.api.listroute import LicenseeListDep, list_route
from server.api.params import BodyIn, UserPath, UserQuery
from server.api.query import of_licensee, where_given
from server.db.accounts import Account
from server.db.core import table_of
from server.db.tables import TrainingRecord, User
from server.reads.columns import columns_of

router = APIRouter(tags=["users"])
U = table_of(User)
TR = table_of(TrainingRecord)
A = table_of(Account)

Password = Annotated[str, Field(min_length=1, max_length=MAX_LENGTH)]
Login = Annotated[UserId, Field(description="Log-on; defaults to the user id")]


class Standing(StrEnum):
    ACTIVE = "active"  # trained and not cancelled: may sign in and record
    UNTRAINED = "untrained"  # no training record yet (TRAINED-BEFORE-ACCESS)
    CANCELLED = "cancelled"


class UserOut(BaseModel):
    user_id: str
    full_name: str
    role: Role
    premises: str | None
    standing: Standing
    registered_at: datetime
    registered_by: str
    first_trained_on: date | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    login: str | None  # the account's log-on; null: no password set yet


class TrainingOut(BaseModel):
    user_id: str
    trained_on: date
    description: str
    trainer: str
    recorded_by: str
    recorded_at: datetime


class UserDetail(BaseModel):
    user: UserOut
    training: list[TrainingOut]


class NewUser(BodyIn):
    user_id: UserId
    full_name: Name
    role: Role
    premises: Text | None = None
    password: Password | None = Field(
        default=None, description="Sets a log-on now (12-256 characters); or later"
    )
    login: Login | None = None


class Training(BodyIn):
    trained_on: date
    description: Text
    trainer: Name


class Cancellation(BodyIn):
    reason: Text


class TrainingRegistration(BodyIn):
    course: Text
    registered_on: date


class NewPassword(BodyIn):
    password: Password
    login: Login | None = Field(
        default=None, description="Only when the user has no log-on yet; default the user id"
    )


class Registered(BaseModel):
    recorded: Recorded
    login: str | None


USER_COLUMNS = (*columns_of(U, UserOut, skip={"standing", "login"}), A.c.login)


def _users(licence: str) -> sa.Select[tuple[object, ...]]:
    joined = U.outerjoin(
        A,
        sa.and_(
            A.c.licence == U.c.licence,
            A.c.kind == AccountKind.USER.value,
            A.c.subject_id == U.c.user_id,
        ),
    )
    return sa.select(*USER_COLUMNS).select_from(joined).where(U.c.licence == licence)


def _user(r: sa.RowMapping) -> UserOut:
    if r["cancelled_at"] is not None:
        standing = Standing.CANCELLED
    elif r["first_trained_on"] is None:
        standing = Standing.UNTRAINED
    else:
        standing = Standing.ACTIVE
    return UserOut(**r, standing=standing)


@list_route(router, "/licensees/{licence}/users", UserOut)
def list_users(
    request: LicenseeListDep, role: Role | None = None, standing: Standing | None = None
) -> Page[UserOut] | Response:
    """The roster (USER-ROSTER): everyone ever registered, cancelled users included."""
    stmt = where_given(_users(request.licence), (U.c.role, role))
    if standing is Standing.CANCELLED:
        stmt = stmt.where(U.c.cancelled_at.is_not(None))
    elif standing is Standing.UNTRAINED:
        stmt = stmt.where(U.c.cancelled_at.is_(None), U.c.first_trained_on.is_(None))
    elif standing is Standing.ACTIVE:
        stmt = stmt.where(U.c.cancelled_at.is_(None), U.c.first_trained_on.is_not(None))
    return request.respond(stmt, UserOut, (U.c.user_id,), convert=_user)


@router.get("/licensees/{licence}/users/{user_id}")
def get_user(scope: ReadScope, engine: EngineDep, user_id: UserPath) -> UserDetail:
    """One person and their training records."""
    with engine.connect() as conn:
        row = one(conn, _users(scope.licence).where(U.c.user_id == user_id), f"user {user_id}")
        training = conn.execute(
            of_licensee(TR, TrainingOut, scope.licence)
            .where(TR.c.user_id == user_id)
            .order_by(TR.c.position)
        ).mappings()
        return UserDetail(user=_user(row), training=[TrainingOut(**t) for t in training])


@list_route(router, "/licensees/{licence}/training-records", TrainingOut)
def list_training(
    request: LicenseeListDep, user_id: UserQuery = None
) -> Page[TrainingOut] | Response:
    """Training records (date, description, trainer, trainee), oldest first."""
    return request.rows_of(TR, TrainingOut, (TR.c.position,), (TR.c.user_id, user_id))


def _may_manage(scope: Scope, role: Role) -> None:
    if role is not Role.USER and scope.principal.role is not AccessRole.ACCOUNT_MANAGER:
        raise Forbidden(f"only the account manager may manage an {role.value}")


@dataclass(frozen=True, slots=True)
class Target:
    """A person of the roster a manager acts on, looked up before the body is read, so an id
    of another licensee answers 404 whatever the body holds."""

    scope: Scope
    user_id: str
    role: Role


def target_user(scope: ManagerScope, engine: EngineDep, user_id: UserPath) -> Target:
    with engine.connect() as conn:
        entry = DbRoster().entry(conn, scope.licence, user_id)
    if entry is None:
        raise NotFound(f"user {user_id} not found")
    return Target(scope, user_id, entry.role)


TargetDep = Annotated[Target, Depends(target_user)]


@router.post("/licensees/{licence}/users", status_code=201)
def register_user(
    scope: ManagerScope,
    record: RecorderDep,
    engine: EngineDep,
    clock: ClockDep,
    auth: AuthenticatorDep,
    body: NewUser,
) -> Registered:
    """Put a person on the roster (user.registered) and, with a password, give them a log-on.
    They cannot sign in until their training is recorded."""
    _may_manage(scope, body.role)
    with engine.connect() as conn:
        if DbRoster().entry(conn, scope.licence, body.user_id) is not None:
            raise Conflict(f"user {body.user_id} is already registered; user ids are never reused")
    login = body.user_id if body.login is None else body.login
    if body.password is not None:
        try:
            check_policy(body.password, login=login)
        except WeakPassword as err:
            raise Invalid("body", "password", str(err).removeprefix("password: ")) from err
        with engine.connect() as conn:
            if store.by_login(conn, login) is not None:
                raise AccountConflict(f"login {login} is taken; log-ons are unique (UNIQUE-LOGON)")
    recorded = record(
        scope,
        UserRegistered(
            user_id=body.user_id, full_name=body.full_name, role=body.role, premises=body.premises
        ),
    )
    if body.password is None:
        return Registered(recorded=recorded, login=None)
    with engine.begin() as conn:
        manage.add_user_account(
            conn,
            DbRoster(),
            auth.passwords,
            licence=scope.licence,
            user_id=body.user_id,
            password=body.password,
            now=clock.now(),
            login=login,
        )
    return Registered(recorded=recorded, login=login)


@router.post("/licensees/{licence}/users/{user_id}/training", status_code=201)
def record_training(target: TargetDep, record: RecorderDep, body: Training) -> Recorded:
    """Record a training (user.trained): from then on the person may sign in."""
    return record(target.scope, event_of(UserTrained, body, user_id=target.user_id))


@router.post("/licensees/{licence}/users/{user_id}/training-registrations", status_code=201)
def register_for_training(
    target: TargetDep, record: RecorderDep, body: TrainingRegistration
) -> Recorded:
    """An account manager registered for the state's training (TRAINING-5BD)."""
    return record(target.scope, event_of(TrainingRegistered, body, user_id=target.user_id))


@router.post("/licensees/{licence}/users/{user_id}/cancel", status_code=201)
def cancel_user(
    target: TargetDep, record: RecorderDep, engine: EngineDep, body: Cancellation
) -> Recorded:
    """End a person's access at once (user.cancelled): every request checks the roster, so
    their sessions stop working with the next request. Refused (409) for one's own access
    and for the licensee's last active account manager."""
    _may_manage(target.scope, target.role)
    with engine.connect() as conn:
        try:
            check_cancellation(conn, target.scope.licence, target.scope.operator_id, target.user_id)
        except CancellationRefused as err:
            raise Conflict(str(err)) from err
    return record(target.scope, event_of(UserCancelled, body, user_id=target.user_id))


@router.put("/licensees/{licence}/users/{user_id}/password", status_code=204)
def set_user_password(
    target: TargetDep,
    engine: EngineDep,
    clock: ClockDep,
    auth: AuthenticatorDep,
    body: NewPassword,
) -> Response:
    """Set a person's password, creating their log-on if they have none; their sessions end.
    Not an event: passwords are never part of the record."""
    scope, user_id = target.scope, target.user_id
    _may_manage(scope, target.role)
    passwords = auth.passwords
    with engine.begin() as conn:
        account = store.by_subject(conn, AccountKind.USER, scope.licence, user_id)
        try:
            if account is None:
                manage.add_user_account(
                    conn,
                    DbRoster(),
                    passwords,
                    licence=scope.licence,
                    user_id=user_id,
                    password=body.password,
                    now=clock.now(),
                    login=body.login,
                )
            else:
                if body.login is not None and body.login != account.login:
                    raise Invalid("body", "login", "the user already has a log-on")
                manage.set_password(
                    conn, passwords, login=account.login, password=body.password, now=clock.now()
                )
        except WeakPassword as err:
            raise Invalid("body", "password", str(err).removeprefix("password: ")) from err
    return Response(status_code=204)
