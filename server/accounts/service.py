"""Signing in and out, and finding who is behind a session token.

:class:`Authenticator` is the one object the API and the console both use: the API sends the
token as ``Authorization: Bearer <token>``, the console keeps it in a cookie; both resolve it
here, on every request, so a session stops working the moment its user is cancelled, its
account disabled or the session revoked.

Sign-in order: the lockout is consulted first (a slowed or locked account is refused without
checking the password); then the password; a wrong one counts a failure. Only then is the
person's standing checked (trained, not cancelled, not disabled): that answer reveals nothing to
someone who does not know the password.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.clock import Clock
from server.accounts import lockout, sessions, store, throttle
from server.accounts.errors import (
    AccessRefused,
    BadCredentials,
    NotSignedIn,
    SignInThrottled,
)
from server.accounts.passwords import Passwords, check_policy
from server.accounts.roles import AccessRole, AccountKind, Principal
from server.accounts.roster import Roster


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str  # give to the client once; only its digest is stored
    expires_at: datetime
    principal: Principal


class Authenticator:
    def __init__(
        self,
        engine: Engine,
        *,
        passwords: Passwords,
        roster: Roster,
        policy: lockout.LockoutPolicy | None = None,
        session_lifetime_s: float = 12 * 3600,
        clock: Clock,
    ) -> None:
        self.engine = engine
        self.passwords = passwords
        self.roster = roster
        self.policy = lockout.LockoutPolicy() if policy is None else policy
        # One address may be a farm office where several people mistype: ten times the room
        # of one log-on before it is slowed, with the same waits and lock.
        self.client_policy = replace(
            self.policy,
            free_attempts=self.policy.free_attempts * 10,
            lock_after=self.policy.lock_after * 10,
        )
        self.session_lifetime_s = session_lifetime_s
        self.clock = clock

    def sign_in(self, login: str, password: str, *, client: str | None = None) -> SignedIn:
        """Check the password and open a session. Raises BadCredentials, SignInThrottled or
        AccessRefused (see :mod:`server.accounts.errors`).

        Failures are counted per log-on name, known or not, and per ``client`` address (when
        given), and an unknown log-on costs the same password hash as a known one: neither the
        answers nor their timing say whether a log-on exists."""
        now = self.clock.now()
        name = throttle.login_subject(login)
        policies = {name: self.policy}
        if client is not None:
            policies[throttle.client_subject(client)] = self.client_policy
        with self.engine.begin() as conn:
            before = {s: throttle.counters(conn, s) for s in policies}
            refusals = [
                r
                for s, policy in policies.items()
                if (r := lockout.refusal(policy, before[s], now)) is not None
            ]
            refused = max(refusals, key=lambda r: r.until) if refusals else None
            correct = False
            account = None
            if refused is None:
                # A log-on never holds U+0000 (and PostgreSQL could not look one up).
                known = len(login) <= 64 and "\x00" not in login
                account = store.by_login(conn, login) if known else None
                stored = None if account is None else account.password_hash
                # verify(None, ...) does the same work as a real check and never matches.
                correct = self.passwords.verify(stored, password)
                for subject, policy in policies.items():
                    if correct:  # a success clears the log-on, not the address
                        after = lockout.CLEAR if subject == name else before[subject]
                    else:
                        after = lockout.after_failure(policy, before[subject], now)
                    if after != before[subject]:
                        throttle.store(conn, subject, after)
                if not correct:
                    throttle.forget_idle(conn, now)
                rehash = correct and stored is not None and self.passwords.needs_rehash(stored)
                if rehash and account is not None:
                    store.rehash(conn, account.account_id, self.passwords.hash(password))
        # Committed above: a failure is counted even though an error is raised below.
        if refused is not None:
            raise _throttled(refused, now)
        if not correct or account is None:
            raise BadCredentials()
        with self.engine.begin() as conn:
            token = sessions.open_session(conn, account.account_id, now, self.session_lifetime_s)
            principal = self._principal(conn, account, sessions.digest(token))
        return SignedIn(token, now + timedelta(seconds=self.session_lifetime_s), principal)

    def principal(self, token: str) -> Principal:
        """Who is signed in with ``token``. Raises NotSignedIn, with the reason, when the
        session is unknown, expired or revoked, or its person may no longer use the system."""
        if not sessions.well_formed(token):
            raise NotSignedIn("the session token is malformed; sign in again")
        key = sessions.digest(token)
        with self.engine.connect() as conn:
            account_id = sessions.live_account(conn, key, self.clock.now())
            account = None if account_id is None else store.by_id(conn, account_id)
            if account is None:
                raise NotSignedIn("your session has ended; sign in again")
            try:
                return self._principal(conn, account, key)
            except AccessRefused as err:
                raise NotSignedIn(str(err)) from err

    def sign_out(self, token: str) -> None:
        if sessions.well_formed(token):
            with self.engine.begin() as conn:
                sessions.revoke(conn, sessions.digest(token), self.clock.now())

    def revoke(self, principal: Principal) -> None:
        """End the session ``principal`` came with (sign-out of a resolved request)."""
        with self.engine.begin() as conn:
            sessions.revoke(conn, principal.token_sha256, self.clock.now())

    def change_password(self, principal: Principal, current: str, new: str) -> None:
        """The signed-in person changes their own password; their other sessions end."""
        check_policy(new, login=principal.login)
        with self.engine.begin() as conn:
            account = store.by_id(conn, principal.account_id)
            if account is None or not self.passwords.verify(account.password_hash, current):
                raise BadCredentials()
            store.set_password_hash(
                conn,
                principal.account_id,
                self.passwords.hash(new),
                self.clock.now(),
                keep=principal.token_sha256,
            )

    def _principal(self, conn: sa.Connection, account: store.AccountRow, key: str) -> Principal:
        if account.disabled_at is not None:
            raise AccessRefused(f"account {account.login} is disabled")
        if account.kind is AccountKind.STATION:
            raise AccessRefused("a station account publishes over MQTT and cannot sign in")
        # What the account itself says; the rest depends on whose account it is.
        signed_in = partial(
            Principal,
            account_id=account.account_id,
            login=account.login,
            kind=account.kind,
            token_sha256=key,
        )
        if account.kind is AccountKind.REGULATOR:
            return signed_in(
                role=AccessRole.REGULATOR,
                display_name=account.display_name,
                licence=None,
                operator_id=account.login,
                oversees=store.oversees(conn, account.account_id),
            )
        if account.licence is None:  # a user account always has one (see store.insert)
            raise AccessRefused(f"account {account.login} belongs to no licensee")
        entry = self.roster.entry(conn, account.licence, account.subject_id)
        if entry is None:
            raise AccessRefused(
                f"user {account.subject_id} is not on the roster of licensee {account.licence}"
            )
        if entry.cancelled:
            raise AccessRefused(
                f"user {entry.user_id}'s access was cancelled (USER-ROSTER); ask an administrator"
            )
        if not entry.trained:
            raise AccessRefused(
                f"user {entry.user_id} has no training record yet (TRAINED-BEFORE-ACCESS): an "
                "administrator must record the training before you can sign in"
            )
        return signed_in(
            role=AccessRole(entry.role.value),
            display_name=entry.full_name,
            licence=account.licence,
            operator_id=entry.user_id,
            oversees=frozenset(),
        )


def _throttled(refused: lockout.Refusal, now: datetime) -> SignInThrottled:
    wait = refused.retry_after_s(now)
    if refused.locked:
        message = (
            f"too many failed log-ins: this account is locked until "
            f"{refused.until.isoformat(timespec='seconds')}"
        )
    else:
        message = f"too many failed log-ins: wait {wait} s before trying again"
    return SignInThrottled(message, until=refused.until, retry_after_s=wait, locked=refused.locked)
