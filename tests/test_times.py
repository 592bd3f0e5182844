"""Times and days in the contract are ISO 8601 text: a bare number is refused, not read as a
Unix timestamp (``0`` would be 1970-01-01), and a close of business is the premises' wall-clock
time, without an offset that would otherwise be dropped."""

from datetime import time
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from schemas.events import Payload
from schemas.times import WallTime

PAYLOADS = TypeAdapter(Payload)


def refused(body: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        PAYLOADS.validate_python(body)
    return str(caught.value)


@pytest.mark.parametrize("number", [0, 1732469400, 0.5, "0", "1732469400"])
def test_a_number_is_not_an_instant_or_a_day(number: object) -> None:
    lost = refused({"kind": "access.lost", "lost_at": number, "cause": "internet down"})
    assert "give ISO 8601 text such as 2026-11-24T17:30:00Z" in lost
    day = refused({"kind": "licence.updated", "licensure_date": number})
    assert "give ISO 8601 text such as 2026-11-24" in day


def test_iso_text_is_taken() -> None:
    lost = PAYLOADS.validate_python(
        {"kind": "access.lost", "lost_at": "2026-11-24T17:30:00Z", "cause": "internet down"}
    )
    assert lost.lost_at.isoformat() == "2026-11-24T17:30:00+00:00"  # type: ignore[union-attr]
    updated = PAYLOADS.validate_json('{"kind": "licence.updated", "licensure_date": "2024-01-15"}')
    assert str(updated.licensure_date) == "2024-01-15"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "taken"),
    [("18:00", time(18, 0)), ("00:00:00", time(0, 0)), ("23:59:59", time(23, 59, 59))],
)
def test_a_close_of_business_is_a_wall_clock_time(text: str, taken: time) -> None:
    assert TypeAdapter(WallTime).validate_python(text) == taken
    updated = PAYLOADS.validate_python({"kind": "licence.updated", "close_of_business": text})
    assert updated.close_of_business == taken  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["00:00:00Z", "18:00+02:00", "18:00:00-08:00", "24:00", "6pm"])
def test_an_offset_or_a_malformed_time_is_refused_not_dropped(text: str) -> None:
    why = refused({"kind": "licence.updated", "close_of_business": text})
    assert "HH:MM or HH:MM:SS" in why
