"""A small client for a station's display API: what the demo's scripted workers and the tests
use to press the touchscreen's buttons and read what it shows (``edge.display.server``).

Standard library only. Every method raises :class:`StationUnreachable` when the station does
not answer, and :meth:`StationClient.wait` raises TimeoutError naming what it waited for and
what the station showed last.
"""

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any, Protocol

View = dict[str, Any]


class TagField(Protocol):
    """A reader's field a tag is held in and taken from (the UHF simulator)."""

    def put(self, uid: str) -> None: ...

    def take(self, uid: str) -> None: ...


class StationUnreachable(Exception):
    """The station's display did not answer."""


class StationClient:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _call(self, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path,
            data=data,
            headers={"Content-Type": "application/json"} if data is not None else {},
            method="GET" if data is None else "POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read())
        except (urllib.error.URLError, OSError) as err:
            raise StationUnreachable(f"station display {self.url} does not answer: {err}") from err

    def state(self) -> View:
        result: View = self._call("/state")
        return result

    def act(self, action: str, **fields: Any) -> dict[str, Any]:
        """Press a button: ``act("mode", mode="harvest")``, ``act("choose", key=k, value=v)``."""
        result: dict[str, Any] = self._call("/action", {"action": action, **fields})
        return result

    def wait(self, what: str, predicate: Callable[[View], bool], timeout: float = 15.0) -> View:
        """Poll the view until ``predicate`` holds; TimeoutError (saying ``what``) if not."""
        deadline = time.monotonic() + timeout
        view: View = {}
        while time.monotonic() < deadline:
            try:
                view = self.state()
            except StationUnreachable:
                view = {}
            else:
                if predicate(view):
                    return view
            time.sleep(0.05)
        shown = {k: view.get(k) for k in ("prompt", "outcome", "banner", "waiting", "weight")}
        raise TimeoutError(f"waited {timeout} s for {what}; the station shows {shown}")

    def wait_up(self, timeout: float = 20.0) -> View:
        return self.wait("the station's display", lambda v: "station" in v, timeout)

    def scan(self, uid: str, field: TagField, what: str, settle: float) -> View:
        """Hold tag ``uid`` in the reader's ``field`` until the display shows a scan of it newer
        than the last one, then take it away and wait ``settle`` s (out of the reader's repeat
        window before the next scan). TimeoutError, saying ``what``, if no scan shows."""
        before = (self.state().get("last_scan") or {}).get("at")
        field.put(uid)
        try:
            return self.wait(
                what,
                lambda v: (
                    (v.get("last_scan") or {}).get("uid") == uid and v["last_scan"]["at"] != before
                ),
            )
        finally:
            field.take(uid)
            time.sleep(settle)

    def wait_empty_pan(self, what: str) -> View:
        """Wait until the display shows a stable zero on the scale."""
        return self.wait(
            what,
            lambda v: (
                (v.get("weight") or {}).get("value") in ("0.00", "0") and v["weight"]["stable"]
            ),
        )
