"""Who may connect to the broker (a TOML roster), and issuing or rotating their passwords.

The roster file, e.g. ``/etc/seedtrace/broker-accounts.toml``::

    # one account per ingest process and per console process (the client id is the user name)
    ingest = ["seedtrace-ingest-1", "seedtrace-ingest-2"]
    console = ["seedtrace-console"]

    [[station]]
    licence = "020-1002345ABC"
    station_id = "harvest-1"

:func:`reconcile` turns a roster and the hashes already issued (the current password file)
into the full list of accounts: an account keeps its hash unless it is new or being rotated,
in which case it gets a fresh random password, returned once in :attr:`Issued.new_passwords`
and stored only as a hash. Accounts no longer in the roster are dropped, which revokes them.
Pure: the password source is a parameter, and nothing is read or written here.
"""

import tomllib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from server.brokerauth.accounts import (
    DEFAULT_ITERATIONS,
    Account,
    AccountError,
    Role,
    StationRef,
    check_service_name,
    hash_password,
    new_password,
)


@dataclass(frozen=True, slots=True)
class Roster:
    stations: tuple[StationRef, ...] = ()
    ingest: tuple[str, ...] = ()
    console: tuple[str, ...] = ()

    def wanted(self) -> list[tuple[str, Role, StationRef | None]]:
        """``(username, role, station)`` for every account the roster asks for."""
        out: list[tuple[str, Role, StationRef | None]] = [
            (name, Role.INGEST, None) for name in self.ingest
        ]
        out += [(name, Role.CONSOLE, None) for name in self.console]
        out += [(s.username, Role.STATION, s) for s in self.stations]
        seen: set[str] = set()
        for username, _, _ in out:
            if username in seen:
                raise AccountError(f"account {username!r} is listed twice in the roster")
            seen.add(username)
        return out


def parse_roster(text: str, source: str = "roster") -> Roster:
    """Read a roster; AccountError names the file (``source``) and the entry at fault."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise AccountError(f"{source} is not valid TOML: {err}") from err
    unknown = set(data) - {"station", "ingest", "console"}
    if unknown:
        raise AccountError(
            f"{source}: unknown keys {sorted(unknown)} (expected station, ingest, console)"
        )
    services = {role: _names(data, role, source) for role in ("ingest", "console")}
    entries = data.get("station", [])
    if not isinstance(entries, list):
        raise AccountError(f"{source}: 'station' must be an array of tables ([[station]])")
    stations = [_station(entry, number, source) for number, entry in enumerate(entries, 1)]
    roster = Roster(tuple(stations), services["ingest"], services["console"])
    try:
        roster.wanted()
    except AccountError as err:
        raise AccountError(f"{source}: {err}") from err
    return roster


def _names(data: dict[str, Any], key: str, source: str) -> tuple[str, ...]:
    names = data.get(key, [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise AccountError(f"{source}: {key!r} must be a list of account names")
    try:
        return tuple(check_service_name(n) for n in names)
    except AccountError as err:
        raise AccountError(f"{source}: {key}: {err}") from err


def _station(entry: Any, number: int, source: str) -> StationRef:
    where = f"{source}: station #{number}"
    if not isinstance(entry, dict):
        raise AccountError(f"{where} must be a table with licence and station_id")
    if set(entry) != {"licence", "station_id"}:
        raise AccountError(f"{where} must have exactly licence and station_id, not {sorted(entry)}")
    licence, station_id = entry["licence"], entry["station_id"]
    if not isinstance(licence, str) or not isinstance(station_id, str):
        raise AccountError(f"{where}: licence and station_id must be strings")
    try:
        return StationRef(licence, station_id)
    except AccountError as err:
        raise AccountError(f"{where}: {err}") from err


@dataclass(frozen=True, slots=True)
class Issued:
    """The outcome of :func:`reconcile`."""

    accounts: tuple[Account, ...]
    new_passwords: dict[str, str] = field(default_factory=dict)  # username -> password
    removed: tuple[str, ...] = ()  # had a hash, no longer in the roster


def reconcile(
    roster: Roster,
    existing: Mapping[str, str],
    *,
    rotate: Collection[str] = (),
    make_password: Callable[[], str] = new_password,
    iterations: int = DEFAULT_ITERATIONS,
) -> Issued:
    """Every roster account with its hash; new and ``rotate``-d ones get a new password.

    ``existing`` maps user names to the ``$7$`` hashes issued before. A name in ``rotate`` that
    the roster does not list is an error (rotating it would not create it).
    """
    wanted = roster.wanted()
    names = {username for username, _, _ in wanted}
    stray = sorted(set(rotate) - names)
    if stray:
        raise AccountError(f"cannot rotate {', '.join(stray)}: not in the roster")
    accounts: list[Account] = []
    passwords: dict[str, str] = {}
    for username, role, station in wanted:
        hashed = existing.get(username)
        if hashed is None or username in rotate:
            passwords[username] = make_password()
            hashed = hash_password(passwords[username], iterations=iterations)
        accounts.append(Account(username, role, hashed, station))
    removed = tuple(sorted(set(existing) - names))
    return Issued(tuple(accounts), passwords, removed)
