"""The ingest's multi-row writes store every value as given: on PostgreSQL they travel as array
literals the server parses (``server.db.bulk``), on SQLite straight to the driver
(``server.db.pipelined``), and text that looks like array syntax must not change on the way."""

from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from server.db import pipelined
from server.db.core import table_of
from server.db.pipelined import Step
from server.db.tables import HeldEvent, Tag
from server.ingest.ledger import HELD_INSERT
from server.store.overlay import TAG_ASSIGN, TAG_INSERT
from tests.server.conftest import LICENCE

HELD, TAGS = table_of(HeldEvent), table_of(Tag)
AWKWARD = [
    '{"note":"a \\"quoted\\" word","path":"C:\\\\scale"}',  # JSON: quotes and backslashes
    "{braces}, commas, and NULL",
    "NULL",
    "",
    "  spaces  ",
    "line one\nline two\ttab",
    "Crème brûlée, 大麻",
]


def test_awkward_text_and_times_are_stored_as_given(engine: Engine) -> None:
    received = datetime(2026, 12, 5, 10, 4, 6, 123456, tzinfo=timezone(timedelta(hours=-8)))
    rows = [
        {
            "licence": LICENCE,
            "station_id": f"st-{n}",
            "sequence": 7 + n,
            "event_id": f"00000000-0000-7000-8000-{n:012d}",
            "body": body,
            "body_sha256": "ab" * 32,
            "received_at": received + timedelta(microseconds=n),
        }
        for n, body in enumerate(AWKWARD)
    ]
    with engine.begin() as conn:
        pipelined.run(conn, [Step(HELD_INSERT, rows)])
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(HELD.c.body, HELD.c.received_at).order_by(HELD.c.sequence)
        ).all()
    assert [r.body for r in stored] == AWKWARD
    assert [r.received_at for r in stored] == [r["received_at"] for r in rows]
    assert all(r.received_at.utcoffset() == timedelta(0) for r in stored)  # kept in UTC


def test_missing_values_stay_missing_and_updates_set_what_they_name(engine: Engine) -> None:
    at = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)
    tags = [
        {
            "licence": LICENCE,
            "uid": f"1A4FF0100000000000000{n:03d}",
            "tag_type": "plant",
            "status": "available",
            "received_at": at,
            "delivered_at": None if n % 2 else at - timedelta(days=1),
        }
        for n in range(4)
    ]
    assign = [
        {
            "k_licence": LICENCE,
            "k_uid": tags[n]["uid"],
            "status": "assigned",
            "item_type": "plant",
            "item_id": item,
            "assigned_at": at,
        }
        for n, item in enumerate(['plant "A", row {1}', "NULL"])
    ]
    with engine.begin() as conn:
        pipelined.run(conn, [Step(TAG_INSERT, tags), Step(TAG_ASSIGN, assign)])
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(TAGS.c.status, TAGS.c.item_id, TAGS.c.delivered_at)
            .where(TAGS.c.licence == LICENCE, TAGS.c.uid.in_([t["uid"] for t in tags]))
            .order_by(TAGS.c.uid)
        ).all()
    assert [tuple(r) for r in stored] == [
        ("assigned", 'plant "A", row {1}', at - timedelta(days=1)),
        ("assigned", "NULL", None),
        ("available", None, at - timedelta(days=1)),
        ("available", None, None),
    ]
