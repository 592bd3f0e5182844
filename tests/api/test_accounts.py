"""Accounts on their own: passwords, lockout, sessions, standing on the roster."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from schemas.records import Role
from server.accounts import lockout, manage, store, throttle
from server.accounts.errors import (
    AccessRefused,
    AccountConflict,
    AccountNotFound,
    BadCredentials,
    NotSignedIn,
    SignInThrottled,
)
from server.accounts.passwords import Passwords, WeakPassword, check_policy
from server.accounts.roles import AccessRole, AccountKind
from server.accounts.service import Authenticator
from server.config import ServerSettings
from server.db.accounts import Account, AccountSession
from tests.api.people import PASSWORD, give_account
from tests.api.roster import MemoryRoster
from tests.server.conftest import LICENCE, OTHER_LICENCE

FAST = Passwords(time_cost=1, memory_kib=64, parallelism=1)
POLICY = lockout.LockoutPolicy(
    free_attempts=3, backoff_base_s=1, backoff_max_s=8, lock_after=6, lock_s=600
)


def add_account(
    engine: Engine,
    roster: MemoryRoster,
    clock: ManualClock,
    licence: str,
    user_id: str,
    login: str | None = None,
) -> None:
    """Give ``user_id`` of ``licence`` a log-on with PASSWORD, in a transaction of its own."""
    give_account(engine, FAST, licence, user_id, clock, PASSWORD, login, roster)


@pytest.fixture
def auth(engine: Engine, clock: ManualClock, roster: MemoryRoster) -> Authenticator:
    roster.add(LICENCE, "a.chen", role=Role.ADMINISTRATOR)
    add_account(engine, roster, clock, LICENCE, "a.chen")
    return Authenticator(
        engine, passwords=FAST, roster=roster, policy=POLICY, session_lifetime_s=3600, clock=clock
    )


def test_password_policy_names_what_is_wrong() -> None:
    with pytest.raises(WeakPassword, match="at least 12 characters"):
        check_policy("short", login="a.chen")
    with pytest.raises(WeakPassword, match="must not be the log-on"):
        check_policy("Maria.Lopez.Garcia", login="maria.lopez.garcia")
    with pytest.raises(WeakPassword, match="at most 256"):
        check_policy("x" * 257, login="a.chen")
    check_policy(PASSWORD, login="a.chen")


def test_hashes_are_argon2id_salted_and_verify() -> None:
    one, two = FAST.hash(PASSWORD), FAST.hash(PASSWORD)
    assert one.startswith("$argon2id$")
    assert one != two
    assert FAST.verify(one, PASSWORD)
    assert not FAST.verify(one, PASSWORD + "!")
    assert not FAST.verify(None, PASSWORD)
    assert not FAST.verify("not a hash", PASSWORD)


def test_sign_in_gives_a_session_naming_the_person_and_role(auth: Authenticator) -> None:
    signed = auth.sign_in("a.chen", PASSWORD)
    p = auth.principal(signed.token)
    assert (p.login, p.role, p.licence, p.operator_id) == (
        "a.chen",
        AccessRole.ADMINISTRATOR,
        LICENCE,
        "a.chen",
    )
    assert p.can_write(LICENCE)
    assert not p.can_read(OTHER_LICENCE)


def test_only_the_token_digest_is_stored(auth: Authenticator, engine: Engine) -> None:
    token = auth.sign_in("a.chen", PASSWORD).token
    with engine.connect() as conn:
        stored = conn.execute(sa.select(AccountSession.__table__.c.token_sha256)).scalars().all()  # type: ignore[attr-defined]
        hashes = conn.execute(sa.select(Account.__table__.c.password_hash)).scalars().all()  # type: ignore[attr-defined]
    assert token not in stored
    assert len(stored) == 1
    assert len(stored[0]) == 64
    assert all(PASSWORD not in h for h in hashes)


def test_wrong_password_and_unknown_login_get_the_same_answer(auth: Authenticator) -> None:
    with pytest.raises(BadCredentials) as wrong:
        auth.sign_in("a.chen", "not the password")
    with pytest.raises(BadCredentials) as unknown:
        auth.sign_in("nobody", PASSWORD)
    assert str(wrong.value) == str(unknown.value) == "wrong log-on or password"


def test_failures_slow_then_lock_and_success_clears(
    auth: Authenticator, clock: ManualClock
) -> None:
    for _ in range(POLICY.free_attempts):
        with pytest.raises(BadCredentials):
            auth.sign_in("a.chen", "guess")
    # Slowed: even the right password is refused until the wait is over, unchecked.
    with pytest.raises(SignInThrottled) as slowed:
        auth.sign_in("a.chen", PASSWORD)
    assert not slowed.value.locked
    assert slowed.value.retry_after_s == 1
    for _ in range(POLICY.lock_after - POLICY.free_attempts):
        clock.advance(60)  # past the wait (at most 8 s): the guess is checked, and wrong
        with pytest.raises(BadCredentials):
            auth.sign_in("a.chen", "guess")
    clock.advance(60)
    with pytest.raises(SignInThrottled) as locked:
        auth.sign_in("a.chen", PASSWORD)
    assert locked.value.locked
    assert "locked until" in str(locked.value)
    assert locked.value.retry_after_s == 600 - 60
    clock.advance(600)
    auth.sign_in("a.chen", PASSWORD)
    with auth.engine.connect() as conn:
        assert throttle.counters(conn, throttle.login_subject("a.chen")) == lockout.CLEAR


def test_a_known_and_an_unknown_log_on_are_slowed_and_locked_alike(
    auth: Authenticator, clock: ManualClock
) -> None:
    """Counting per name, not per account: the answers never tell which log-ons exist."""
    answers: dict[str, list[str]] = {}
    for login in ("a.chen", "no.such.person"):
        seen = answers.setdefault(login, [])
        for _ in range(POLICY.lock_after + 1):
            clock.advance(60)  # past any wait, so every attempt but the locked ones is checked
            try:
                auth.sign_in(login, "guess")
            except SignInThrottled as err:
                seen.append(f"throttled locked={err.locked} retry={err.retry_after_s}")
            except BadCredentials as err:
                seen.append(str(err))
    assert answers["a.chen"] == answers["no.such.person"]
    assert answers["a.chen"][-1] == "throttled locked=True retry=540"


def test_one_address_guessing_across_names_is_slowed(auth: Authenticator) -> None:
    """Many names, one client: the address's own counter slows it (ten times the room of
    one log-on, for a farm office where several people share an address)."""
    room = auth.client_policy.free_attempts
    for n in range(room):
        with pytest.raises(BadCredentials):
            auth.sign_in(f"guess.{n}", "guess", client="192.0.2.7")
    with pytest.raises(SignInThrottled):
        auth.sign_in("a.chen", PASSWORD, client="192.0.2.7")  # even a right one, for now
    auth.sign_in("a.chen", PASSWORD, client="192.0.2.8")  # another machine is not held up


def test_backoff_doubles_up_to_the_cap() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    waits = []
    for failures in range(3, 8):
        refused = lockout.refusal(POLICY, lockout.Counters(failures, now, None), now)
        assert refused is not None
        assert not refused.locked
        waits.append(refused.retry_after_s(now))
    assert waits == [1, 2, 4, 8, 8]
    assert lockout.refusal(POLICY, lockout.Counters(2, now, None), now) is None


def test_a_session_ends_at_expiry_and_at_sign_out(auth: Authenticator, clock: ManualClock) -> None:
    first = auth.sign_in("a.chen", PASSWORD).token
    second = auth.sign_in("a.chen", PASSWORD).token
    auth.sign_out(first)
    with pytest.raises(NotSignedIn, match="session has ended"):
        auth.principal(first)
    auth.principal(second)
    clock.advance(3600)
    with pytest.raises(NotSignedIn, match="session has ended"):
        auth.principal(second)


def test_a_malformed_token_is_refused_without_a_query(auth: Authenticator) -> None:
    with pytest.raises(NotSignedIn, match="malformed"):
        auth.principal("x' OR 1=1 --")


def test_cancelling_a_user_stops_their_session_at_once(
    auth: Authenticator, roster: MemoryRoster
) -> None:
    token = auth.sign_in("a.chen", PASSWORD).token
    roster.set(LICENCE, "a.chen", cancelled=True)
    with pytest.raises(NotSignedIn, match="cancelled"):
        auth.principal(token)
    with pytest.raises(AccessRefused, match="cancelled"):
        auth.sign_in("a.chen", PASSWORD)


def test_an_untrained_user_cannot_sign_in(
    auth: Authenticator, roster: MemoryRoster, engine: Engine, clock: ManualClock
) -> None:
    roster.add(LICENCE, "new.hire", trained=False)
    add_account(engine, roster, clock, LICENCE, "new.hire")
    with pytest.raises(AccessRefused, match="TRAINED-BEFORE-ACCESS"):
        auth.sign_in("new.hire", PASSWORD)
    roster.set(LICENCE, "new.hire", trained=True)
    assert auth.principal(auth.sign_in("new.hire", PASSWORD).token).role is AccessRole.USER


def test_changing_the_password_ends_the_other_sessions(auth: Authenticator) -> None:
    here = auth.sign_in("a.chen", PASSWORD)
    elsewhere = auth.sign_in("a.chen", PASSWORD).token
    with pytest.raises(BadCredentials):
        auth.change_password(here.principal, "wrong current", "a brand new passphrase")
    with pytest.raises(WeakPassword):
        auth.change_password(here.principal, PASSWORD, "short")
    auth.change_password(here.principal, PASSWORD, "a brand new passphrase")
    auth.principal(here.token)
    with pytest.raises(NotSignedIn):
        auth.principal(elsewhere)
    with pytest.raises(BadCredentials):
        auth.sign_in("a.chen", PASSWORD)
    auth.sign_in("a.chen", "a brand new passphrase")


def test_log_ons_are_unique_across_licensees(
    auth: Authenticator, roster: MemoryRoster, engine: Engine, clock: ManualClock
) -> None:
    roster.add(OTHER_LICENCE, "a.chen")
    with pytest.raises(AccountConflict, match="UNIQUE-LOGON"):
        add_account(engine, roster, clock, OTHER_LICENCE, "a.chen")
    add_account(engine, roster, clock, OTHER_LICENCE, "a.chen", login="a.chen.coastal")
    assert auth.principal(auth.sign_in("a.chen.coastal", PASSWORD).token).licence == OTHER_LICENCE


def test_an_account_needs_a_roster_entry(
    auth: Authenticator, roster: MemoryRoster, engine: Engine, clock: ManualClock
) -> None:
    with pytest.raises(AccountNotFound, match="not on the roster"):
        add_account(engine, roster, clock, LICENCE, "ghost")


def test_a_regulator_reads_only_what_it_oversees(
    auth: Authenticator, engine: Engine, clock: ManualClock
) -> None:
    with engine.begin() as conn:
        manage.add_regulator(
            conn,
            FAST,
            login="olcc.inspector",
            display_name="OLCC Inspector",
            password=PASSWORD,
            oversees=[LICENCE],
            now=clock.now(),
        )
    p = auth.principal(auth.sign_in("olcc.inspector", PASSWORD).token)
    assert (p.kind, p.role, p.licence) == (AccountKind.REGULATOR, AccessRole.REGULATOR, None)
    assert p.can_read(LICENCE)
    assert not p.can_read(OTHER_LICENCE)
    assert not p.can_write(LICENCE)


def test_a_regulator_must_oversee_registered_licensees(engine: Engine, clock: ManualClock) -> None:
    with engine.begin() as conn, pytest.raises(AccountNotFound, match="NOPE-1"):
        manage.add_regulator(
            conn,
            FAST,
            login="dcc.auditor",
            display_name="DCC",
            password=PASSWORD,
            oversees=["NOPE-1"],
            now=clock.now(),
        )


def test_a_disabled_account_loses_its_sessions(auth: Authenticator, clock: ManualClock) -> None:
    token = auth.sign_in("a.chen", PASSWORD).token
    with auth.engine.begin() as conn:
        row = store.by_login(conn, "a.chen")
        assert row is not None
        store.disable(conn, row.account_id, clock.now())
    with pytest.raises(NotSignedIn):
        auth.principal(token)
    with pytest.raises(AccessRefused, match="disabled"):
        auth.sign_in("a.chen", PASSWORD)


def test_older_hash_parameters_are_upgraded_at_sign_in(auth: Authenticator) -> None:
    with auth.engine.begin() as conn:
        row = store.by_login(conn, "a.chen")
        assert row is not None
        cheaper = Passwords(time_cost=1, memory_kib=32, parallelism=1).hash(PASSWORD)
        store.rehash(conn, row.account_id, cheaper)
    auth.sign_in("a.chen", PASSWORD)
    with auth.engine.connect() as conn:
        row = store.by_login(conn, "a.chen")
    assert row is not None
    assert row.password_hash is not None
    assert "m=64," in row.password_hash


def test_the_login_settings_are_the_lockout_policy() -> None:
    settings = ServerSettings(
        database_url="sqlite://",
        login_free_attempts=4,
        login_backoff_base_s=2.0,
        login_backoff_max_s=30.0,
        login_lock_after=7,
        login_lock_s=120.0,
    )
    assert settings.lockout() == lockout.LockoutPolicy(
        free_attempts=4, backoff_base_s=2.0, backoff_max_s=30.0, lock_after=7, lock_s=120.0
    )
