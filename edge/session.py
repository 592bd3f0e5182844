"""Who is at the station: sign-in by badge tap + PIN, or user name + password.

Every event carries the signed-in operator (USER-AUTHORISED, UNIQUE-LOGON: one person per
credential, never a shared station account); with nobody signed in the station records
nothing. The operator is signed out on command, or after ``idle_sign_out_s`` without input.

Guessing: after ``max_failures`` wrong PINs or passwords in a row the station refuses sign-in
for ``lockout_s`` seconds (a 4-digit PIN has only 10,000 values). Hashes: :mod:`edge.secrets`.
Not thread-safe: the agent calls it from its one controller thread.
"""

import time
from collections.abc import Callable

from edge.config import Operator, SignInConfig
from edge.secrets import verify_secret

PIN_WAIT_S = 60.0  # how long a badge tap waits for its PIN


class SignInError(Exception):
    """Sign-in refused; the message is for the person at the station."""


class Session:
    def __init__(
        self,
        operators: list[Operator],
        config: SignInConfig,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._by_id = {o.user_id: o for o in operators}
        self._by_badge = {o.badge: o for o in operators if o.badge is not None}
        self.config = config
        self._clock = clock
        self.operator: Operator | None = None
        self.badge_holder: Operator | None = None  # tapped, PIN not yet entered
        self._badge_at = 0.0
        self._last_input = clock()
        self._failures = 0
        self._locked_until = 0.0

    def is_badge(self, uid: str) -> bool:
        return uid in self._by_badge

    def badge(self, uid: str) -> Operator:
        """A badge was tapped: the station now waits for that person's PIN."""
        self._check_lock()
        holder = self._by_badge.get(uid)
        if holder is None:
            raise SignInError(f"Badge {uid} is not registered at this station")
        self.badge_holder, self._badge_at = holder, self._clock()
        return holder

    def pin(self, pin: str) -> Operator:
        self._check_lock()
        holder = self.badge_holder
        if holder is None or self._clock() - self._badge_at > PIN_WAIT_S:
            self.badge_holder = None
            raise SignInError("Tap your badge first, then enter your PIN")
        if holder.pin_hash is None or not verify_secret(pin, holder.pin_hash):
            self._failed()
            raise SignInError("Wrong PIN")
        return self._signed_in(holder)

    def password(self, user_id: str, password: str) -> Operator:
        self._check_lock()
        person = self._by_id.get(user_id.strip())
        if (
            person is None
            or person.password_hash is None
            or not verify_secret(password, person.password_hash)
        ):
            self._failed()
            raise SignInError("Unknown user name or wrong password")
        return self._signed_in(person)

    def sign_out(self) -> Operator | None:
        who, self.operator, self.badge_holder = self.operator, None, None
        return who

    def touch(self) -> None:
        """The operator did something: the idle clock starts again."""
        self._last_input = self._clock()

    def idle_expired(self) -> bool:
        return (
            self.operator is not None
            and self._clock() - self._last_input > self.config.idle_sign_out_s
        )

    def _signed_in(self, person: Operator) -> Operator:
        self.operator, self.badge_holder = person, None
        self._failures = 0
        self.touch()
        return person

    def _failed(self) -> None:
        self._failures += 1
        if self._failures >= self.config.max_failures:
            self._failures = 0
            self._locked_until = self._clock() + self.config.lockout_s
            self.badge_holder = None

    def _check_lock(self) -> None:
        left = self._locked_until - self._clock()
        if left > 0:
            raise SignInError(f"Too many wrong attempts: sign-in locked for {left:.0f} s")
