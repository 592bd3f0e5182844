"""Accounts, password hashes and the generated files, without a broker.

The hash format is checked both ways against mosquitto's own ``mosquitto_passwd``: a hash it
writes verifies with our code, and (in test_broker_security.py) the broker accepts ours.
"""

import base64
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from server.brokerauth.accounts import (
    DEFAULT_ITERATIONS,
    Account,
    AccountError,
    Role,
    StationRef,
    hash_password,
    new_password,
    parse_hash,
    parse_password_file,
    render_acl_file,
    render_password_file,
    verify_password,
)

HARVEST = StationRef("OR-1001", "harvest-1")
TRIM = StationRef("OR-1001", "trim-1")
OTHER = StationRef("CA-2002", "harvest-1")


def accounts() -> list[Account]:
    return [
        Account.for_station(TRIM, hash_password("t")),
        Account.for_station(HARVEST, hash_password("h")),
        Account.for_station(OTHER, hash_password("o")),
        Account.service("seedtrace-ingest-1", Role.INGEST, hash_password("i")),
        Account.service("seedtrace-console", Role.CONSOLE, hash_password("c")),
    ]


def test_hash_layout_is_mosquittos_pbkdf2_sha512() -> None:
    hashed = hash_password("s3cret", salt=b"\x01" * 12, iterations=101)
    empty, kind, rounds, salt, key = hashed.split("$")
    assert (empty, kind, rounds) == ("", "7", "101")
    assert base64.b64decode(salt) == b"\x01" * 12
    assert len(base64.b64decode(key)) == 64
    assert verify_password("s3cret", hashed)
    assert not verify_password("s3cret ", hashed)


def test_each_hash_has_its_own_salt() -> None:
    a, b = hash_password("same"), hash_password("same")
    assert a != b
    assert parse_hash(a)[0] == DEFAULT_ITERATIONS


@pytest.mark.skipif(shutil.which("mosquitto_passwd") is None, reason="needs mosquitto_passwd")
def test_a_hash_made_by_mosquitto_passwd_verifies(tmp_path: Path) -> None:
    pwfile = tmp_path / "passwd"
    subprocess.run(
        ["mosquitto_passwd", "-b", "-c", str(pwfile), "station.OR-1001.harvest-1", "pa55"],
        check=True,
    )
    hashes = parse_password_file(pwfile.read_text())
    assert verify_password("pa55", hashes["station.OR-1001.harvest-1"])
    assert not verify_password("pa56", hashes["station.OR-1001.harvest-1"])


def test_new_passwords_are_long_and_different() -> None:
    passwords = {new_password() for _ in range(100)}
    assert len(passwords) == 100
    assert all(len(p) == 43 and ":" not in p and " " not in p for p in passwords)


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("$6$abc$def", "not a mosquitto $7$"),
        ("plain-text", "not a mosquitto $7$"),
        ("$7$101$AAAAAAAAAAAAAAAA$AAAA", "holds 3 bytes, not 64"),
        ("$7$0$AAAAAAAAAAAAAAAA$AAAA", "not a mosquitto $7$"),
    ],
)
def test_a_bad_hash_is_refused_with_a_reason(bad: str, words: str) -> None:
    with pytest.raises(AccountError, match=words.replace("$", r"\$")):
        parse_hash(bad)


def test_station_usernames_cannot_collide_with_services_or_each_other() -> None:
    assert HARVEST.username == "station.OR-1001.harvest-1"
    with pytest.raises(AccountError, match="not valid"):
        Account.service("station.OR-1001.harvest-1", Role.INGEST, hash_password("x"))
    with pytest.raises(AccountError, match="named after its station"):
        Account("station.OR-1001.trim-1", Role.STATION, hash_password("x"), HARVEST)


@pytest.mark.parametrize(
    ("licence", "station_id", "words"),
    [
        ("OR/1001", "harvest-1", "licence 'OR/1001'"),
        ("OR-1001", "harvest 1", "station id 'harvest 1'"),
        ("OR-1001", "#", "station id '#'"),
        ("OR-1001", "", "station id ''"),
        ("OR-1001", "a.b", "station id 'a.b'"),
    ],
)
def test_station_refs_are_checked(licence: str, station_id: str, words: str) -> None:
    with pytest.raises(AccountError, match=words):
        StationRef(licence, station_id)


def test_password_file_round_trips_in_a_stable_order() -> None:
    given = accounts()
    text = render_password_file(given)
    names = [line.split(":")[0] for line in text.splitlines()]
    assert names == [
        "seedtrace-console",
        "seedtrace-ingest-1",
        "station.CA-2002.harvest-1",
        "station.OR-1001.harvest-1",
        "station.OR-1001.trim-1",
    ]
    assert parse_password_file(text) == {a.username: a.password_hash for a in given}
    assert render_password_file(reversed(given)) == text


def test_a_user_twice_is_refused() -> None:
    twice = [*accounts(), Account.for_station(HARVEST, hash_password("again"))]
    with pytest.raises(
        AccountError, match=re.escape("'station.OR-1001.harvest-1' is listed twice")
    ):
        render_password_file(twice)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("no separator\n", "line 1: expected user:hash"),
        ("a:$7$101$AAAAAAAAAAAAAAAA$AAAA\n", "line 1 \\(a\\): the password hash holds 3"),
        ("\na:plain\n", "line 2 \\(a\\): 'plain'"),
    ],
)
def test_a_damaged_password_file_names_the_line(text: str, words: str) -> None:
    with pytest.raises(AccountError, match=words):
        parse_password_file(text, "passwd")


def test_acl_gives_each_role_only_its_topics() -> None:
    acl = render_acl_file(accounts())
    blocks = {
        block.splitlines()[1].removeprefix("user "): block.splitlines()[2:]
        for block in acl.split("\n\n")[1:]
    }
    assert blocks["station.OR-1001.harvest-1"] == [
        "topic write seedtrace/v1/OR-1001/harvest-1/events",
        "topic write seedtrace/v1/OR-1001/harvest-1/status",
        "topic read seedtrace/v1/OR-1001/harvest-1/acks",
    ]
    assert blocks["seedtrace-ingest-1"] == [
        "topic read seedtrace/v1/+/+/events",
        "topic write seedtrace/v1/+/+/acks",
    ]
    assert blocks["seedtrace-console"] == ["topic read seedtrace/v1/+/+/status"]
    # No pattern lines, no rules outside a user block: everything else is denied.
    assert "pattern" not in acl
    assert acl.split("\n\n")[0].startswith("# Generated by seedtrace")
    assert len(blocks) == 5
