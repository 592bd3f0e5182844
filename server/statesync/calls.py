"""What the connector's per-system action tables share: an :class:`Answer`, references
resolved against ``sync_objects``, and :class:`Unresolvable`.

A planned call's ``args`` may hold ``{"ref": KIND, "key": OUR_ID}`` (see
:func:`server.statesync.mapping.ref`). :func:`resolve` replaces each with what the state gave
us for it, through a table of ``KIND -> (object kind, how to read it)``; an object the state
never gave us raises :class:`Unresolvable`, which the connector files as a refusal for a person
to look at (the call cannot be made as planned), never as something to retry.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from server.statesync.queue import Objects

__all__ = ["Answer", "Reader", "Unresolvable", "by_hand", "resolve"]

Reader = tuple[str, Callable[[str, dict[str, Any]], Any]]


class Unresolvable(Exception):
    """A reference to an object the state has not told us about."""


@dataclass(frozen=True)
class Answer:
    """What a call got back: the state's ids (as text: Metrc's numbers, BioTrack's 16-digit
    ids) and its answer unmodified (``raw``); ``how`` says how we learnt it."""

    ids: list[str]
    raw: str
    how: str = "answer"  # answer | read-back | nonce_replay | known
    extra: dict[str, Any] = field(default_factory=dict)


def resolve(value: Any, objects: Objects, readers: Mapping[str, Reader]) -> Any:
    """``value`` with every reference replaced by what ``objects`` knows of it."""
    if isinstance(value, dict):
        if set(value) == {"ref", "key"}:
            kind, key = value["ref"], value["key"]
            if kind not in readers:
                raise ValueError(f"no reader for references of kind {kind}")
            object_kind, read = readers[kind]
            found = objects.get(object_kind, key)
            if found is None:
                raise Unresolvable(
                    f"the state system has not given us its {object_kind} for {key}: it was "
                    "filed before this link existed, or its call was refused or skipped"
                )
            return read(*found)
        return {k: resolve(v, objects, readers) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, objects, readers) for v in value]
    return value


def by_hand(plan: dict[str, Any], system: str, why: str | None = None) -> Unresolvable:
    """What a person must do for a correction of a filed event that no API call makes
    (``correct_by_hand``; or ``correct_plants`` when ``why`` says it cannot go through the
    API), as the reason the call cannot be made."""
    what = json.dumps(plan["replacement"], sort_keys=True, separators=(", ", ": "))
    not_api = "" if why is None else f" (not through the API: {why})"
    return Unresolvable(
        f"our event {plan['corrects']} ({plan['kind']}) was corrected here ({plan['reason']}); "
        f"{system} still holds what was first filed (its state ids are on that event's page). "
        f"Make the same correction at {system} by hand{not_api}; what should have been "
        f"recorded: {what}"
    )
