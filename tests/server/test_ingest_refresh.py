"""The ingest worker's analytics refresh between batches: in slices, the ingest first.

The worker is driven a pass of its loop at a time (:meth:`IngestWorker.turn`) with events
handed into its inbox, on monotonic seconds that move at every reading (:class:`Ticking`), so
nothing here waits for real time or asserts one."""

import itertools
import logging
import threading
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from schemas.acks import Outcome
from schemas.clock import SYSTEM_CLOCK
from server.config import ServerSettings
from server.ingest.pipeline import Pipeline, Reply
from server.ingest.worker import WAIT_S, IngestWorker
from tests.server.conftest import add_unstaffed_licensee
from tests.server.floor import Station, tags_received
from tests.server.test_logs import unstarted
from tests.sql import count
from tests.ticks import Ticking

LICENSEES = 8  # the engine fixture's two and six more


def refreshed(engine: Engine) -> int:
    return count(engine, "SELECT count(*) FROM analytics_runs")


def worker_on(engine: Engine, ticks: Ticking, replies: list[Reply]) -> IngestWorker:
    for n in range(LICENSEES - 2):
        add_unstaffed_licensee(engine, f"OR-30{n:02d}", f"Farm {n}", "OR")
    settings = ServerSettings(
        batch_size=2,
        backlog_batch_size=2,
        deadline_sweep_s=3600,
        gap_report_after_s=3600,
    )
    pipeline = Pipeline(engine, clock=SYSTEM_CLOCK)
    worker = IngestWorker(settings, pipeline, on_reply=replies.append, monotonic=ticks)
    worker._tend_leases()  # PostgreSQL: this one process takes every licensee's lease
    return worker


def test_events_are_answered_between_the_slices_of_a_long_refresh(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    replies: list[Reply] = []
    station = Station()
    events = [station.event(tags_received(1 + 10 * i, 10 + 10 * i)) for i in range(12)]
    stop = threading.Event()
    caplog.set_level(logging.INFO, logger="seedtrace.ingest")
    with unstarted(worker_on(engine, Ticking(), replies)) as worker:
        for event in events:
            worker.inbox.put((station.incoming(event), None))
        trace = [(0, 0)]  # (events answered, licensees refreshed) after each pass
        while worker.inbox.qsize() > 0:
            worker.turn(stop)
            trace.append((len(replies), refreshed(engine)))
        busy = trace[:]
        for _ in range(2 * LICENSEES):  # no events waiting: the refresh's turn
            if trace[-1][1] == LICENSEES:
                break
            worker.turn(stop)
            trace.append((len(replies), refreshed(engine)))

    assert [r.ack.outcome for r in replies] == [Outcome.ACCEPTED] * len(events)
    # While events waited: a batch answered at every pass, a slice of at most one licensee at
    # some of them, and between two slices a batch answered.
    assert all(b[0] > a[0] for a, b in itertools.pairwise(busy))
    assert all(b[1] - a[1] <= 1 for a, b in itertools.pairwise(busy))
    slices = [i for i in range(1, len(busy)) if busy[i][1] > busy[i - 1][1]]
    assert len(slices) >= 2
    assert all(busy[j][0] > busy[i][0] for i, j in itertools.pairwise(slices))
    # The refresh was under way before the last event was answered, and ended after.
    assert busy[-1] == (len(events), len(slices))
    assert len(slices) < LICENSEES
    assert trace[-1] == (len(events), LICENSEES)
    (done,) = [r.message for r in caplog.records if r.message.startswith("analytics:")]
    assert done.startswith(f"analytics: {LICENSEES} licensees refreshed in ")


def test_with_no_events_waiting_a_slice_takes_several_licensees(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="seedtrace.ingest")
    stop = threading.Event()
    # A tenth of a second per reading: a slice of analytics_slice_s (0.5 s) takes several.
    with unstarted(worker_on(engine, Ticking(0.1), [])) as worker:
        worker.turn(stop)
        first = refreshed(engine)
        assert 1 < first < LICENSEES
        worker.turn(stop)
        assert refreshed(engine) == LICENSEES
        worker.turn(stop)  # the round is over: the next waits analytics_refresh_s
    (done,) = [r.message for r in caplog.records if r.message.startswith("analytics:")]
    assert done.startswith(f"analytics: {LICENSEES} licensees refreshed in 2 slices")


def test_just_after_a_batch_an_empty_inbox_is_not_idleness(engine: Engine) -> None:
    """Stations send their next events when their acks arrive, so under load the inbox is
    empty for a moment after each batch: the slice then is still one licensee, as with events
    waiting, and only once no batch came for BUSY_FOR_S does a slice take several."""
    replies: list[Reply] = []
    station = Station()
    stop = threading.Event()
    # A tenth of a second per reading: an idle slice (0.5 s) would take several licensees.
    with unstarted(worker_on(engine, Ticking(0.1), replies)) as worker:
        worker.inbox.put((station.incoming(station.event(tags_received(1, 10))), None))
        worker.turn(stop)
        assert [r.ack.outcome for r in replies] == [Outcome.ACCEPTED]
        assert refreshed(engine) == 1
        for _ in range(2 * LICENSEES):  # no more events: soon idle, and the round ends
            worker.turn(stop)
            if refreshed(engine) == LICENSEES:
                break
        assert refreshed(engine) == LICENSEES


def test_while_the_refresh_rests_the_worker_waits_for_the_next_events(engine: Engine) -> None:
    """Between two slices under load the refresh rests, and a pass with no event waiting then
    waits for the stations' next ones (their acks are on their way back): a pass that did not
    wait spun, taking a core and the interpreter from the broker and the MQTT client's
    thread that was bringing those events in."""
    replies: list[Reply] = []
    station = Station()
    stop = threading.Event()
    waits: list[float | None] = []  # the timeout of each wait for a first event of a pass
    with unstarted(worker_on(engine, Ticking(0.1), replies)) as worker:
        taken = worker._next_batch

        def next_batch(timeout: float) -> Any:
            waits.append(timeout)
            return taken(timeout)

        worker._next_batch = next_batch  # type: ignore[method-assign]
        worker.inbox.put((station.incoming(station.event(tags_received(1, 10))), None))
        worker.turn(stop)  # the batch, then a slice of one licensee: the refresh rests
        assert (len(replies), refreshed(engine)) == (1, 1)
        worker.turn(stop)  # nothing waiting, still busy: the rest is the ingest's
        assert refreshed(engine) == 1
        worker.inbox.put((station.incoming(station.event(tags_received(11, 20))), None))
        worker.turn(stop)
        assert [r.ack.outcome for r in replies] == [Outcome.ACCEPTED] * 2
    assert waits[0] == WAIT_S  # no round under way yet
    assert 0 < waits[1] <= WAIT_S
