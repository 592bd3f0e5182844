"""One HTTP call to a state system, with transport failures translated into our error tree.

Both clients send through :func:`send`. What a failure means depends on whether the call
**writes**: a read that fails can be repeated, so it is :class:`StateUnavailable`; a write
whose request may have reached the state is :class:`OutcomeUnknown` unless the failure proves
nothing was sent (the connection was refused; the connect timed out).

==========================================  ===================  =================
what happened                               read                 write
==========================================  ===================  =================
connect refused / connect or pool timeout   StateUnavailable     StateUnavailable
read timeout, connection dropped, no answer StateUnavailable     OutcomeUnknown
HTTP 429                                    RateLimited          RateLimited
HTTP 503                                    StateUnavailable     StateUnavailable
any other 5xx                               StateUnavailable     OutcomeUnknown
==========================================  ===================  =================

503 is "not handled" by definition (RFC 9110 15.6.4), and both simulators, like the real
gateways, answer it before doing anything; a 500 or 504 may come after the commit.
"""

from types import TracebackType
from typing import Any, Self

import httpx

from server.statesync.errors import OutcomeUnknown, RateLimited, StateUnavailable

__all__ = ["HttpSession", "send"]

DEFAULT_RETRY_AFTER_S = 1.0


class HttpSession:
    """What both state clients are: one ``httpx.Client`` (``_http``, made by the subclass),
    closed by :meth:`close` or on leaving a ``with`` block."""

    _http: httpx.Client

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def send(
    http: httpx.Client, call: str, method: str, url: str, *, write: bool, **kwargs: Any
) -> httpx.Response:
    """The response to one request; raises the error-tree exception for what went wrong.

    Only transport failures, 429 and 5xx are handled here; the caller reads any other status.
    """
    try:
        response = http.request(method, url, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as err:
        raise StateUnavailable(call, f"cannot connect: {err}") from err
    except httpx.TransportError as err:
        if write:
            raise OutcomeUnknown(call, f"sent, but no answer came back: {err!r}") from err
        raise StateUnavailable(call, f"no answer: {err!r}") from err
    status = response.status_code
    if status == 429:
        raise RateLimited(call, _retry_after(response.headers.get("Retry-After")))
    if status == 503:
        raise StateUnavailable(call, "the state system answered 503 (unavailable)")
    if status >= 500:
        if write:
            raise OutcomeUnknown(call, f"HTTP {status}: the write may or may not have been kept")
        raise StateUnavailable(call, f"HTTP {status}")
    return response


def _retry_after(value: str | None) -> float:
    """Seconds from a Retry-After header; its HTTP-date form and junk fall back to 1 s."""
    if value is None:
        return DEFAULT_RETRY_AFTER_S
    try:
        seconds = float(value)
    except ValueError:
        return DEFAULT_RETRY_AFTER_S
    return seconds if seconds >= 0 else DEFAULT_RETRY_AFTER_S
