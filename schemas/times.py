"""Times and days as the contract takes them: ISO 8601 text, never a bare number.

pydantic's lax mode reads a JSON number as a Unix timestamp, so ``0`` became 1970-01-01 for a
licensure date or a loss of access: a value nobody meant, silently accepted. These types refuse
numbers with a message that says what to send. Their JSON Schema is unchanged (``date-time``,
``date``), except :data:`WallTime`, a local wall-clock time that carries no offset.

- :data:`Instant`: an aware date-time (``2026-11-24T17:30:00Z`` or with an offset).
- :data:`Day`: a calendar date (``2026-11-24``).
- :data:`WallTime`: a time of day on the premises' wall clock (``18:00`` or ``18:00:00``); an
  offset (``18:00:00Z``) is refused rather than dropped, since the zone is the premises'.
"""

import re
from datetime import date, time
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, WithJsonSchema

WALL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]*)?")


def _not_a_number(value: Any, example: str) -> Any:
    """Refuse a number, or text that is only a number (a query string's ``?since=0``)."""
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if numeric or (isinstance(value, str) and NUMBER.fullmatch(value.strip()) is not None):
        raise ValueError(f"give ISO 8601 text such as {example}, not the number {value!r}")
    return value


def _instant(value: Any) -> Any:
    if isinstance(value, str) and ":" in value:
        return value  # a time of day is in it: not a number (every event has a few of these)
    return _not_a_number(value, "2026-11-24T17:30:00Z")


def _day(value: Any) -> Any:
    return _not_a_number(value, "2026-11-24")


def _wall_time(value: Any) -> Any:
    value = _not_a_number(value, "18:00")
    if isinstance(value, str) and re.fullmatch(WALL_TIME_PATTERN, value) is None:
        raise ValueError(
            f"{value!r}: give the premises' local wall-clock time as HH:MM or HH:MM:SS, "
            "without an offset (the licensee's time zone says where it is)"
        )
    if isinstance(value, time) and value.tzinfo is not None:
        raise ValueError("give the premises' local wall-clock time, without a time zone")
    return value


Instant = Annotated[AwareDatetime, BeforeValidator(_instant)]
Day = Annotated[date, BeforeValidator(_day)]
WallTime = Annotated[
    time,
    BeforeValidator(_wall_time),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": WALL_TIME_PATTERN,
            "description": "local wall-clock time at the premises, HH:MM or HH:MM:SS, no offset",
            "examples": ["18:00"],
        }
    ),
]
