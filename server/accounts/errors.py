"""The accounts exception tree. The API and the console translate each to one HTTP answer.

::

    AccountsError
    ├── AccountInvalid        a bad value for an account; the message names the field (422)
    ├── AccountConflict       the log-on or the person already has an account (409)
    ├── AccountNotFound       no such account, or not one the caller may see (404)
    ├── BadCredentials        wrong log-on or password; never says which (401)
    ├── SignInThrottled       too many failures: wait ``retry_after_s`` (429), or locked
    ├── AccessRefused         right password, but this person may not use the system now
    │                         (untrained, cancelled, disabled, a station account) (403)
    ├── NotSignedIn           no session, or it expired, was revoked or its user was
    │                         cancelled (401)
    ├── NotVisible            a licensee the caller may not see: answered as if it did not
    │                         exist, so its existence is not confirmed (404)
    └── Forbidden             signed in and allowed to see it, but not to do this (a
                              regulator writing, a user managing users) (403)
"""

from datetime import datetime


class AccountsError(Exception):
    """Base of every error raised by :mod:`server.accounts`."""


class AccountInvalid(AccountsError, ValueError):
    pass


class AccountConflict(AccountsError):
    pass


class AccountNotFound(AccountsError):
    pass


class BadCredentials(AccountsError):
    def __init__(self) -> None:
        super().__init__("wrong log-on or password")


class SignInThrottled(AccountsError):
    def __init__(self, message: str, *, until: datetime, retry_after_s: int, locked: bool):
        super().__init__(message)
        self.until = until
        self.retry_after_s = retry_after_s
        self.locked = locked


class AccessRefused(AccountsError):
    pass


class NotSignedIn(AccountsError):
    pass


class NotVisible(AccountsError):
    pass


class Forbidden(AccountsError):
    pass
