"""The hash chain's encoding is a published format (docs/integrity.md): a regulator's own
verifier depends on it, so it is pinned here byte for byte."""

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest

from server.store import chain

ROW = {
    "licence": "OR-1001",
    "chain_index": 3,
    "event_id": "01a246dc-b81d-7713-afa9-a5092625838b",
    "station_id": "harvest-1",
    "sequence": 7,
    "kind": "plant.harvested",
    "operator_id": "maria.lopez",
    "device_id": None,
    "occurred_at": datetime(2026, 12, 1, 18, 4, 5, 6, tzinfo=UTC),
    "received_at": datetime(2026, 12, 1, 10, 4, 6, tzinfo=timezone(timedelta(hours=-8))),
    "outcome": "accepted",
    "violations": "[]",
    "body": '{"weight":"410.5 g","strain":"Crème"}',
    "body_sha256": "ab" * 32,
}


def _field(text: str | None) -> bytes:
    if text is None:
        return b"\x00"
    data = text.encode("utf-8")
    return b"\x01" + len(data).to_bytes(4, "big") + data


def test_the_encoding_is_the_documented_one() -> None:
    texts = [
        "OR-1001",
        "3",
        "01a246dc-b81d-7713-afa9-a5092625838b",
        "harvest-1",
        "7",
        "plant.harvested",
        "maria.lopez",
        None,
        "2026-12-01T18:04:05.000006Z",
        "2026-12-01T18:04:06.000000Z",  # given at UTC-8, hashed in UTC
        "accepted",
        "[]",
        '{"weight":"410.5 g","strain":"Crème"}',
        "ab" * 32,
    ]
    expected = b"seedtrace/event_log/v1\x00" + b"c" * 64 + b"".join(map(_field, texts))
    assert chain.encode(ROW, "c" * 64) == expected
    assert chain.row_hash(ROW, "c" * 64) == hashlib.sha256(expected).hexdigest()


def test_every_column_and_the_previous_hash_count() -> None:
    base = chain.row_hash(ROW, chain.GENESIS)
    assert chain.row_hash(ROW, "1" * 64) != base
    for name in chain.COLUMNS:
        changed = {**ROW, name: None if ROW[name] is not None else "x"}
        assert chain.row_hash(changed, chain.GENESIS) != base, name
    # a byte moved between two fields is a different row (the lengths are hashed)
    moved = {**ROW, "station_id": "harvest-", "kind": "1plant.harvested"}
    assert chain.row_hash(moved, chain.GENESIS) != base


def test_link_continues_from_the_head() -> None:
    rows = [{k: v for k, v in ROW.items() if k != "chain_index"} for _ in range(3)]
    links, head = chain.link(chain.EMPTY, rows)
    assert [x.chain_index for x in links] == [1, 2, 3]
    assert links[0].prev_hash == chain.GENESIS
    assert [x.prev_hash for x in links[1:]] == [x.row_hash for x in links[:2]]
    assert head == chain.Head(3, links[2].row_hash)
    more, _ = chain.link(head, rows[:1])  # a later batch
    assert (more[0].chain_index, more[0].prev_hash) == (4, head.hash)


@pytest.mark.parametrize(
    ("column", "value"),
    [("occurred_at", datetime(2026, 12, 1)), ("sequence", 1.5), ("sequence", True)],
)
def test_a_value_the_encoding_does_not_define_is_refused(column: str, value: object) -> None:
    with pytest.raises(ValueError, match="chain"):
        chain.encode({**ROW, column: value}, chain.GENESIS)
