"""What can go wrong when we talk to a state system: one small exception tree.

The clients (:mod:`server.statesync.metrc_client`, :mod:`server.statesync.biotrack_client`)
translate every transport error and every refusal into one of these, with ``raise ... from``,
so the connector decides what to do from the class alone::

    StateSyncError
    ├── StateRefused        the state answered and said no; ``messages`` are its own words.
    │   │                   Resending the same call changes nothing: a person must act.
    │   └── NotAuthorised   HTTP 401/403, or a BioTrack log-on refused: wrong or revoked
    │                       credentials, or the person lacks the permission for the call.
    ├── SessionExpired      BioTrack's session is gone (or its TTL passed): log in again,
    │                       then resend. Nothing was done.
    ├── RateLimited         HTTP 429: wait ``retry_after_s`` seconds. Nothing was done.
    ├── StateUnavailable    the state could not be reached or answered 503 / a 5xx to a read:
    │                       nothing was done (a read can simply be repeated).
    └── OutcomeUnknown      a write was sent and no answer came back (the connection dropped,
                            a read timeout, a 5xx other than 503): it may or may not have taken
                            effect. Never resend blindly: BioTrack ``nonce_replay``, Metrc a
                            read-back, first.

``OutcomeUnknown`` is deliberately **not** a subclass of ``StateUnavailable``: a handler that
catches "unavailable, try again later" must not catch "may already be done" by accident.
"""

from collections.abc import Sequence

__all__ = [
    "NotAuthorised",
    "OutcomeUnknown",
    "RateLimited",
    "SessionExpired",
    "StateRefused",
    "StateSyncError",
    "StateUnavailable",
]


class StateSyncError(Exception):
    """Anything that went wrong talking to a state system. ``call`` names the request."""

    def __init__(self, call: str, detail: str) -> None:
        super().__init__(f"{call}: {detail}")
        self.call = call
        self.detail = detail


class StateRefused(StateSyncError):
    """The state system refused the call; ``messages`` are its messages, unmodified.

    ``status`` is the HTTP status (Metrc) or None; ``code`` is BioTrack's ``errorcode`` or None.
    ``rows``: beside each message, the row of a multi-row request it names (Metrc's ``row``,
    counted from 0), or None where it names none; empty when no row was named at all.
    """

    def __init__(
        self,
        call: str,
        messages: Sequence[str],
        *,
        status: int | None = None,
        code: int | None = None,
        rows: Sequence[int | None] = (),
    ) -> None:
        self.messages = tuple(messages)
        self.rows = tuple(rows)
        self.status = status
        self.code = code
        text = "; ".join(self.messages) if self.messages else "(no message)"
        where = f"HTTP {status}" if status is not None else f"error code {code}"
        super().__init__(call, f"refused by the state ({where}): {text}")


class NotAuthorised(StateRefused):
    """Credentials refused, or the person lacks the permission the call needs."""


class SessionExpired(StateSyncError):
    """The BioTrack session is no longer valid; log in again, then resend the call."""


class RateLimited(StateSyncError):
    """The state asked us to slow down; ``retry_after_s`` is from its Retry-After header."""

    def __init__(self, call: str, retry_after_s: float) -> None:
        super().__init__(call, f"rate limited; retry after {retry_after_s:g} s")
        self.retry_after_s = retry_after_s


class StateUnavailable(StateSyncError):
    """The state system could not be reached or said it is unavailable; nothing was done."""


class OutcomeUnknown(StateSyncError):
    """A write was sent and its answer was lost: it may or may not have taken effect."""
