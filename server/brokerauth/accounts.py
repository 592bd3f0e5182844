"""Broker accounts, their passwords, and the mosquitto password and ACL files made from them.

Pure functions: accounts in (frozen dataclasses), file text out. Writing the files and telling
mosquitto to reload them is :mod:`server.brokerauth.install`.

Three roles:

- a **station** (user ``station.{licence}.{station_id}``) may publish only to its own
  ``seedtrace/v1/{licence}/{station}/events`` and ``.../status`` (also its last will) and
  receive only its own ``.../acks``;
- an **ingest** process (one account per process, see below) receives every station's events
  (it subscribes through ``$share/{group}/seedtrace/v1/+/+/events``; mosquitto checks read
  access against each message's topic) and publishes acks to every station;
- a **console** reads every station's retained status and nothing else.

Everything else is denied: mosquitto's ``acl_file`` denies any topic a user has no line for.
mosquitto 2.0 *grants* every SUBSCRIBE and applies read access when it delivers a message, so
a station that subscribes to another's acks gets a SUBACK and then never receives anything.

The broker config we ship sets ``use_username_as_clientid``: the client id is the user name,
so nobody can take over another's session (mosquitto otherwise disconnects the holder of a
client id when someone else connects with it). Each ingest or console *process* therefore
needs its own account.

Password file format (checked against ``mosquitto_passwd`` 2.0.11 and the broker itself)::

    username:$7$<iterations>$<base64 salt, 12 bytes>$<base64 PBKDF2-HMAC-SHA512, 64 bytes>

one account a line. User names cannot contain ``:`` (the separator) or blanks.
"""

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from schemas.ids import LICENCE_PATTERN, RESERVED_STATION_IDS, STATION_PATTERN
from schemas.topics import EVENTS_FILTER, STATUS_FILTER, Channel, topic

# The passwords we issue are 256-bit random strings, which no amount of guessing finds, so key
# stretching adds nothing; it does cost the single-threaded broker CPU at every CONNECT (a
# reconnect storm of all stations at once). 1,000 rounds: ten times mosquitto_passwd's 101.
DEFAULT_ITERATIONS = 1000
SALT_BYTES = 12
HASH_BYTES = 64
SERVICE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
STATION_USER_PREFIX = "station."
ACKS_FILTER = "seedtrace/v1/+/+/acks"

_HASH = re.compile(r"^\$7\$([1-9][0-9]{0,8})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$")


class AccountError(ValueError):
    """An account, password hash or file line that cannot be used; the message says which."""


class Role(StrEnum):
    STATION = "station"
    INGEST = "ingest"
    CONSOLE = "console"


@dataclass(frozen=True, slots=True)
class StationRef:
    """One station: the licence it belongs to and its id (the two station topic levels)."""

    licence: str
    station_id: str

    def __post_init__(self) -> None:
        if not re.fullmatch(LICENCE_PATTERN, self.licence):
            raise AccountError(
                f"licence {self.licence!r} is not a licence number ({LICENCE_PATTERN})"
            )
        if not re.fullmatch(STATION_PATTERN, self.station_id):
            raise AccountError(f"station id {self.station_id!r} is not valid ({STATION_PATTERN})")
        if self.station_id.lower() in RESERVED_STATION_IDS:
            raise AccountError(
                f"station id {self.station_id!r} is reserved: the server records its own "
                "events (console, API, CLI) under it; choose another name"
            )

    @property
    def username(self) -> str:
        # "." appears in neither a licence nor a station id, so the name is unambiguous and
        # cannot collide with a service account (whose pattern has no ".").
        return f"{STATION_USER_PREFIX}{self.licence}.{self.station_id}"


@dataclass(frozen=True, slots=True)
class Account:
    """A broker user: name, role, and the ``$7$`` hash of its password (never the password)."""

    username: str
    role: Role
    password_hash: str
    station: StationRef | None = None

    def __post_init__(self) -> None:
        if self.role is Role.STATION:
            if self.station is None or self.username != self.station.username:
                raise AccountError(
                    f"station account {self.username!r} must be named after its station "
                    "(use Account.for_station)"
                )
        else:
            if self.station is not None:
                raise AccountError(f"{self.role} account {self.username!r} has no station")
            check_service_name(self.username)
        parse_hash(self.password_hash)

    @classmethod
    def for_station(cls, station: StationRef, password_hash: str) -> "Account":
        return cls(station.username, Role.STATION, password_hash, station)

    @classmethod
    def service(cls, username: str, role: Role, password_hash: str) -> "Account":
        return cls(username, role, password_hash)


