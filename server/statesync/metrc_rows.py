"""Reading one row of a Metrc write body, the way the Metrc simulator's handlers need it.

Metrc validates every row of a request and answers all problems at once, as a 400 with a JSON
array of ``{"row": n, "message": "..."}``; nothing of the request is kept. :class:`RowCheck`
collects those messages while a handler reads a row; the helpers return None for a missing or
malformed field, or for a reference to something the licence does not have (a location, an
available tag, an active plant or harvest), having noted why, so a handler can check
everything before it changes anything.

Weights: Metrc names units in words (``Grams``, ``Ounces``); :data:`UNIT_GRAMS` converts
exactly, from the same definitions as ``schemas/weights.py``.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from schemas.weights import GRAMS_PER_UNIT, Unit
from server.statesync.simstore import SimObject, SimStore

__all__ = ["UNIT_GRAMS", "RowCheck", "WriteRefused", "next_labels"]

UNIT_GRAMS: dict[str, Decimal] = {
    "Milligrams": GRAMS_PER_UNIT[Unit.MG],
    "Grams": GRAMS_PER_UNIT[Unit.G],
    "Kilograms": GRAMS_PER_UNIT[Unit.KG],
    "Ounces": GRAMS_PER_UNIT[Unit.OZ],
    "Pounds": GRAMS_PER_UNIT[Unit.LB],
}


class WriteRefused(Exception):
    """A write's rows broke Metrc's checks: ``errors`` are (row, message) pairs."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__("; ".join(f"row {r}: {m}" for r, m in errors))
        self.errors = errors


@dataclass
class RowCheck:
    """One write request's context: the store, licence, time and the errors so far."""

    store: SimStore
    licence: str
    now: datetime
    user: str
    row: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.errors.append((self.row, message))

    def text(self, item: dict[str, Any], name: str, *, required: bool = True) -> str | None:
        value = item.get(name)
        if value is None or (isinstance(value, str) and value.strip() == ""):
            if required:
                self.fail(f"{name} is required.")
            return None
        if not isinstance(value, str):
            self.fail(f"{name} must be text; got {value!r}.")
            return None
        return value

    def choice(self, item: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str | None:
        value = self.text(item, name)
        if value is not None and value not in allowed:
            self.fail(f"{name} '{value}' is not one of: {', '.join(allowed)}.")
            return None
        return value

    def count(self, item: dict[str, Any], name: str) -> int | None:
        value = item.get(name)
        if value is None:
            self.fail(f"{name} is required.")
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.fail(f"{name} must be a whole number of at least 1; got {value!r}.")
            return None
        return value

    def amount(self, item: dict[str, Any], name: str, *, positive: bool = False) -> Decimal | None:
        value = item.get(name)
        if value is None:
            self.fail(f"{name} is required.")
            return None
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            self.fail(f"{name} must be a number; got {value!r}.")
            return None
        number = Decimal(value)
        if number < 0 or (positive and number == 0):
            self.fail(f"{name} must be {'more than' if positive else 'at least'} 0; got {number}.")
            return None
        return number

    def grams(
        self, item: dict[str, Any], weight: str, unit: str, *, positive: bool = False
    ) -> Decimal | None:
        """The weight in ``item[weight]`` given in ``item[unit]``, in grams, exactly."""
        number = self.amount(item, weight, positive=positive)
        unit_name = self.choice(item, unit, tuple(UNIT_GRAMS))
        if number is None or unit_name is None:
            return None
        return number * UNIT_GRAMS[unit_name]

    def day(self, item: dict[str, Any], name: str) -> str | None:
        value = self.text(item, name)
        if value is None:
            return None
        try:
            return date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            self.fail(f"{name} '{value}' is not a date (YYYY-MM-DD).")
            return None

    def instant(self, item: dict[str, Any], name: str) -> str | None:
        value = self.text(item, name)
        if value is None:
            return None
        try:
            datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{name} '{value}' is not a date and time (ISO 8601).")
            return None
        return value

    def rows(self, item: dict[str, Any], name: str) -> list[dict[str, Any]]:
        value = item.get(name)
        if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
            self.fail(f"{name} must be a non-empty list of objects.")
            return []
        return value

    def location(self, item: dict[str, Any], name: str) -> str | None:
        """A location name in ``item[name]`` that exists at the licence."""
        value = self.text(item, name)
        if value is not None and self.store.find(self.licence, "location", value) is None:
            self.fail(f"Location '{value}' does not exist at facility {self.licence}.")
            return None
        return value

    def tag(self, label: str, tag_type: str) -> SimObject | None:
        """The licence's available tag ``label`` of ``tag_type`` (Plant or Package)."""
        tag = self.store.find(self.licence, "tag", label, active_only=False)
        if tag is None or tag.data["TagTypeName"] != tag_type:
            self.fail(f"{tag_type} tag {label} is not a tag of facility {self.licence}.")
            return None
        if not tag.active:
            self.fail(f"Tag {label} has already been used.")
            return None
        return tag

    def use_tag(self, tag: SimObject) -> None:
        tag.data["StatusName"] = "Used"
        tag.data["UsedDateTime"] = self.now.isoformat()
        self.store.update(tag, self.now, active=False)

    def active(self, kind: str, key: str, what: str) -> SimObject | None:
        """The active object of ``kind`` with ``key``; noted as a problem if there is none."""
        obj = self.store.find(self.licence, kind, key)
        if obj is None:
            self.fail(f"{what} {key} does not exist or is not active at facility {self.licence}.")
        return obj

    def has_untracked(self, batch: SimObject, count: int, asked: str) -> bool:
        """Whether the plant ``batch`` has ``count`` untracked plants; noted as a problem,
        saying what was ``asked`` of them, if it has fewer."""
        untracked = batch.data["UntrackedCount"]
        if count > untracked:
            self.fail(f"Plant Batch {batch.key} has {untracked} untracked plants; {asked}.")
            return False
        return True

    def harvest_by_id(self, item: dict[str, Any], name: str = "Id") -> SimObject | None:
        """The active harvest whose id is ``item[name]``."""
        value = item.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"{name} must be a harvest id; got {value!r}.")
            return None
        harvest = self.store.get(self.licence, "harvest", value)
        if harvest is None or not harvest.active:
            self.fail(f"Harvest {value} does not exist or is finished at facility {self.licence}.")
            return None
        return harvest


def next_labels(first: str, count: int) -> list[str]:
    """``count`` tag labels from ``first``, counting up its trailing digits (a tag roll)."""
    digits = len(first) - len(first.rstrip("0123456789"))
    if digits == 0:
        raise ValueError(f"tag {first} has no trailing digits to count up")
    prefix, start = first[:-digits], int(first[-digits:])
    return [f"{prefix}{n:0{digits}d}" for n in range(start, start + count)]
