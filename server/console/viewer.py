"""Who is looking at the console, and what they may see and do.

A :class:`Viewer` is built from the signed-in account for each request
(:func:`server.console.deps.current_viewer`). A licensee's staff see their own licence; a
regulator sees every licensee of its jurisdiction and may change nothing (REGULATOR-ACCESS).
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: str
    name: str
    role: str
    licences: tuple[str, ...]  # what this person may see; never empty for a working account
    read_only: bool  # a regulator: every page, no button that changes anything
    session_id: str | None = None

    @property
    def is_regulator(self) -> bool:
        return self.role == "regulator"

    def may_see(self, licence: str) -> bool:
        return licence in self.licences


class ReadOnly(PermissionError):
    """A read-only viewer (a regulator) asked to change something."""
