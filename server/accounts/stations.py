"""Station accounts: MQTT credentials issued, rotated and revoked from the API, and the
broker's password and ACL files written from them.

A station account (``accounts`` row, kind ``station``) holds the broker user name
(``station.{licence}.{station_id}``, :class:`server.brokerauth.accounts.StationRef`) and the
mosquitto ``$7$`` hash of its password; the password itself is shown once, to the manager who
issued it, and stored nowhere. A station signs in to the broker only, never to the API.

The broker files (``passwd`` and ``acl`` in ``SEEDTRACE_BROKER_FILES_DIR``) are written from:

- the service accounts (ingest, console) and any stations of the roster file
  (``SEEDTRACE_BROKER_ROSTER``, the one ``seedtrace broker credentials`` reads), with the hashes
  already in the password file: they must have been issued there first;
- every station account of the database, which wins over a roster station of the same name.

Then mosquitto is told to reload (``SEEDTRACE_BROKER_PID_FILE``): a rotated station's old
password stops working and its connection is closed. Without ``SEEDTRACE_BROKER_FILES_DIR`` the
credentials are stored and nothing is written (a development server without broker
authentication).

``seedtrace broker credentials`` rewrites the files from the roster file alone: after issuing
stations here, run :func:`write_broker_files` (``seedtrace accounts broker-files``) instead.

Failure modes: :class:`BrokerFilesError` when the roster file cannot be read, a roster account
has no hash yet, or the files cannot be written; the credentials are stored all the same, and
the next successful write carries them.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.ids import STATION_PATTERN
from server.accounts import store
from server.accounts.errors import AccountInvalid, AccountNotFound
from server.accounts.roles import AccountKind
from server.brokerauth.accounts import (
    Account,
    AccountError,
    Role,
    StationRef,
    hash_password,
    new_password,
)
from server.brokerauth.install import BrokerFiles, InstallError, reload_broker
from server.brokerauth.roster import parse_roster
from server.db.core_tables import ACCOUNTS as A


class BrokerFilesError(RuntimeError):
    """The broker files were not written (or mosquitto not reloaded); the message says why."""


@dataclass(frozen=True, slots=True)
class BrokerConfig:
    files_dir: Path
    roster_file: Path | None = None
    group: str | None = None
    pid_file: Path | None = None  # None: write the files, signal nothing


@dataclass(frozen=True, slots=True)
class Issued:
    username: str
    password: str  # shown once


def _ref(licence: str, station_id: str) -> StationRef:
    if not re.fullmatch(STATION_PATTERN, station_id):
        raise AccountInvalid(f"station_id {station_id!r}: 1-64 letters, digits, '_' or '-'")
    try:
        return StationRef(licence, station_id)
    except AccountError as err:
        raise AccountInvalid(str(err)) from err


def add_station(conn: sa.Connection, licence: str, station_id: str, now: datetime) -> Issued:
    """A new station account with its first password. AccountConflict if it exists."""
    ref = _ref(licence, station_id)
    account_id = store.insert(
        conn,
        login=ref.username,
        kind=AccountKind.STATION,
        licence=licence,
        subject_id=station_id,
        display_name=f"station {station_id}",
        password_hash=None,
        now=now,
    )
    return _issue(conn, account_id, ref.username, now)


def rotate_station(conn: sa.Connection, licence: str, station_id: str, now: datetime) -> Issued:
    """A new password for an existing station account (a revoked one comes back)."""
    account = station_account(conn, licence, station_id)
    return _issue(conn, account.account_id, account.login, now)


def _issue(conn: sa.Connection, account_id: int, login: str, now: datetime) -> Issued:
    """A new MQTT password for the account (only its hash is stored); a disabled account is
    enabled again."""
    password = new_password()
    conn.execute(
        A.update()
        .where(A.c.account_id == account_id)
        .values(
            mqtt_password_hash=hash_password(password), password_changed_at=now, disabled_at=None
        )
    )
    return Issued(login, password)


def revoke_station(conn: sa.Connection, licence: str, station_id: str, now: datetime) -> None:
    """The station may no longer connect (once the files are written and reloaded)."""
    store.disable(conn, station_account(conn, licence, station_id).account_id, now)


def station_account(conn: sa.Connection, licence: str, station_id: str) -> store.AccountRow:
    account = store.by_subject(conn, AccountKind.STATION, licence, station_id)
    if account is None:
        raise AccountNotFound(f"station {station_id} has no broker account")
    return account


def station_accounts(conn: sa.Connection) -> list[Account]:
    """Every enabled station account of the database, as a broker account."""
    rows = conn.execute(
        sa.select(A.c.licence, A.c.subject_id, A.c.mqtt_password_hash).where(
            A.c.kind == AccountKind.STATION.value,
            A.c.disabled_at.is_(None),
            A.c.mqtt_password_hash.is_not(None),
        )
    ).all()
    return [Account.for_station(StationRef(lic, sid), h) for lic, sid, h in rows]


def write_broker_files(engine: Engine, config: BrokerConfig) -> bool:
    """Write the broker's files (see the module docstring); True when mosquitto was told to
    reload them. Raises BrokerFilesError."""
    files = BrokerFiles(config.files_dir)
    try:
        with files.locked():
            existing = files.read_hashes()
            accounts = {a.username: a for a in _roster_accounts(config.roster_file, existing)}
            with engine.connect() as conn:
                accounts.update({a.username: a for a in station_accounts(conn)})
            files.install(list(accounts.values()), group=config.group)
        if config.pid_file is None:
            return False
        reload_broker(config.pid_file)
    except InstallError as err:
        raise BrokerFilesError(str(err)) from err
    return True


def _roster_accounts(roster_file: Path | None, existing: dict[str, str]) -> list[Account]:
    if roster_file is None:
        return []
    try:
        roster = parse_roster(roster_file.read_text(), str(roster_file))
    except (OSError, AccountError) as err:
        raise BrokerFilesError(f"cannot use the broker roster {roster_file}: {err}") from err
    out = []
    for username, role, station in roster.wanted():
        hashed = existing.get(username)
        if hashed is None:
            raise BrokerFilesError(
                f"{role.value} account {username} of {roster_file} has no password yet: run "
                "`seedtrace broker credentials` first"
            )
        out.append(Account(username, role, hashed, station if role is Role.STATION else None))
    return out
