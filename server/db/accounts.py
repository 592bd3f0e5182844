"""Account tables: log-ons, password hashes, sessions, regulators' oversight, station
credentials.

None of this is part of the legal record: who a licensee's users are, their roles, training and
cancellation are events (``user.registered``, ``user.trained``, ``user.cancelled``) kept in the
event log and projected into the roster. These tables hold only what must never be in an event:
password hashes, session tokens (as SHA-256 digests), failed log-in counters and the MQTT
password hashes of stations.

- ``accounts``: one row per log-on. ``kind`` is ``user`` (a licensee's person; ``subject_id``
  is the roster's ``user_id``), ``regulator`` (not bound to a licensee; sees the licensees in
  ``regulator_licensees``) or ``station`` (a device; ``subject_id`` is the station id; signs in
  to the MQTT broker only, never to the API). ``login`` is unique across the whole server
  (UNIQUE-LOGON).
- ``account_sessions``: a session is a random token given to the client once; only its digest
  is stored, so a copy of the database cannot be used to sign in.
- ``sign_in_throttle``: failed log-in counters per log-on *name* (``login:<name>``, whether or
  not an account has that name, so the answers never tell a known log-on from an unknown one)
  and per client address (``client:<address>``); see :mod:`server.accounts.lockout`.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.db.tables import BigId
from server.db.types import time_column


class Account(SQLModel, table=True):
    __tablename__ = "accounts"
    __table_args__ = (
        sa.UniqueConstraint("licence", "kind", "subject_id", name="uq_accounts_subject"),
    )

    account_id: int | None = Field(default=None, sa_column=sa.Column(BigId, primary_key=True))
    login: str = Field(max_length=64, unique=True)
    kind: str = Field(max_length=10)  # user | regulator | station
    licence: str | None = Field(default=None, foreign_key="licensees.licence", max_length=40)
    subject_id: str = Field(max_length=64)
    display_name: str = Field(max_length=200)
    password_hash: str | None = Field(default=None, sa_type=sa.Text)  # argon2id, PHC string
    mqtt_password_hash: str | None = Field(default=None, sa_type=sa.Text)  # mosquitto format
    created_at: datetime = Field(sa_column=time_column())
    password_changed_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    disabled_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))


class RegulatorLicensee(SQLModel, table=True):
    """A licensee a regulator account oversees (REGULATOR-ACCESS): it may read its data."""

    __tablename__ = "regulator_licensees"

    account_id: int = Field(
        sa_column=sa.Column(
            BigId, sa.ForeignKey("accounts.account_id", ondelete="CASCADE"), primary_key=True
        )
    )
    licence: str = Field(primary_key=True, foreign_key="licensees.licence", max_length=40)


class AccountSession(SQLModel, table=True):
    __tablename__ = "account_sessions"

    token_sha256: str = Field(primary_key=True, max_length=64)
    account_id: int = Field(
        sa_column=sa.Column(
            BigId,
            sa.ForeignKey("accounts.account_id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    created_at: datetime = Field(sa_column=time_column())
    expires_at: datetime = Field(sa_column=time_column())
    revoked_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))


ACCOUNT_TABLES = ("accounts", "regulator_licensees", "account_sessions")


class SignInThrottle(SQLModel, table=True):
    """Failed sign-ins of one subject: a log-on name or a client address."""

    __tablename__ = "sign_in_throttle"

    subject: str = Field(primary_key=True, max_length=200)
    failed_logins: int = 0  # consecutive failures since the last success or lock
    last_failed_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    locked_until: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
