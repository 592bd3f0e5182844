"""JSON as the state APIs and the simulators' stores write it: exact decimals in, numbers out,
dates and times as ISO 8601."""

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

__all__ = ["dumps", "loads"]


def loads(raw: bytes) -> Any:
    """JSON in, with every non-integer number as an exact Decimal."""
    return json.loads(raw, parse_float=Decimal)


def _default(value: object) -> object:
    if isinstance(value, date | datetime):  # datetime is a date; both as ISO 8601
        return value.isoformat()
    if isinstance(value, Decimal):
        # A weight below 10^9 with at most 6 decimals survives float and back digit for digit
        # (schemas/weights.py explains why); the state APIs take JSON numbers.
        return float(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def dumps(value: Any) -> bytes:
    return json.dumps(value, default=_default, separators=(",", ":")).encode()
