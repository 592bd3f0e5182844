"""What the station's display shows besides the workflow's prompt, and the view's versions.

:class:`Screen` holds the latest scan, the scale's weight, the outcome of the last input
("Accepted", "Not accepted: ..."), and the alerts about earlier events; the controller thread
writes it. The display's threads read the assembled view through :meth:`Screen.view`, which
waits (long polling) until a version newer than the browser's is published.
"""

import threading
from typing import Any

from schemas.clock import Clock

MAX_ALERTS = 5


class Screen:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.last_scan: dict[str, Any] | None = None
        self.weight: dict[str, Any] | None = None
        self.outcome: dict[str, Any] | None = None
        self.alerts: list[str] = []
        self.latest_event: str | None = None  # the event whose outcome is on show
        self._view: dict[str, Any] = {}
        self._version = 0
        self._changed = threading.Condition()

    # -- written by the controller thread ----------------------------------------------------

    def scanned(self, uid: str, device_id: str) -> None:
        self.last_scan = {"uid": uid, "device": device_id, "at": self.clock.now().isoformat()}

    def set_outcome(self, state: str, title: str, message: str, **extra: Any) -> None:
        self.outcome = {
            "state": state,
            "title": title,
            "message": message,
            "at": self.clock.now().isoformat(),
            **extra,
        }

    def refuse(self, message: str) -> dict[str, Any]:
        """Show the refusal; returns the reply for the display action that caused it."""
        self.set_outcome("refused", "Not accepted", message)
        return {"ok": False, "message": message}

    def info(self, message: str) -> None:
        self.set_outcome("info", message, "")

    def alert(self, message: str) -> None:
        """A note about an earlier event (newest first; the last few are kept)."""
        self.alerts.insert(0, message)
        del self.alerts[MAX_ALERTS:]

    def publish(self, view: dict[str, Any]) -> None:
        """Make ``view`` the current one (a new version only when it changed)."""
        with self._changed:
            if view != self._view:
                self._view = view
                self._version += 1
                self._changed.notify_all()

    # -- read by the display's threads -------------------------------------------------------

    def view(self, after: int = -1, timeout: float = 0.0) -> tuple[int, dict[str, Any]]:
        """The display's state and its version; waits up to ``timeout`` for a newer one."""
        with self._changed:
            if self._version <= after and timeout > 0:
                self._changed.wait_for(lambda: self._version > after, timeout)
            return self._version, self._view
