"""The ingest process: paho-mqtt over MQTT v5, manual acks.

Which events reach it: on PostgreSQL, the events of the licensees it holds the lease of
(:mod:`server.ingest.ownership`, :mod:`server.ingest.routing`), and its ingest transactions run
on the connection that holds those leases; on SQLite (one process), every station's events
through the shared subscription ``$share/{share_group}/seedtrace/v1/+/+/events``.

Threads: paho's network loop receives messages, parses them (:func:`server.ingest.parse.parse`:
size, JSON, schema, topic; done there because that thread is otherwise idle while the worker
waits for the database) and queues them; :meth:`IngestWorker.run` takes them off the queue in
batches (up to ``batch_size``, or what arrived within ``batch_wait_ms``; up to
``backlog_batch_size`` when more than ``batch_size`` are already waiting), runs the pipeline,
publishes each station's ack, and only then acknowledges the broker (``client.ack``). A
process killed at any point before that leaves the message unacknowledged; the broker
redelivers it when the process's persistent session (same ``client_id``) reconnects, and the
pipeline answers it as a duplicate if it had already committed. Exactly-once *effect*, not
exactly-once delivery.

Between batches, on the same thread (one thread decides and keeps the leases, so a stop
signal reaches one loop): the lease check (PostgreSQL, every ``lease_check_s``), the sequence
gap report, every ``deadline_sweep_s`` the deadline sweep
(:func:`server.compliance.deadlines.sweep`: overdue marking, DAILY-RECONCILE, TAG-SUPPLY) with
the day's hash chain checkpoints, and the analytics refresh (:mod:`server.analytics.refresh`)
in slices: a round takes every licensee (on PostgreSQL those owned) stalest first, one slice
per pass of the loop, until all have had their turn; the next round starts
``analytics_refresh_s`` after. The ingest comes first: while events wait in the inbox (or
a batch was answered within :data:`BUSY_FOR_S`) a slice is one licensee and the next waits
until the refresh has taken no more than ``analytics_busy_share`` of the worker's time;
otherwise a slice runs for up to
``analytics_slice_s`` (PostgreSQL: ``lease_check_s`` at most, so the leases are kept). A
licensee's refresh is never cut: a slice ends after the licensee that crosses its time.

Failure handling:

- The database is unreachable, or a lock timed out: nothing is acknowledged; the same batch
  is retried with a growing pause. Events wait in the broker meanwhile.
- An unexpected error in one event: the batch is split and retried event by event; an event
  that fails alone is logged with its traceback and acknowledged to the broker *without* a
  station ack, so the station keeps it in its outbox and resends it later. Nothing is lost and
  the worker keeps running.
- Garbage (not JSON, wrong schema, oversized, topic and envelope disagree): refused with a
  rejection ack on the station's ack topic when the topic names a station, logged, never
  stored.
"""

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from typing import Any, TypeVar, cast

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import exc as sa_exc

from schemas.acks import Ack
from schemas.topics import Channel, shared_events_subscription, topic
from server.analytics.refresh import refresh as refresh_analytics
from server.compliance.deadlines import sweep
from server.config import ServerSettings
from server.ingest.ownership import Ownership
from server.ingest.parse import Incoming, Parsed, Refused, parse
from server.ingest.pipeline import Pipeline, Reply, open_gaps
from server.ingest.routing import Routing
from server.logs import batch_ids, log_context, refused_ids
from server.metrics import ServerMetrics
from server.mqttclient import make_client
from server.store.integrity import take_checkpoints

log = logging.getLogger("seedtrace.ingest")

# Errors that mean "the database is not there right now": retry, acknowledge nothing.
TRANSIENT_DB_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)
# After a batch, the ingest counts as busy this long (s) though its inbox is empty: the
# stations' next events are on their way (an ack's round trip, a few ms).
BUSY_FOR_S = 1.0
# The longest a pass waits for a first event (s) before it looks at what is due between
# batches (leases, gap report, sweep, analytics).
WAIT_S = 0.2


