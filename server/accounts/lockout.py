"""Slowing and locking repeated failed log-ins (pure: the caller stores the counters).

After ``free_attempts`` consecutive failures, each further attempt must wait
``backoff_base_s * 2**(failures - free_attempts)`` seconds (at most ``backoff_max_s``) after the
last failure; an attempt made sooner is refused without checking the password, so it neither
costs an argon2 hash nor counts as a failure. At ``lock_after`` consecutive failures the
account is locked for ``lock_s`` seconds and the count starts again. A successful sign-in
clears everything.

Waiting is the client's job (the API answers 429 with ``Retry-After``): the server never
sleeps on a request, so a password-guessing client cannot tie up its workers.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    free_attempts: int = 3
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    lock_after: int = 10
    lock_s: float = 900.0


@dataclass(frozen=True, slots=True)
class Counters:
    """What is stored per account between attempts."""

    failed_logins: int
    last_failed_at: datetime | None
    locked_until: datetime | None


CLEAR = Counters(0, None, None)


@dataclass(frozen=True, slots=True)
class Refusal:
    """An attempt refused before the password is checked."""

    locked: bool  # True: locked until ``until``; False: only slowed down
    until: datetime

    def retry_after_s(self, now: datetime) -> int:
        """Whole seconds to wait, rounded up, at least 1 (the ``Retry-After`` header)."""
        return max(1, math.ceil((self.until - now).total_seconds()))


def refusal(policy: LockoutPolicy, counters: Counters, now: datetime) -> Refusal | None:
    """Why an attempt at ``now`` must not be checked, or None when it may be."""
    if counters.locked_until is not None and now < counters.locked_until:
        return Refusal(locked=True, until=counters.locked_until)
    excess = counters.failed_logins - policy.free_attempts
    if excess >= 0 and counters.last_failed_at is not None:
        delay = min(policy.backoff_base_s * 2**excess, policy.backoff_max_s)
        until = counters.last_failed_at + timedelta(seconds=delay)
        if now < until:
            return Refusal(locked=False, until=until)
    return None


def after_failure(policy: LockoutPolicy, counters: Counters, now: datetime) -> Counters:
    """The counters after a wrong password at ``now``; locks at ``lock_after`` failures."""
    failures = counters.failed_logins + 1
    if failures >= policy.lock_after:
        return Counters(0, now, now + timedelta(seconds=policy.lock_s))
    return Counters(failures, now, None)
