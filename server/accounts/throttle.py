"""Where failed sign-ins are counted: per log-on *name* and per client address.

Counting per name, not per account, makes a known and an unknown log-on answer alike: both are
slowed and locked after the same failures (:mod:`server.accounts.lockout`), so the answers do
not tell which log-ons exist. Counting per client address slows one machine guessing across
many names. Rows are ``sign_in_throttle`` (``server/db/accounts.py``); a subject with nothing
against it has no row, and rows of subjects idle for a day are forgotten on the next failure,
so guessed names cannot fill the table.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa

from server.accounts.lockout import CLEAR, Counters
from server.db.core_tables import SIGN_IN_THROTTLE as T

__all__ = ["CLEAR", "client_subject", "counters", "forget_idle", "login_subject", "store"]

FORGET_AFTER = timedelta(days=1)  # longer than any wait or lock the policy can impose


def login_subject(login: str) -> str:
    """The subject of a log-on name (cut to what the column holds; longer names are never
    accounts, they are still counted)."""
    return "login:" + _storable(login[:190])


def client_subject(address: str) -> str:
    return "client:" + _storable(address[:190])


def _storable(text: str) -> str:
    # PostgreSQL text cannot hold U+0000; a guessed name with one is still counted.
    return text.replace("\x00", "\ufffd")


def counters(conn: sa.Connection, subject: str) -> Counters:
    row = conn.execute(
        sa.select(T.c.failed_logins, T.c.last_failed_at, T.c.locked_until).where(
            T.c.subject == subject
        )
    ).first()
    return CLEAR if row is None else Counters(row[0], row[1], row[2])


def store(conn: sa.Connection, subject: str, value: Counters) -> None:
    """Keep ``value`` for ``subject``; CLEAR removes its row."""
    if value == CLEAR:
        conn.execute(T.delete().where(T.c.subject == subject))
        return
    values = {
        "failed_logins": value.failed_logins,
        "last_failed_at": value.last_failed_at,
        "locked_until": value.locked_until,
    }
    updated = conn.execute(T.update().where(T.c.subject == subject).values(**values))
    if updated.rowcount == 0:
        conn.execute(T.insert().values(subject=subject, **values))


def forget_idle(conn: sa.Connection, now: datetime) -> None:
    """Drop the rows of subjects that failed last over :data:`FORGET_AFTER` ago and are not
    locked: they no longer slow anything down."""
    conn.execute(
        T.delete().where(
            T.c.last_failed_at < now - FORGET_AFTER,
            sa.or_(T.c.locked_until.is_(None), T.c.locked_until < now),
        )
    )
