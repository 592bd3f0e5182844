"""The outbox on its own: numbering, byte-identical bodies, survival across reopen, removal only
by ack, no silent drop at capacity, refused events kept; and the loss-of-access decisions."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from edge.access import AccessTracker, Loss
from edge.outbox import Outbox, OutboxFull
from schemas.events import EventEnvelope
from tests.pinned import pinned_clock


def builder(payload: dict[str, Any]) -> Any:
    def build(event_id: str, sequence: int) -> EventEnvelope:
        return EventEnvelope.model_validate(
            {
                "event_id": event_id,
                "licence": "OR-1001",
                "station_id": "veg-1",
                "operator_id": "maria.lopez",
                "sequence": sequence,
                "occurred_at": datetime.now(UTC),
                "payload": payload,
            }
        )

    return build


BATCH = {
    "kind": "plant_batch.created",
    "batch_id": "B-1",
    "origin": "seed",
    "count": 10,
    "strain": "Blue Dream",
    "location": "Veg Room 1",
}


def test_events_are_numbered_kept_across_reopen_and_removed_only_by_ack(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db", clock=pinned_clock())
    first = box.append(builder(BATCH))
    second = box.append(builder({**BATCH, "batch_id": "B-2"}))
    assert (first.sequence, second.sequence) == (1, 2)
    assert box.depth == 2
    box.close()

    box = Outbox(
        tmp_path / "outbox.db", clock=pinned_clock()
    )  # a restart (or a power cut after the commit)
    pending = box.pending(10)
    assert [e.sequence for e in pending] == [1, 2]
    assert pending[0].body == first.model_dump_json().encode()  # resent byte for byte
    assert pending[0].event_id == first.event_id
    assert box.remove(first.event_id) is not None
    assert box.remove(first.event_id) is None  # a second ack for it changes nothing
    third = box.append(builder({**BATCH, "batch_id": "B-3"}))
    assert third.sequence == 3  # numbers are never reused, even after removal
    assert [e.sequence for e in box.pending(10)] == [2, 3]
    box.close()


def test_an_invalid_event_stores_nothing_and_uses_no_number(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db", clock=pinned_clock())
    with pytest.raises(ValidationError):
        box.append(builder({**BATCH, "batch_id": "B-1 "}))  # a trailing blank
    assert box.depth == 0
    assert box.append(builder(BATCH)).sequence == 1
    box.close()


def test_a_full_outbox_refuses_new_events_and_warns_before(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db", clock=pinned_clock(), capacity=10, warn_ratio=0.8)
    for n in range(8):
        box.append(builder({**BATCH, "batch_id": f"B-{n}"}))
    assert box.filling
    box.append(builder({**BATCH, "batch_id": "B-8"}))
    box.append(builder({**BATCH, "batch_id": "B-9"}))
    with pytest.raises(OutboxFull, match="holds 10 unsent events"):
        box.append(builder({**BATCH, "batch_id": "B-10"}))
    assert box.depth == 10  # nothing was dropped to make room
    assert box.next_sequence == 11
    box.close()


def test_a_refused_event_is_kept_but_not_sent_again(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db", clock=pinned_clock())
    event = box.append(builder(BATCH))
    box.refuse(event.event_id, "SCHEMA-INVALID: ...")
    assert box.pending(10) == []
    assert [e.refused for e in box.refused()] == ["SCHEMA-INVALID: ..."]
    assert box.depth == 1
    box.close()


def test_meta_is_written_with_the_event(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db", clock=pinned_clock())
    event = box.append(builder(BATCH), meta=lambda e: {"access": {"event_id": e.event_id}})
    box.close()
    box = Outbox(tmp_path / "outbox.db", clock=pinned_clock())
    assert box.meta("access") == {"event_id": event.event_id}
    box.close()


def test_access_is_lost_after_the_threshold_and_restored_by_an_ack() -> None:
    start = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    tracker = AccessTracker(60, None, start)
    tracker.link_up()
    assert not tracker.check(None, start + timedelta(hours=1))  # nothing waiting: fine
    tracker.link_down("connection refused", start + timedelta(seconds=10))
    assert not tracker.check(None, start + timedelta(seconds=69))
    assert tracker.check(None, start + timedelta(seconds=70))
    assert tracker.loss is not None
    assert tracker.loss.lost_at == start + timedelta(seconds=10)
    assert "connection refused" in tracker.loss.cause
    assert not tracker.check(None, start + timedelta(seconds=90))  # recorded once
    tracker.link_up()
    assert tracker.offline
    assert tracker.ack_received(start + timedelta(seconds=100))
    assert not tracker.offline
    restored = Loss.from_json(tracker.loss.to_json())
    assert restored == tracker.loss


def test_a_silent_server_behind_a_reachable_broker_is_a_loss() -> None:
    start = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    tracker = AccessTracker(30, None, start)
    tracker.link_up()
    published = start + timedelta(seconds=5)
    assert not tracker.check(published, start + timedelta(seconds=34))
    assert tracker.check(published, start + timedelta(seconds=35))
    assert tracker.loss is not None
    assert "no acknowledgement from the server" in tracker.loss.cause
    assert tracker.loss.lost_at == published
