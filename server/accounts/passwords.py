"""Password hashing (argon2id, argon2-cffi) and the password policy.

A stored hash is the PHC string argon2 makes (``$argon2id$v=19$m=...,t=...,p=...$salt$hash``):
it carries its own parameters, so a hash made with older, cheaper parameters still verifies,
and :meth:`Passwords.needs_rehash` tells the caller to store a new one at the next sign-in.

Defaults are RFC 9106's second recommended profile (3 passes, 64 MiB, 4 lanes; about 0.2 s on a
Raspberry-Pi-class core). Tests and small machines may lower them through
:class:`~server.config.ServerSettings`; never below argon2's own minimum.
"""

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
# argon2 hashes any length, but a megabyte "password" is a denial of service, not a secret.
MAX_LENGTH = 256


class WeakPassword(ValueError):
    """The password breaks the policy; the message says which part, for the person typing."""


def check_policy(password: str, *, login: str) -> None:
    """Raise WeakPassword unless ``password`` is 12-256 characters and is not the log-on.

    Length is what makes a password hard to guess (NIST SP 800-63B); composition rules are not
    imposed.
    """
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"password: at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"password: at most {MAX_LENGTH} characters")
    if password.strip().casefold() == login.casefold():
        raise WeakPassword("password: must not be the log-on")


class Passwords:
    """Hash and verify passwords with one set of argon2id parameters."""

    def __init__(self, *, time_cost: int = 3, memory_kib: int = 65536, parallelism: int = 4):
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        # Verified against when the log-on is unknown, so that answer takes as long as a
        # wrong password for a real account and does not reveal which log-ons exist.
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """True when ``password`` matches ``stored``. An account without a password (None) or
        with a corrupt hash never matches, after the same work as a real check."""
        target = stored
        if target is None:
            if self._dummy is None:
                self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
            target = self._dummy
        try:
            return self._hasher.verify(target, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True
