"""Reading and writing account rows (``server/db/accounts.py``) on a caller's connection.

Each function runs on a connection the caller opened, so an account change and, say, the
event that registered its user can commit together. Values are checked here and refused with
:class:`~server.accounts.errors.AccountInvalid` naming the field.
"""

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from schemas.ids import LICENCE_PATTERN, USER_PATTERN
from server.accounts import throttle
from server.accounts.errors import AccountConflict, AccountInvalid, AccountNotFound
from server.accounts.roles import AccountKind
from server.accounts.sessions import revoke_all
from server.db.core_tables import ACCOUNTS as A
from server.db.core_tables import LICENSEES as LIC
from server.db.core_tables import REGULATOR_LICENSEES as RL

# A log-on has the characters of a user id (schemas.ids.USER_PATTERN): safe in a URL, a CSV
# cell and an MQTT user name.
LOGIN_PATTERN = USER_PATTERN


@dataclass(frozen=True, slots=True)
class AccountRow:
    account_id: int
    login: str
    kind: AccountKind
    licence: str | None
    subject_id: str
    display_name: str
    password_hash: str | None
    disabled_at: datetime | None


_COLUMNS = (
    A.c.account_id,
    A.c.login,
    A.c.kind,
    A.c.licence,
    A.c.subject_id,
    A.c.display_name,
    A.c.password_hash,
    A.c.disabled_at,
)


def _row(m: sa.RowMapping) -> AccountRow:
    return AccountRow(
        account_id=int(m["account_id"]),
        login=m["login"],
        kind=AccountKind(m["kind"]),
        licence=m["licence"],
        subject_id=m["subject_id"],
        display_name=m["display_name"],
        password_hash=m["password_hash"],
        disabled_at=m["disabled_at"],
    )


def by_login(conn: sa.Connection, login: str) -> AccountRow | None:
    row = conn.execute(sa.select(*_COLUMNS).where(A.c.login == login)).first()
    return None if row is None else _row(row._mapping)


def by_id(conn: sa.Connection, account_id: int) -> AccountRow | None:
    row = conn.execute(sa.select(*_COLUMNS).where(A.c.account_id == account_id)).first()
    return None if row is None else _row(row._mapping)


def by_subject(
    conn: sa.Connection, kind: AccountKind, licence: str | None, subject_id: str
) -> AccountRow | None:
    where = A.c.licence.is_(None) if licence is None else A.c.licence == licence
    row = conn.execute(
        sa.select(*_COLUMNS).where(where, A.c.kind == kind.value, A.c.subject_id == subject_id)
    ).first()
    return None if row is None else _row(row._mapping)


def check_login(login: str) -> None:
    if not re.fullmatch(LOGIN_PATTERN, login):
        raise AccountInvalid(
            f"login {login!r}: 1-64 letters, digits, '.', '_', '@' or '-', starting with a "
            "letter or digit"
        )


def insert(
    conn: sa.Connection,
    *,
    login: str,
    kind: AccountKind,
    licence: str | None,
    subject_id: str,
    display_name: str,
    password_hash: str | None,
    now: datetime,
) -> int:
    """Add an account; raises AccountConflict when the log-on or the subject has one."""
    check_login(login)
    if not display_name.strip() or len(display_name) > 200:
        raise AccountInvalid("display_name: 1-200 characters")
    if by_login(conn, login) is not None:
        raise AccountConflict(f"login {login} is taken; log-ons are unique (UNIQUE-LOGON)")
    if by_subject(conn, kind, licence, subject_id) is not None:
        raise AccountConflict(f"{kind.value} {subject_id} already has an account")
    return int(
        conn.execute(
            A.insert()
            .values(
                login=login,
                kind=kind.value,
                licence=licence,
                subject_id=subject_id,
                display_name=display_name.strip(),
                password_hash=password_hash,
                created_at=now,
                password_changed_at=None if password_hash is None else now,
            )
            .returning(A.c.account_id)
        ).scalar_one()
    )


def set_password_hash(
    conn: sa.Connection, account_id: int, password_hash: str, now: datetime, *, keep: str | None
) -> None:
    """Store a new password hash, clear the log-on's lockout and end every other session."""
    login = conn.execute(
        A.update()
        .where(A.c.account_id == account_id)
        .values(password_hash=password_hash, password_changed_at=now)
        .returning(A.c.login)
    ).scalar_one()
    throttle.store(conn, throttle.login_subject(login), throttle.CLEAR)
    revoke_all(conn, account_id, now, keep=keep)


def rehash(conn: sa.Connection, account_id: int, password_hash: str) -> None:
    """Replace a hash made with older parameters (same password: sessions stay)."""
    conn.execute(A.update().where(A.c.account_id == account_id).values(password_hash=password_hash))


def disable(conn: sa.Connection, account_id: int, now: datetime) -> None:
    conn.execute(
        A.update()
        .where(A.c.account_id == account_id, A.c.disabled_at.is_(None))
        .values(disabled_at=now)
    )
    revoke_all(conn, account_id, now)


def oversees(conn: sa.Connection, account_id: int) -> frozenset[str]:
    return frozenset(
        conn.execute(sa.select(RL.c.licence).where(RL.c.account_id == account_id)).scalars()
    )


def set_oversight(conn: sa.Connection, account_id: int, licences: list[str]) -> None:
    """Make ``licences`` exactly the licensees a regulator oversees."""
    for licence in licences:
        if not re.fullmatch(LICENCE_PATTERN, licence):
            raise AccountInvalid(f"licence {licence!r}: 3-40 letters, digits or '-'")
    known = set(conn.execute(sa.select(LIC.c.licence).where(LIC.c.licence.in_(licences))).scalars())
    missing = sorted(set(licences) - known)
    if missing:
        raise AccountNotFound(f"licence {', '.join(missing)} is not registered on this server")
    conn.execute(RL.delete().where(RL.c.account_id == account_id))
    if licences:
        conn.execute(
            RL.insert(), [{"account_id": account_id, "licence": lic} for lic in sorted(licences)]
        )
