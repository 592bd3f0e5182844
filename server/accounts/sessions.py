"""The session store, shared by bearer tokens (the REST API) and cookies (the console).

A session token is 32 random bytes, URL-safe base64 (43 characters), handed to the client once
at sign-in. The database keeps only its SHA-256 (hex), so neither a database copy nor a log
line of stored rows can be replayed. A session ends at ``expires_at`` (a fixed lifetime from
sign-in), when revoked (sign-out, password change) or, for a licensee's user, the moment the
roster says the user is cancelled: that is checked on every request, not stored here.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from server.db.core_tables import ACCOUNT_SESSIONS as S

# A token is URL-safe base64 of 32 bytes; anything else is refused before a query.
TOKEN_LENGTH = 43


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed(token: str) -> bool:
    return len(token) == TOKEN_LENGTH and all(c.isalnum() or c in "-_" for c in token)


def open_session(conn: sa.Connection, account_id: int, now: datetime, lifetime_s: float) -> str:
    """Store a new session for ``account_id``; returns the token (shown to no one else)."""
    token = secrets.token_urlsafe(32)
    conn.execute(
        S.insert().values(
            token_sha256=digest(token),
            account_id=account_id,
            created_at=now,
            expires_at=now + timedelta(seconds=lifetime_s),
        )
    )
    return token


def live_account(conn: sa.Connection, token_sha256: str, now: datetime) -> int | None:
    """The account of a session that is neither expired nor revoked, else None."""
    value = conn.execute(
        sa.select(S.c.account_id).where(
            S.c.token_sha256 == token_sha256, S.c.revoked_at.is_(None), S.c.expires_at > now
        )
    ).scalar_one_or_none()
    return None if value is None else int(value)


def revoke(conn: sa.Connection, token_sha256: str, now: datetime) -> None:
    conn.execute(
        S.update()
        .where(S.c.token_sha256 == token_sha256, S.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def revoke_all(
    conn: sa.Connection, account_id: int, now: datetime, *, keep: str | None = None
) -> int:
    """End every live session of ``account_id`` (but ``keep``, a digest); returns how many."""
    where = [S.c.account_id == account_id, S.c.revoked_at.is_(None), S.c.expires_at > now]
    if keep is not None:
        where.append(S.c.token_sha256 != keep)
    return conn.execute(S.update().where(*where).values(revoked_at=now)).rowcount