def check_service_name(name: str) -> str:
    if not re.fullmatch(SERVICE_PATTERN, name):
        raise AccountError(f"service account name {name!r} is not valid ({SERVICE_PATTERN})")
    return name


# Passwords -----------------------------------------------------------------------------------


def new_password() -> str:
    """A fresh random password: 32 bytes from the OS CSPRNG, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def hash_password(
    password: str, *, salt: bytes | None = None, iterations: int = DEFAULT_ITERATIONS
) -> str:
    """mosquitto's ``$7$`` hash of ``password`` (PBKDF2-HMAC-SHA512, 64-byte key).

    ``salt`` (12 random bytes unless given) and ``iterations`` are stored in the result.
    """
    if not password:
        raise AccountError("an empty password cannot be used")
    if iterations < 1:
        raise AccountError(f"iterations must be at least 1, not {iterations}")
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    key = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, HASH_BYTES)
    return f"$7${iterations}${_b64(salt)}${_b64(key)}"


def parse_hash(hashed: str) -> tuple[int, bytes, bytes]:
    """``(iterations, salt, key)`` of a ``$7$`` hash; AccountError names what is wrong."""
    match = _HASH.fullmatch(hashed)
    if match is None:
        raise AccountError(
            f"{hashed[:12]!r}... is not a mosquitto $7$ (PBKDF2-SHA512) password hash"
        )
    try:
        salt = base64.b64decode(match[2], validate=True)
        key = base64.b64decode(match[3], validate=True)
    except binascii.Error as err:
        raise AccountError(f"the password hash has bad base64: {err}") from err
    if len(key) != HASH_BYTES:
        raise AccountError(f"the password hash holds {len(key)} bytes, not {HASH_BYTES}")
    return int(match[1]), salt, key


def verify_password(password: str, hashed: str) -> bool:
    iterations, salt, key = parse_hash(hashed)
    got = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, HASH_BYTES)
    return hmac.compare_digest(got, key)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# Files ---------------------------------------------------------------------------------------


def _sorted_unique(accounts: Iterable[Account]) -> list[Account]:
    seen: dict[str, Account] = {}
    for account in accounts:
        if account.username in seen:
            raise AccountError(f"account {account.username!r} is listed twice")
        seen[account.username] = account
    # Services first, then stations by licence and id: a stable order keeps diffs readable.
    return sorted(seen.values(), key=lambda a: (a.role is Role.STATION, a.username))


def render_password_file(accounts: Iterable[Account]) -> str:
    """The mosquitto ``password_file`` for ``accounts`` (one ``user:hash`` line each)."""
    lines = [f"{a.username}:{a.password_hash}" for a in _sorted_unique(accounts)]
    return "".join(line + "\n" for line in lines)


def parse_password_file(text: str, source: str = "password file") -> dict[str, str]:
    """User name -> ``$7$`` hash from a mosquitto password file. Blank lines are skipped."""
    hashes: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        username, sep, hashed = line.partition(":")
        if not sep or not username:
            raise AccountError(f"{source} line {number}: expected user:hash")
        try:
            parse_hash(hashed)
        except AccountError as err:
            raise AccountError(f"{source} line {number} ({username}): {err}") from err
        if username in hashes:
            raise AccountError(f"{source} line {number}: {username!r} appears twice")
        hashes[username] = hashed
    return hashes


def acl_rules(account: Account) -> list[tuple[str, str]]:
    """``(access, topic filter)`` pairs for one account, as written in the ACL file."""
    if account.role is Role.STATION:
        assert account.station is not None  # checked in Account.__post_init__
        s = account.station
        return [
            ("write", topic(s.licence, s.station_id, Channel.EVENTS)),
            ("write", topic(s.licence, s.station_id, Channel.STATUS)),
            ("read", topic(s.licence, s.station_id, Channel.ACKS)),
        ]
    if account.role is Role.INGEST:
        return [("read", EVENTS_FILTER), ("write", ACKS_FILTER)]
    return [("read", STATUS_FILTER)]


def render_acl_file(accounts: Iterable[Account]) -> str:
    """The mosquitto ``acl_file``: a ``user`` block per account, nothing for anyone else."""
    out = ["# Generated by seedtrace (server/brokerauth). Edits are overwritten.\n"]
    for account in _sorted_unique(accounts):
        out.append(f"\n# {account.role}\nuser {account.username}\n")
        out.extend(f"topic {access} {flt}\n" for access, flt in acl_rules(account))
    return "".join(out)
