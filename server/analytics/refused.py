"""Refused tag use: UIDs a licensee tried to put on plants or packages that it never received,
or that were already used or retired (pure: no database).

The tag rules refuse these events (``TAG-PROVISIONED``, ``TAG-ONE-ITEM`` in
``server/compliance/rules/tags.py``), so they move nothing. The attempt still says something:
a plant tagged with a UID from outside the rolls received, or with a retired plant's UID, is
how a plant with no place in the record gets one. So each licensee's refused attempts are
counted, per rule, and named.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from server.analytics.signals import Signal

# Rule ID -> (signal kind, what the refused events tried, in words).
RULES = {
    "TAG-PROVISIONED": (
        "tag-not-received",
        "use a UID it never received (or a tag of the wrong type)",
    ),
    "TAG-ONE-ITEM": (
        "tag-used-again",
        "put a UID already on another item, or retired, on a new plant or package",
    ),
}
KINDS = ("plants.tagged", "package.created")  # the events that put a UID on a new item
SHOWN = 3  # messages quoted in an explanation; the rest are counted


@dataclass(frozen=True, slots=True)
class Refusal:
    """One rejected event that broke one of :data:`RULES`: ``message`` is the rule's own
    words (the first one for that rule, when it broke it for several UIDs)."""

    event_id: str
    kind: str
    occurred_at: datetime
    rule_id: str
    message: str


def refused_tags(licence: str, refusals: Sequence[Refusal]) -> list[Signal]:
    """One signal per rule of :data:`RULES` that refused at least one of ``licence``'s
    events; subject: the rule ID; score: how many events it refused. ``refusals`` are in log
    order; an event that broke both rules counts under each."""
    found: list[Signal] = []
    for rule_id, (kind, tried) in RULES.items():
        mine = [r for r in refusals if r.rule_id == rule_id]
        if not mine:
            continue
        quoted = "; ".join(r.message for r in mine[:SHOWN])
        more = f" (and {len(mine) - SHOWN} more)" if len(mine) > SHOWN else ""
        times = "once" if len(mine) == 1 else f"{len(mine)} times"
        found.append(
            Signal(
                kind,
                licence,
                rule_id,
                Decimal(len(mine)),
                f"This licensee tried {times} to {tried}, and {rule_id} refused it: "
                f"{quoted}{more}. A refused record moved nothing, but a tag from outside the "
                "rolls received, or a used one, is how a plant or package with no place in "
                "the record gets one.",
                tuple(dict.fromkeys(r.event_id for r in mine)),
            )
        )
    return found
