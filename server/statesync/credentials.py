"""People's state credentials, encrypted at rest (docs/sync.md, Credentials).

A Metrc user key belongs to one person and carries that person's permissions; a BioTrack
log-on likewise. The connector makes each call with the credentials of the operator of the
event it files. They are stored in ``sync_credentials`` as Fernet tokens (AES-128-CBC with an
HMAC-SHA256, from the ``cryptography`` package) under the key in the settings
(``SEEDTRACE_SYNC_CREDENTIALS_KEY``); the plaintext exists only in the connector's memory
while it talks to the state. Nothing here logs a secret, and :class:`Secret` hides its value
from ``repr``/``str`` so a log line or traceback that shows one shows ``***``.

Failure modes: a wrong key, or a token altered in the database, raises
:class:`CredentialError` naming the person (never the secret).
"""

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.engine import Connection, Engine

from server.db.core import table_of
from server.db.statesync import SyncCredential

__all__ = ["CredentialError", "Credentials", "Secret", "new_key"]

_T = table_of(SyncCredential)


class CredentialError(Exception):
    """Credentials missing, or not readable with the configured key."""


@dataclass(frozen=True)
class Secret:
    """A person's state credentials: ``username`` (BioTrack only) and the secret itself
    (Metrc user key, BioTrack password). ``repr`` never shows them."""

    username: str | None
    secret: str

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__


def new_key() -> str:
    """A fresh credentials key, for ``SEEDTRACE_SYNC_CREDENTIALS_KEY``."""
    return Fernet.generate_key().decode()


class Credentials:
    """Store and read people's credentials with one Fernet key."""

    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode())
        except (ValueError, TypeError) as err:
            raise CredentialError(
                "SEEDTRACE_SYNC_CREDENTIALS_KEY is not a Fernet key (32 url-safe base64 "
                "bytes; make one with `seedtrace sync new-key`)"
            ) from err

    def store(
        self,
        engine: Engine,
        licence: str,
        user_id: str,
        system: str,
        secret: Secret,
        *,
        now: datetime,
    ) -> None:
        token = self._fernet.encrypt(
            json.dumps({"username": secret.username, "secret": secret.secret}).encode()
        ).decode()
        key = {"licence": licence, "user_id": user_id, "system": system}
        with engine.begin() as conn:
            conn.execute(sa.delete(_T).where(*[_T.c[k] == v for k, v in key.items()]))
            conn.execute(sa.insert(_T).values(**key, secret=token, updated_at=now))

    def read(self, conn: Connection, licence: str, user_id: str, system: str) -> Secret:
        token = conn.execute(
            sa.select(_T.c.secret).where(
                _T.c.licence == licence, _T.c.user_id == user_id, _T.c.system == system
            )
        ).scalar_one_or_none()
        if token is None:
            raise CredentialError(
                f"no {system} credentials stored for {user_id} of {licence}: store them with "
                f"`seedtrace sync credential {licence} {user_id}`"
            )
        try:
            data = json.loads(self._fernet.decrypt(token.encode()))
        except (InvalidToken, ValueError) as err:
            raise CredentialError(
                f"the stored {system} credentials of {user_id} of {licence} cannot be read "
                "with SEEDTRACE_SYNC_CREDENTIALS_KEY (another key, or altered): store them again"
            ) from err
        return Secret(username=data["username"], secret=data["secret"])
