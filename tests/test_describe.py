"""The one line a person reads for an event: the worker on the station's screen (brief: a tag
is its last six characters, as printed), the compliance manager in the console's feed and
audit trail (UIDs whole), the same words for both."""

from typing import Any

import pytest

from schemas.describe import describe_payload, describe_stored
from tests.server.floor import Station, batch_created, flowering, harvested, tagged, uid


def as_stored(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as it travels and is stored: validated, then its JSON form."""
    return Station().event(payload).payload.model_dump(mode="json")


def test_a_harvest_reads_the_same_on_the_station_and_in_the_console() -> None:
    payload = as_stored(harvested(uid(1), "512.40", "HB-7"))
    assert describe_payload(payload) == f"Harvested {uid(1)} into HB-7, 512.40 g wet"
    assert describe_payload(payload, brief=True) == "Harvested …000001 into HB-7, 512.40 g wet"


def test_floor_events_in_plain_words() -> None:
    lines = [
        describe_payload(as_stored(p))
        for p in (
            batch_created("B-2", 40),
            tagged("B-2", [uid(1), uid(2)]),
            tagged("B-2", [uid(1), uid(2), uid(3)]),
            flowering([uid(4)]),
        )
    ]
    assert lines == [
        "Started batch B-2: 40 Blue Dream (clone) in Veg Room 1",
        f"Tagged {uid(1)}, {uid(2)} of batch B-2",
        f"Tagged 3 plants ({uid(1)}, ...) of batch B-2",
        f"Moved {uid(4)} to flowering in Flower 1",
    ]
    brief = describe_payload(as_stored(tagged("B-2", [uid(1), uid(2), uid(3)])), brief=True)
    assert brief == "Tagged 3 plants (…000001, ...) of batch B-2"


def test_a_seed_batch_origin_is_written_as_words() -> None:
    payload = as_stored({**batch_created("B-3", 12), "origin": "tissue_culture"})
    line = "Started batch B-3: 12 Blue Dream (tissue culture) in Veg Room 1"
    assert describe_payload(payload) == line


def test_the_stations_own_outage_records() -> None:
    lost = {"kind": "access.lost", "cause": "no ack for 60 s", "lost_at": "x"}
    restored = {"kind": "access.restored", "backlog": 37}
    assert describe_payload(lost) == "Access lost: no ack for 60 s"
    assert describe_payload(restored, brief=True) == "Access restored (37 events to enter)"


def test_a_tag_range_received_shows_both_ends() -> None:
    payload = {"kind": "tags.received", "tag_type": "plant", "first": uid(1), "last": uid(50)}
    assert describe_payload(payload, brief=True) == "Received plant tags …000001 to …000050"
    assert describe_payload(payload) == f"Received plant tags {uid(1)} to {uid(50)}"


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ('{"payload": {"kind": "no.such.kind"}}', "no.such.kind"),
        ('{"payload": {"kind": "plant.harvested"}}', "plant.harvested"),  # fields missing
        ("not json", "unreadable event"),
        (b"\xff\xfe", "unreadable event"),
        ('["a list"]', "unreadable event"),
        ('{"payload": "text"}', "unreadable event"),
    ],
)
def test_any_stored_row_gets_a_line(body: str | bytes, line: str) -> None:
    assert describe_stored(body) == line


def test_a_correction_names_what_it_corrects() -> None:
    correction = {
        "kind": "record.corrected",
        "corrects": "e-1",
        "reason": "wrong scale",
        "replacement": {"kind": "tag.retired", "uid": uid(9), "reason": "damaged"},
    }
    assert describe_payload(correction, brief=True) == (
        "Correction of e-1: Retired tag …000009 (damaged) (wrong scale)"
    )