T = TypeVar("T")


def _guarded(what: str, work: Callable[[], T]) -> T | None:
    """``work()``, or None when it failed: a periodic job at the top of the ingest loop logs
    its failure and is tried again next time; the ingest goes on."""
    try:
        return work()
    except TRANSIENT_DB_ERRORS as err:
        log.error("could not %s: %s", what, err)
    except Exception:  # the top of the loop: log it, keep ingesting, try next time
        log.exception("could not %s", what)
    return None


@dataclass(slots=True)
class _Round:
    """An analytics refresh round under way: who is left, and what its slices did so far."""

    began: float  # the worker's monotonic seconds
    left: set[str] | None = None  # None: nobody taken yet (the round takes everyone)
    slices: int = 0
    refreshed: int = 0
    raised: int = 0
    cleared: int = 0


class IngestWorker:
    def __init__(
        self,
        settings: ServerSettings,
        pipeline: Pipeline,
        *,
        on_reply: Callable[[Reply], None] | None = None,
        metrics: ServerMetrics | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``monotonic``: elapsed seconds, for when the periodic jobs are due and how long a
        refresh slice may run (tests hand in one they advance)."""
        self.settings = settings
        self.monotonic = monotonic
        self.pipeline = pipeline
        self.on_reply = on_reply
        self.inbox: queue.Queue[tuple[Incoming, Parsed | Refused | None]] = queue.Queue()
        self.metrics = ServerMetrics() if metrics is None else metrics  # served by the API app
        self.metrics.watch_queue(self.inbox.qsize)
        self.connected = threading.Event()
        self.processed = 0
        self.held = 0  # events held for an earlier sequence (out of order)
        self.routing: Routing | None = None  # PostgreSQL: licensee ownership
        if pipeline.engine.dialect.name == "postgresql":
            ownership = Ownership(pipeline.engine, lease_timeout_s=settings.lease_timeout_s)
            self.routing = Routing(ownership, settings.share_group, settings.lease_check_s)
        self.client = self._make_client()
        self._last_gap_check = monotonic()
        self._last_sweep: float | None = None  # the first sweep runs at start
        self._last_analytics: float | None = None  # when the last round ended; None: at start
        self._analytics: _Round | None = None  # the round under way
        self._analytics_rest_until = 0.0  # with events waiting, no slice before this
        self._last_batch_at: float | None = None  # when the last batch was answered
        self._checkpoint_day: date | None = None  # the UTC day of the last checkpoints

    def _make_client(self) -> mqtt.Client:
        s = self.settings
        client = make_client(
            s,
            client_id=s.client_id,
            username=s.mqtt_username,
            password=s.mqtt_password,
            manual_ack=True,
        )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    # paho callbacks (network thread) -------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.error("broker refused the connection: %s", reason)
            return
        if self.routing is not None:
            if not self.routing.connected(client):
                self.connected.set()  # nothing owned yet: ready as it is
            log.info(
                "connected to %s:%s as %s; subscribing to the licensees it owns",
                self.settings.mqtt_host,
                self.settings.mqtt_port,
                self.settings.client_id,
            )
            return
        group = self.settings.share_group
        client.subscribe(shared_events_subscription(group), qos=1)
        log.info(
            "connected to %s:%s as %s; subscribed to the shared group %s",
            self.settings.mqtt_host,
            self.settings.mqtt_port,
            self.settings.client_id,
            group,
        )

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _mid: int, reasons: Any, _p: Any) -> None:
        if any(r.is_failure for r in reasons):
            log.error("the broker refused the events subscription: %s", reasons)
            return
        self.connected.set()  # ready: events published from now on reach this group

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.connected.clear()
        if self.routing is not None:
            self.routing.disconnected()
        log.warning("disconnected from the broker (%s); paho reconnects", reason)

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        incoming = Incoming(
            message.topic,
            bytes(message.payload),
            self.pipeline.clock.now(),
            (message.mid, message.qos),
        )
        try:
            outcome: Parsed | Refused | None = parse(incoming, self.settings.max_payload_bytes)
        except Exception:  # never out of paho's loop: the worker parses it again and reports
            outcome = None
        self.inbox.put((incoming, outcome))

    # the worker loop -------------------------------------------------------------------

    def start(self) -> None:
        # paho declares no types on Properties' constructor: give it one.
        props = cast(Callable[[int], Properties], Properties)(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.settings.session_expiry_s
        self.client.connect_async(
            self.settings.mqtt_host,
            self.settings.mqtt_port,
            keepalive=30,
            clean_start=False,
            properties=props,
        )
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        if self.routing is not None:
            self.routing.ownership.close()

    def run(self, stop: threading.Event) -> None:
        """Process messages until ``stop`` is set."""
        self._tend_leases()  # leases first: the first connection subscribes to them
        self.start()
        try:
            while not stop.is_set():
                self.turn(stop)
        finally:
            self.stop()

    def turn(self, stop: threading.Event) -> None:
        """One pass of the loop: a batch, if one comes within :meth:`_wait_s`, then what is
        due between batches."""
        batch = self._next_batch(timeout=self._wait_s())
        if batch:
            self._handle(batch, stop)
            self._last_batch_at = self.monotonic()
        self._tend_leases()
        self._report_gaps()
        self._sweep_deadlines()
        self._refresh_analytics()

    def _wait_s(self) -> float:
        """How long this pass waits for a first event (s): :data:`WAIT_S`, or while an
        analytics round is under way until its next slice is due: none when the ingest is
        idle (idle time is the refresh's), else until the refresh's rest ends or the ingest
        falls idle, whichever is first. Not none while it rests: a pass that does not wait
        spins, and the spinning thread took the interpreter from the MQTT client's thread
        and the cores from the broker and the database while the stations' next events were
        on their way."""
        if self._analytics is None:
            return WAIT_S
        if self._last_batch_at is None:
            return 0.0
        due = min(self._analytics_rest_until, self._last_batch_at + BUSY_FOR_S)
        return min(WAIT_S, max(0.0, due - self.monotonic()))

    def _next_batch(self, timeout: float) -> list[tuple[Incoming, Parsed | Refused | None]]:
        try:
            first = self.inbox.get(timeout=timeout)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.settings.batch_wait_ms / 1000
        size = self.settings.batch_size
        if self.inbox.qsize() >= size:  # a backlog: fewer, larger transactions drain it
            size = max(size, self.settings.backlog_batch_size)
        while len(batch) < size:
            remaining = deadline - time.monotonic()
            try:
                batch.append(
                    self.inbox.get(timeout=remaining) if remaining > 0 else self.inbox.get_nowait()
                )
            except queue.Empty:
                break
        return batch

    def _handle(
        self, batch: list[tuple[Incoming, Parsed | Refused | None]], stop: threading.Event
    ) -> None:
        events: list[tuple[Incoming, Parsed]] = []
        for message, parsed in batch:
            outcome = parse(message, self.settings.max_payload_bytes) if parsed is None else parsed
            if isinstance(outcome, Refused):
                log.warning(
                    "refused a message on %s: %s",
                    message.topic,
                    outcome.reason,
                    extra=refused_ids(outcome.station, outcome.ack.event_id),
                )
                if outcome.station is not None:
                    self._publish(
                        Reply(
                            topic(
                                outcome.station.licence, outcome.station.station_id, Channel.ACKS
                            ),
                            outcome.ack,
                        )
                    )
                    self.metrics.acks_published([outcome.ack])
            else:
                events.append((message, outcome))
        with log_context(batch_ids([p.envelope for _, p in events])):
            replies = self._process_with_retry([p for _, p in events], stop)
        if replies is None:  # stopping while the database was down: acknowledge nothing
            return
        published: list[Ack] = []
        for reply in replies:
            if self.routing is not None:
                self.routing.decided(reply)
            if self.routing is None or not self.routing.echo(reply):
                self._publish(reply)
                published.append(reply.ack)
        self.metrics.acks_published(published)
        for message, _ in batch:
            self._ack_broker(message)
        self.processed += len(batch)
        self.metrics.batch_done([m.received_at for m, _ in batch], self.pipeline.clock.now())

    def _process(self, events: list[Parsed]) -> list[Reply]:
        if self.routing is None:
            result = self.pipeline.process(events)
        else:
            result = self.pipeline.process(events, self.routing.ownership.connection())
            self.routing.foreign += sum(
                1 for p in events if not self.routing.owns(p.envelope.licence)
            )
        self.held += result.held
        return result.replies

    def _process_with_retry(
        self, events: list[Parsed], stop: threading.Event
    ) -> list[Reply] | None:
        pause = 0.5
        while True:
            try:
                return self._process(events)
            except TRANSIENT_DB_ERRORS as err:
                log.error("database unavailable (%s); retrying in %.1f s", err, pause)
                if self.routing is not None:
                    self.routing.lost(self.pipeline.clock.now())
            except Exception:
                if len(events) == 1:
                    log.exception(
                        "event %s could not be decided; left for the station to resend",
                        events[0].envelope.event_id,
                    )
                    return []
                log.exception("a batch of %d failed; deciding its events one by one", len(events))
                replies: list[Reply] = []
                for event in events:
                    with log_context(batch_ids([event.envelope])):
                        one = self._process_with_retry([event], stop)
                    if one is None:
                        return None
                    replies.extend(one)
                return replies
            if stop.wait(pause):
                return None
            pause = min(pause * 2, 10.0)

    def _publish(self, reply: Reply) -> None:
        info = self.client.publish(reply.topic, reply.ack.model_dump_json(), qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS and info.rc != mqtt.MQTT_ERR_NO_CONN:
            # NO_CONN: paho queues it and sends on reconnect. Anything else is lost here; the
            # station will resend the event and get the stored answer then.
            log.error(
                "could not publish the ack on %s: %s",
                reply.topic,
                mqtt.error_string(info.rc),
                extra={"event_id": reply.ack.event_id},
            )
        if self.on_reply is not None:
            self.on_reply(reply)

    def _ack_broker(self, message: Incoming) -> None:
        if isinstance(message.token, tuple):
            mid, qos = message.token
            if qos > 0:
                self.client.ack(mid, qos)

    def _tend_leases(self) -> None:
        """Every ``lease_check_s`` (PostgreSQL): keep the leases balanced and the
        subscriptions matching them (:meth:`Routing.tend`)."""
        if self.routing is None or not self.routing.due():
            return
        try:
            self.routing.tend(self.pipeline.clock.now())
        except TRANSIENT_DB_ERRORS as err:
            log.error("could not check the licensee leases: %s", err)
            self.routing.lost(self.pipeline.clock.now())

    def _report_gaps(self) -> None:
        now = self.monotonic()
        if now - self._last_gap_check < self.settings.gap_report_after_s / 2:
            return
        self._last_gap_check = now
        older_than = self.pipeline.clock.now() - timedelta(seconds=self.settings.gap_report_after_s)
        try:
            gaps = open_gaps(self.pipeline.engine, older_than)
        except TRANSIENT_DB_ERRORS as err:
            log.error("could not check for sequence gaps: %s", err)
            return
        for gap in gaps:
            log.warning(
                "station %s/%s: sequence %d has not arrived; %d later events (from %d) have "
                "waited since %s",
                gap.licence,
                gap.station_id,
                gap.missing_from,
                gap.held_count,
                gap.first_held,
                gap.oldest_received_at.isoformat(),
                extra={"licence": gap.licence, "station_id": gap.station_id},
            )

    def _checkpoint(self) -> None:
        """With each sweep: today's checkpoint of each licensee's hash chain, the first time a
        sweep runs on a UTC day (``docs/integrity.md``); later sweeps that day find it taken."""
        now = self.pipeline.clock.now()
        if self._checkpoint_day == now.astimezone(UTC).date():
            return
        taken = _guarded(
            "take the hash chain's checkpoints", lambda: take_checkpoints(self.pipeline.engine, now)
        )
        if taken is None:
            return
        self._checkpoint_day = now.astimezone(UTC).date()
        if taken:
            log.info("hash chain checkpoints taken for %d licensees", len(taken))

    def _refresh_analytics(self) -> None:
        """One slice of the analytics refresh round under way, or of a new one when the last
        ended ``analytics_refresh_s`` ago (the first at start): the balances and signals of
        the licensees whose record moved (:func:`server.analytics.refresh.refresh`), stalest
        first; on PostgreSQL only those this process owns, so two processes never refresh one
        licensee at once. A failed slice ends the round (logged); the next round tries again."""
        began = self.monotonic()
        if self._analytics is None:
            last = self._last_analytics
            if last is not None and began - last < self.settings.analytics_refresh_s:
                return
            self._analytics = _Round(began)
        # Busy: events wait, or a batch was answered within BUSY_FOR_S. Stations send their
        # next events when their acks arrive, so under load the inbox is empty for a moment
        # after each batch; an idle slice then (up to analytics_slice_s) held their answers
        # back, and the refresh took more than its share (x0.68 at 10M events, not x0.8).
        recent = self._last_batch_at is not None and began - self._last_batch_at < BUSY_FOR_S
        busy = self.inbox.qsize() > 0 or recent
        if busy and began < self._analytics_rest_until:
            return  # the ingest's turn
        slice_s = 0.0 if busy else self._idle_slice_s()
        rnd = self._analytics
        only = rnd.left
        if self.routing is not None:
            owned = set(self.routing.ownership.owned)
            only = owned if only is None else only & owned
        report = _guarded(
            "refresh the analytics",
            lambda: refresh_analytics(
                self.pipeline.engine,
                self.pipeline.clock.now(),
                only=only,
                until=began + slice_s,
                timer=self.monotonic,
            ),
        )
        ended = self.monotonic()
        share = self.settings.analytics_busy_share
        self._analytics_rest_until = ended + (ended - began) * (1 - share) / share
        rnd.slices += 1
        if report is not None:
            rnd.refreshed += len(report.refreshed)
            rnd.raised += report.raised
            rnd.cleared += report.cleared
            rnd.left = set(report.left)
            if report.left:
                return
        self._analytics, self._last_analytics = None, ended
        if rnd.refreshed:
            log.info(
                "analytics: %d licensees refreshed in %d slices over %.1f s; "
                "signals %d raised, %d cleared",
                rnd.refreshed,
                rnd.slices,
                ended - rnd.began,
                rnd.raised,
                rnd.cleared,
            )

    def _idle_slice_s(self) -> float:
        """How long a slice may run with no events waiting: ``analytics_slice_s``, and on
        PostgreSQL no longer than a lease check interval, so the leases are checked on time."""
        if self.routing is None:
            return self.settings.analytics_slice_s
        return min(self.settings.analytics_slice_s, self.settings.lease_check_s)

    def _sweep_deadlines(self) -> None:
        """Every ``deadline_sweep_s``: mark overdue notifications, open the day's
        DAILY-RECONCILE, check TAG-SUPPLY (:mod:`server.compliance.deadlines.sweep`)."""
        now = self.monotonic()
        if self._last_sweep is not None and now - self._last_sweep < self.settings.deadline_sweep_s:
            return
        self._last_sweep = now
        self._checkpoint()
        with self.metrics.sweep_time.time():
            report = _guarded(
                "run the deadline sweep",
                lambda: sweep(
                    self.pipeline.engine,
                    self.pipeline.clock.now(),
                    self.pipeline.deadlines.settings,
                ),
            )
        if report is not None and (report.opened or report.overdue or report.resolved):
            log.info(
                "deadline sweep: %d opened, %d overdue, %d resolved across %d licensees",
                report.opened,
                report.overdue,
                report.resolved,
                report.licensees,
            )
