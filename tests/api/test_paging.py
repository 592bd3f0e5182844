"""Paging a list: the ``next`` cursor walks every row once, in order, while rows are added; a
cursor that is not one is refused naming ``after``; ``total`` is counted only up to its cap;
``offset`` still works for older clients, within its cap."""

import base64
import json

import pytest
from fastapi.testclient import TestClient

from server.api import listing
from tests.api.conftest import refused_field
from tests.api.seed import Floor, uid_of
from tests.server.conftest import LICENCE

Headers = dict[str, str]
BASE = f"/api/v1/licensees/{LICENCE}"
PREFIX = "1A4FF01000000220"  # the floor's tags (tests/api/conftest.py)


def walk(
    client: TestClient, headers: Headers, path: str, limit: int, between: list[dict[str, object]]
) -> list[dict[str, object]]:
    """Every item of ``path``, following ``next`` with pages of ``limit``; after page i, the
    tag receipt ``between[i]`` (if any) is recorded."""
    items: list[dict[str, object]] = []
    params: dict[str, object] = {"limit": limit}
    for page_number in range(100):
        answer = client.get(BASE + path, headers=headers, params=params)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert len(page["items"]) <= limit
        items += page["items"]
        if page["next"] is None:
            return items
        if page_number < len(between):
            added = client.post(BASE + "/tags/received", headers=headers, json=between[page_number])
            assert added.status_code == 201, added.text
        params = {"limit": limit, "after": page["next"]}
    raise AssertionError("the walk did not end")


def receipt(*numbers: int) -> dict[str, object]:
    return {"tag_type": "plant", "uids": [uid_of(PREFIX, n) for n in numbers]}


def test_a_walk_of_an_ascending_list_sees_each_row_once_and_the_rows_added_after_it(
    client: TestClient, user: Headers, floors: tuple[Floor, Floor]
) -> None:
    before = [t["uid"] for t in client.get(BASE + "/tags", headers=user).json()["items"]]
    assert len(before) == 13
    # after the first page: one UID before the cursor (not in the rest of the walk), two after
    seen = walk(client, user, "/tags", 4, [receipt(0, 200), receipt(201)])
    uids = [t["uid"] for t in seen]
    assert uids == [*before, uid_of(PREFIX, 200), uid_of(PREFIX, 201)]
    last = client.get(BASE + "/tags", headers=user, params={"limit": 1000}).json()
    assert (last["total"], last["total_is_lower_bound"], last["next"]) == (16, False, None)


def test_a_walk_of_the_event_log_newest_first_is_not_shifted_by_new_events(
    client: TestClient, user: Headers, floors: tuple[Floor, Floor]
) -> None:
    every = client.get(BASE + "/events", headers=user, params={"limit": 1000}).json()
    expected = [e["event_id"] for e in every["items"]]
    assert every["next"] is None
    # New events are newer than the cursor: the walk goes on where it was, as with an offset
    # it would repeat rows.
    seen = walk(client, user, "/events", 3, [receipt(300 + n) for n in range(10)])
    assert [e["event_id"] for e in seen] == expected
    positions = [e["position"] for e in seen]
    assert positions == sorted(positions, reverse=True)


def test_a_list_computed_whole_pages_by_cursor_too(
    client: TestClient, user: Headers, floors: tuple[Floor, Floor]
) -> None:
    whole = client.get(BASE + "/tag-stock", headers=user).json()["items"]
    assert [s["tag_type"] for s in walk(client, user, "/tag-stock", 1, [])] == [
        s["tag_type"] for s in whole
    ]


def cursor_of(*values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("path", "after"),
    [
        ("/events", "not a cursor!"),  # not URL-safe base64
        ("/events", "bm90IGpzb24"),  # base64 of "not json"
        ("/events", cursor_of("tags", 5)),  # another list's
        ("/events", cursor_of("events", "five")),  # a position that is not a number
        ("/events", cursor_of("events", 5, 6)),  # one value too many
        ("/transfers", cursor_of("transfers", "2026-11-24T10:00:00", "M-1", "out")),  # no zone
        ("/tag-stock", cursor_of("tag-stock", -1)),
        ("/events", "x" * 1001),
    ],
)
def test_a_malformed_cursor_is_refused_naming_after(
    client: TestClient, user: Headers, path: str, after: str
) -> None:
    answer = client.get(BASE + path, headers=user, params={"after": after})
    assert refused_field(answer) == "after"


def test_a_cursor_of_a_time_keyed_list_walks_it(
    client: TestClient, user: Headers, floors: tuple[Floor, Floor]
) -> None:
    first = client.get(BASE + "/transfers", headers=user, params={"limit": 1}).json()
    assert first["total"] == 1
    assert first["next"] is None
    zoned = cursor_of("transfers", "2999-01-01T00:00:00Z", "M-1", "out")
    later = client.get(BASE + "/transfers", headers=user, params={"after": zoned}).json()
    assert [t["manifest_id"] for t in later["items"]] == [first["items"][0]["manifest_id"]]


def test_offset_works_within_its_cap_and_not_with_a_cursor(
    client: TestClient, user: Headers, floors: tuple[Floor, Floor]
) -> None:
    every = client.get(BASE + "/tags", headers=user).json()["items"]
    page = client.get(BASE + "/tags", headers=user, params={"limit": 5, "offset": 10}).json()
    assert page["items"] == every[10:]
    assert (page["offset"], page["next"]) == (10, None)
    too_far = client.get(BASE + "/tags", headers=user, params={"offset": listing.MAX_OFFSET + 1})
    assert refused_field(too_far) == "offset"
    cursor = client.get(BASE + "/tags", headers=user, params={"limit": 2}).json()["next"]
    both = client.get(BASE + "/tags", headers=user, params={"after": cursor, "offset": 2})
    assert refused_field(both) == "offset"


def test_total_is_exact_up_to_its_cap_and_a_lower_bound_past_it(
    client: TestClient, user: Headers, floors: tuple[Floor, Floor], monkeypatch: pytest.MonkeyPatch
) -> None:
    exact = client.get(BASE + "/tags", headers=user, params={"limit": 2}).json()
    assert (exact["total"], exact["total_is_lower_bound"]) == (13, False)
    monkeypatch.setattr(listing, "TOTAL_CAP", 13)
    at_cap = client.get(BASE + "/tags", headers=user, params={"limit": 2}).json()
    assert (at_cap["total"], at_cap["total_is_lower_bound"]) == (13, False)
    monkeypatch.setattr(listing, "TOTAL_CAP", 5)
    capped = client.get(BASE + "/tags", headers=user, params={"limit": 2}).json()
    assert (capped["total"], capped["total_is_lower_bound"]) == (5, True)
    assert len(capped["items"]) == 2
    assert capped["next"] is not None
    stock = client.get(BASE + "/tag-stock", headers=user).json()
    assert stock["total_is_lower_bound"] is False  # two tag types, under even this cap
