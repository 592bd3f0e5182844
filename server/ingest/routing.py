"""How a station's events reach the ingest process that owns its licensee (PostgreSQL).

The topics carry the licence (``seedtrace/v1/{licence}/{station}/events``), so a process
subscribes, with a plain (not shared) QoS 1 subscription in its persistent session, to
``seedtrace/v1/{licence}/+/events`` for every licensee it holds the lease of
(:mod:`server.ingest.ownership`), and to nothing else. Every event of a licensee then reaches
its owner alone, in each station's order: nothing is held for arriving at the wrong process.

Hand-over, without a moment where nobody listens:

- A licensee **gained** is subscribed at once (the lease first, then the subscription).
- A licensee **given back** (balance) or **lost** (the lease session failed) stays
  subscribed until another process is seen holding its lease (or this one takes it again):
  until then its events still arrive here and are decided here, correctly, under the
  licensee's row lock. For that overlap (about one lease check) both processes receive the
  licensee's events and the second to decide one finds it in the log. That second answer
  (outcome ``duplicate``) is not published (:meth:`Routing.echo`): during a hand-over window
  of ``3 x lease_check_s + 1 s`` a process stays quiet about a duplicate whose original was
  received after the hand-over began. (A station that really resent such an event, having
  lost the first ack, is answered at its next resend.)
- On every (re)connection the persistent session may still hold subscriptions of an earlier
  life of this process: every known licence not wanted, and the shared subscription of the
  single-process mode, are unsubscribed.

Events that still reach a process that does not own their licensee (redelivered from its
session after a restart, or during the overlap) are decided anyway: :attr:`Routing.foreign`
counts them.
"""

import logging
import threading
import time
from collections import OrderedDict
from datetime import datetime, timedelta

import paho.mqtt.client as mqtt

from schemas.acks import Outcome
from schemas.topics import licence_events_filter, shared_events_subscription
from server.ingest.ownership import Change, Ownership
from server.ingest.pipeline import Reply

DECIDED_KEPT = 10_000  # event ids remembered for echo(): far more than a hand-over window sees

log = logging.getLogger("seedtrace.ingest.routing")


class Routing:
    def __init__(self, ownership: Ownership, share_group: str, check_s: float) -> None:
        self.ownership = ownership
        self.share_group = share_group
        self.check_s = check_s
        self.foreign = 0  # events decided here for a licensee this process did not own
        self.echoes = 0  # duplicate answers of a hand-over, not published
        self._handover: dict[str, tuple[float, datetime]] = {}  # licence -> began (mono, clock)
        self._lock = threading.Lock()  # the worker thread and paho's network thread
        self._client: mqtt.Client | None = None  # set while connected
        self._releasing: set[str] = set()  # given back or lost, still subscribed
        self._subscribed: set[str] = set()
        self._last_check: float | None = None
        # Events this process decided itself, lately: a duplicate of one of them is a station's
        # resend (answered), not the other owner's copy of a hand-over.
        self._decided: OrderedDict[str, None] = OrderedDict()

    def wanted(self) -> set[str]:
        return self.ownership.owned | self._releasing

    def owns(self, licence: str) -> bool:
        return licence in self.ownership.owned

    def listening(self, licence: str) -> bool:
        """Whether this process has asked the broker for ``licence``'s events (its SUBSCRIBE
        sent; the broker's SUBACK follows within a round trip on the same connection)."""
        with self._lock:
            return licence in self._subscribed

    # paho's network thread ------------------------------------------------------------

    def connected(self, client: mqtt.Client) -> bool:
        """Subscribe to what this process owns, unsubscribe everything else an earlier life
        of its session may hold. Returns False when there is nothing to subscribe to (the
        process is ready at once)."""
        with self._lock:
            self._client = client
            wanted = self.wanted()
            stale = [licence_events_filter(lic) for lic in sorted(self._known() - wanted)]
            client.unsubscribe([shared_events_subscription(self.share_group), *stale])
            self._subscribed = set()
            return self._sync(client)

    def disconnected(self) -> None:
        with self._lock:
            self._client = None

    # the worker thread ------------------------------------------------------------------

    def due(self) -> bool:
        now = time.monotonic()
        if self._last_check is not None and now - self._last_check < self.check_s:
            return False
        self._last_check = now
        return True

    def decided(self, reply: Reply) -> None:
        """Note an event this process decided (not a duplicate), for :meth:`echo`."""
        if reply.ack.outcome is Outcome.DUPLICATE or reply.ack.event_id is None:
            return
        self._decided[reply.ack.event_id] = None
        while len(self._decided) > DECIDED_KEPT:
            self._decided.popitem(last=False)

    def echo(self, reply: Reply) -> bool:
        """Whether ``reply`` is the second answer to an event during a hand-over of its
        licensee (both processes received it, the other decided it first): not to be
        published. A duplicate of an event this process decided is a station's resend."""
        ack = reply.ack
        if ack.outcome is not Outcome.DUPLICATE or not self._handover:
            return False
        if ack.event_id in self._decided:
            return False
        licence = reply.topic.split("/")[2]
        began = self._handover.get(licence)
        if began is None:
            return False
        if time.monotonic() - began[0] > 3 * self.check_s + 1:
            del self._handover[licence]
            return False
        if ack.received_at >= began[1] - timedelta(seconds=1):
            self.echoes += 1
            return True
        return False

    def tend(self, now: datetime) -> Change:
        """One lease check (:meth:`Ownership.tend`), then the subscriptions to match. Raises
        the database's error when the lease session failed (call :meth:`lost`)."""
        change = self.ownership.tend()
        for licence in change.gained | change.released:
            self._handover[licence] = (time.monotonic(), now)
        with self._lock:
            self._releasing |= change.released
            self._releasing -= self.ownership.owned
            self._releasing -= self.ownership.held_elsewhere
            if self._client is not None:
                self._sync(self._client)
        return change

    def lost(self, now: datetime) -> None:
        """The lease session failed: keep listening to what was owned until others hold it."""
        lost = self.ownership.lost()
        for licence in lost:
            self._handover[licence] = (time.monotonic(), now)
        with self._lock:
            self._releasing |= lost

    def _known(self) -> set[str]:
        return {lic for group in self.ownership.licences.values() for lic in group}

    def _sync(self, client: mqtt.Client) -> bool:
        wanted = self.wanted()
        new, old = wanted - self._subscribed, self._subscribed - wanted
        if old:
            client.unsubscribe([licence_events_filter(lic) for lic in sorted(old)])
        if new:
            client.subscribe([(licence_events_filter(lic), 1) for lic in sorted(new)])
        self._subscribed = wanted
        if new or old:
            log.info(
                "subscribed to the events of %d licensee(s) (+%d, -%d)",
                len(wanted),
                len(new),
                len(old),
            )
        return bool(new)
