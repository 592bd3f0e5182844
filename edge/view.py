"""What the display shows, computed from the agent's state (pure functions, no I/O).

The reporter assembles the whole view (:meth:`edge.status.Reporter.view`); these are its
parts: the prompt (sign-in, choosing a mode, or the workflow's step), the offline banner
("OFFLINE since 10:42 — 37 waiting — transfers blocked") and the warnings that the display
and the status topic share.
"""

from dataclasses import asdict
from datetime import datetime
from typing import Any

from edge.access import AccessTracker
from edge.config import Operator
from edge.flows import Flow
from schemas.clock import local_time


def _plain(text: str, step: str) -> dict[str, Any]:
    return {"text": text, "step": step, "expects": [], "choices": [], "fields": [], "items": []}


def prompt_view(
    operator: Operator | None, badge_holder: Operator | None, flow: Flow | None
) -> dict[str, Any]:
    if operator is None:
        if badge_holder is not None:
            return _plain(f"{badge_holder.name}: enter your PIN", "pin")
        return _plain("Tap your badge, or sign in with your user name", "sign_in")
    if flow is None:
        return _plain("Choose what you are doing", "mode")
    p = flow.prompt()
    return {
        "text": p.text,
        "step": p.step,
        "expects": list(p.expects),
        "choices": [asdict(c) for c in p.choices],
        "fields": [asdict(f) for f in p.fields],
        "items": list(p.items),
    }


def hhmm(at: datetime, tz: str) -> str:
    """``at`` on the premises' wall clock (the IANA zone ``tz``), as the floor reads it."""
    return local_time(at, tz).strftime("%H:%M")


def banner(connected: bool, access: AccessTracker, waiting: int, tz: str) -> str | None:
    """None while online; else since when, how many events wait, and whether transfers are
    blocked (a recorded loss of access)."""
    if connected and not access.offline:
        return None
    since = access.offline_since()
    text = f"OFFLINE since {hhmm(since, tz) if since else '?'} — {waiting} waiting"
    if access.offline:
        text += " — transfers blocked"
    return text


OUTBOX_FULL_ADVICE = (
    "new work is refused until the server acknowledges events: check the network and the "
    "broker, or call your administrator"
)


def outbox_note(depth: int, capacity: int, filling: bool) -> str | None:
    """The outbox's warning: None below the warning level, "nearly full", or "full" at
    capacity with what to do about it."""
    if depth >= capacity:
        return f"outbox {depth} of {capacity}: full; {OUTBOX_FULL_ADVICE}"
    if filling:
        return f"outbox {depth} of {capacity}: nearly full"
    return None


def local_stamp(at: datetime, tz: str) -> str:
    """``at`` as the floor reads a date and time: the premises' wall clock and its zone
    ('2026-11-24 09:30 PST'), never a raw ISO string."""
    return local_time(at, tz).strftime("%Y-%m-%d %H:%M %Z")


def warnings(
    access: AccessTracker, depth: int, capacity: int, filling: bool, refused: int, tz: str
) -> list[str]:
    notes = []
    if access.offline:
        since = access.offline_since()
        notes.append(f"access lost since {local_stamp(since, tz) if since else '?'}")
    note = outbox_note(depth, capacity, filling)
    if note is not None:
        notes.append(note)
    if refused:
        notes.append(f"{refused} event(s) refused by the server need attention")
    return notes
