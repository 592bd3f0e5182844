"""The roster file and issuing/rotating passwords from it (pure, no files)."""

import itertools
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from server.brokerauth.accounts import AccountError, Role, StationRef, verify_password
from server.brokerauth.roster import Roster, parse_roster, reconcile

ROSTER = """
ingest = ["seedtrace-ingest-1", "seedtrace-ingest-2"]
console = ["seedtrace-console"]

[[station]]
licence = "OR-1001"
station_id = "harvest-1"

[[station]]
licence = "CA-2002"
station_id = "harvest-1"
"""


def passwords() -> Callable[[], str]:
    """A predictable password source: password-1, password-2, ..."""
    numbers = itertools.count(1)
    return lambda: f"password-{next(numbers)}"


def test_a_roster_is_read() -> None:
    roster = parse_roster(ROSTER)
    assert roster.stations == (
        StationRef("OR-1001", "harvest-1"),
        StationRef("CA-2002", "harvest-1"),
    )
    assert roster.ingest == ("seedtrace-ingest-1", "seedtrace-ingest-2")
    assert roster.console == ("seedtrace-console",)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("ingest = [", "roster.toml is not valid TOML"),
        ("stations = []", r"unknown keys \['stations'\]"),
        ("ingest = 'seedtrace-ingest-1'", "'ingest' must be a list of account names"),
        ("console = ['ops console']", "console: service account name 'ops console'"),
        (
            "[[station]]\nlicence = 'OR-1001'\n",
            "station #1 must have exactly licence and station_id",
        ),
        (
            "[[station]]\nlicence = 'OR-1001'\nstation_id = 'a'\n"
            "[[station]]\nlicence = 'OR-1001'\nstation_id = 'a/b'\n",
            "station #2: station id 'a/b'",
        ),
        (
            "[[station]]\nlicence = 'OR-1001'\nstation_id = 'a'\n"
            "[[station]]\nlicence = 'OR-1001'\nstation_id = 'a'\n",
            "'station.OR-1001.a' is listed twice",
        ),
        ("ingest = ['x']\nconsole = ['x']", "'x' is listed twice"),
        ("[[station]]\nlicence = 1001\nstation_id = 'a'\n", "must be strings"),
    ],
)
def test_a_bad_roster_says_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(AccountError, match=words):
        parse_roster(text, "roster.toml")


def test_first_issue_gives_everyone_a_password() -> None:
    issued = reconcile(parse_roster(ROSTER), {}, make_password=passwords())
    by_name = {a.username: a for a in issued.accounts}
    assert set(issued.new_passwords) == set(by_name)
    assert len(set(issued.new_passwords.values())) == 5
    for name, password in issued.new_passwords.items():
        assert verify_password(password, by_name[name].password_hash)
    assert by_name["station.CA-2002.harvest-1"].role is Role.STATION
    assert by_name["seedtrace-ingest-2"].role is Role.INGEST
    assert by_name["seedtrace-console"].role is Role.CONSOLE
    assert issued.removed == ()


def test_a_second_run_keeps_hashes_and_adds_only_newcomers() -> None:
    first = reconcile(parse_roster(ROSTER), {}, make_password=passwords())
    existing = {a.username: a.password_hash for a in first.accounts}
    grown = ROSTER + '\n[[station]]\nlicence = "OR-1001"\nstation_id = "trim-1"\n'
    second = reconcile(parse_roster(grown), existing, make_password=passwords())
    assert list(second.new_passwords) == ["station.OR-1001.trim-1"]
    for account in second.accounts:
        if account.username in existing:
            assert account.password_hash == existing[account.username]


def test_rotation_changes_only_the_named_account() -> None:
    first = reconcile(parse_roster(ROSTER), {}, make_password=passwords())
    existing = {a.username: a.password_hash for a in first.accounts}
    rotated = reconcile(
        parse_roster(ROSTER),
        existing,
        rotate=["station.OR-1001.harvest-1"],
        make_password=lambda: "fresh",
    )
    assert rotated.new_passwords == {"station.OR-1001.harvest-1": "fresh"}
    changed = {a.username for a in rotated.accounts if a.password_hash != existing[a.username]}
    assert changed == {"station.OR-1001.harvest-1"}
    old = first.new_passwords["station.OR-1001.harvest-1"]
    new_hash = next(a for a in rotated.accounts if a.username == "station.OR-1001.harvest-1")
    assert verify_password("fresh", new_hash.password_hash)
    assert not verify_password(old, new_hash.password_hash)


def test_rotating_an_account_not_in_the_roster_is_refused() -> None:
    with pytest.raises(
        AccountError, match=re.escape("cannot rotate station.OR-9999.x: not in the roster")
    ):
        reconcile(parse_roster(ROSTER), {}, rotate=["station.OR-9999.x"])


def test_accounts_gone_from_the_roster_are_removed() -> None:
    first = reconcile(parse_roster(ROSTER), {}, make_password=passwords())
    existing = {a.username: a.password_hash for a in first.accounts}
    smaller = Roster(stations=(StationRef("OR-1001", "harvest-1"),), ingest=("seedtrace-ingest-1",))
    after = reconcile(smaller, existing, make_password=passwords())
    assert after.removed == (
        "seedtrace-console",
        "seedtrace-ingest-2",
        "station.CA-2002.harvest-1",
    )
    assert {a.username for a in after.accounts} == {
        "seedtrace-ingest-1",
        "station.OR-1001.harvest-1",
    }
    assert after.new_passwords == {}


def test_the_shipped_example_roster_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "deploy/mosquitto/broker-accounts.toml.example"
    roster = parse_roster(example.read_text(), str(example))
    assert [s.username for s in roster.stations] == [
        "station.020-1002345ABC.harvest-1",
        "station.020-1002345ABC.trim-1",
    ]
    assert roster.ingest == ("seedtrace-ingest-1",)
