"""Creating accounts: a licensee person's log-on, a regulator, and their passwords.

Used by the CLI (the first account of a server) and by the API's user routes. A licensee
person must be on the roster first (``user.registered``, an event); the account only adds a
log-on and a password to that person. Each function runs on the caller's connection.
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from server.accounts import store
from server.accounts.errors import AccountNotFound
from server.accounts.passwords import Passwords, check_policy
from server.accounts.roles import AccountKind
from server.accounts.roster import Roster


def add_user_account(
    conn: sa.Connection,
    roster: Roster,
    passwords: Passwords,
    *,
    licence: str,
    user_id: str,
    password: str,
    now: datetime,
    login: str | None = None,
) -> int:
    """Give the roster's ``user_id`` at ``licence`` a log-on (``login``, default the user id)
    and a password. Raises AccountNotFound when the user is not on the roster,
    AccountConflict when the log-on is taken or the user has an account, WeakPassword."""
    entry = roster.entry(conn, licence, user_id)
    if entry is None:
        raise AccountNotFound(f"user {user_id} is not on the roster of licensee {licence}")
    login = user_id if login is None else login
    store.check_login(login)
    check_policy(password, login=login)
    return store.insert(
        conn,
        login=login,
        kind=AccountKind.USER,
        licence=licence,
        subject_id=user_id,
        display_name=entry.full_name,
        password_hash=passwords.hash(password),
        now=now,
    )


def add_regulator(
    conn: sa.Connection,
    passwords: Passwords,
    *,
    login: str,
    display_name: str,
    password: str,
    oversees: Sequence[str],
    now: datetime,
) -> int:
    """A regulator account reading the licensees ``oversees`` (REGULATOR-ACCESS)."""
    store.check_login(login)
    check_policy(password, login=login)
    account_id = store.insert(
        conn,
        login=login,
        kind=AccountKind.REGULATOR,
        licence=None,
        subject_id=login,
        display_name=display_name,
        password_hash=passwords.hash(password),
        now=now,
    )
    store.set_oversight(conn, account_id, list(oversees))
    return account_id


def set_password(
    conn: sa.Connection, passwords: Passwords, *, login: str, password: str, now: datetime
) -> None:
    """Set the password of the account ``login`` (an administrator or the CLI); every session
    of the account ends and its lockout is cleared."""
    account = store.by_login(conn, login)
    if account is None or account.kind is AccountKind.STATION:
        raise AccountNotFound(f"no account with log-on {login}")
    check_policy(password, login=login)
    store.set_password_hash(conn, account.account_id, passwords.hash(password), now, keep=None)
