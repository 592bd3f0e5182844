"""The ingest's log lines as an operator's log collector reads them: JSON, one object a line,
each line about an event naming the event and the station; plain lines for a terminal carry
the same ids."""

import io
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.config import ServerSettings
from server.ingest.parse import Incoming
from server.ingest.pipeline import Pipeline
from server.ingest.worker import IngestWorker
from server.logs import LogFormat, handler
from tests.server.floor import Station, batch_created


@pytest.fixture
def captured() -> Iterator[dict[LogFormat, io.StringIO]]:
    """What the ingest logs, as the JSON and the plain handler write it."""
    logger = logging.getLogger("seedtrace.ingest")
    streams: dict[LogFormat, io.StringIO] = {"json": io.StringIO(), "plain": io.StringIO()}
    handlers = [handler(fmt, stream) for fmt, stream in streams.items()]
    for h in handlers:
        logger.addHandler(h)
    yield streams
    for h in handlers:
        logger.removeHandler(h)


@contextmanager
def unstarted(worker: IngestWorker) -> Iterator[IngestWorker]:
    """A worker whose batches the test hands in; on PostgreSQL its lease session is closed
    at the end (the worker never ran, so nothing else would close it)."""
    try:
        yield worker
    finally:
        if worker.routing is not None:
            worker.routing.ownership.close()


def json_lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_an_event_that_cannot_be_decided_is_logged_with_its_ids(
    engine: Engine,
    clock: ManualClock,
    captured: dict[LogFormat, io.StringIO],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pipeline = Pipeline(engine, clock=clock)

    def broken(*_: object) -> object:
        raise RuntimeError("a bug in a rule")

    monkeypatch.setattr(pipeline, "process", broken)
    station = Station()
    events = [station.event(batch_created("B-1", 5)), station.event(batch_created("B-2", 5))]
    with unstarted(IngestWorker(ServerSettings(), pipeline)) as worker:
        worker._handle([(station.incoming(e), None) for e in events], stop=threading.Event())

    lines = json_lines(captured["json"])
    batch = next(line for line in lines if "a batch of 2 failed" in str(line["message"]))
    assert batch["level"] == "ERROR"
    assert batch["logger"] == "seedtrace.ingest"
    assert batch["event_ids"] == [e.event_id for e in events]
    assert batch["station_ids"] == ["OR-1001/harvest-1"]
    assert "RuntimeError: a bug in a rule" in str(batch["exc_info"])
    alone = [line for line in lines if "could not be decided" in str(line["message"])]
    assert [line["event_id"] for line in alone] == [e.event_id for e in events]
    assert {line["station_id"] for line in alone} == {"harvest-1"}
    assert {line["licence"] for line in alone} == {"OR-1001"}
    plain = captured["plain"].getvalue()
    assert "could not be decided; left for the station to resend [licence=OR-1001 " in plain
    assert f"station_id=harvest-1 event_id={events[0].event_id}]" in plain


def test_a_refused_message_is_logged_with_the_station_its_topic_names(
    engine: Engine, clock: ManualClock, captured: dict[LogFormat, io.StringIO]
) -> None:
    station = Station()
    with unstarted(IngestWorker(ServerSettings(), Pipeline(engine, clock=clock))) as worker:
        worker._handle(
            [(Incoming(station.topic, b"not json", clock.now()), None)], stop=threading.Event()
        )
    (line,) = json_lines(captured["json"])
    assert "refused a message" in str(line["message"])
    assert (line["licence"], line["station_id"]) == ("OR-1001", "harvest-1")
    assert "event_id" not in line  # unreadable: it names none
