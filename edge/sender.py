"""Publishing the outbox in sequence order, and sorting out the server's acks.

:meth:`Sender.pump` publishes the oldest ``window`` unacknowledged events in sequence order;
an event whose ack has not come ``resend_after_s`` after it was published is published again,
byte for byte (the server's idempotency makes that safe). While no ack comes at all, the pause
doubles up to ``MAX_RESEND_S``, so a long server outage does not fill the broker's queue with
copies. After a reconnect everything unacknowledged is published again, oldest first.

:meth:`Sender.on_ack` classifies an ack (:class:`AckVerdict`):

* ``decided``: accepted, rejected by a regulation rule, or a duplicate of either: the event
  leaves the outbox (the server has it, for good);
* ``refused``: a contract rejection (SCHEMA-INVALID, TOPIC-MISMATCH, ...): the server did not
  store it and will refuse it again unchanged. It stays in the outbox, marked, not resent,
  and the station says so: a person must look;
* ``retry_later``: LICENCE-UNKNOWN: not stored; kept and resent (slowly) until the licence is
  registered;
* ``unknown``: an ack for an event not in the outbox (a second copy's ack): ignored.

Runs on the agent's controller thread only.
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from edge.link import LinkError, StationLink
from edge.outbox import Entry, Outbox
from schemas.acks import Ack, ContractRule, Outcome
from schemas.clock import Clock

log = logging.getLogger("seedtrace.edge.sender")

MAX_RESEND_S = 300.0
CONTRACT_RULES = {r.value for r in ContractRule}


class AckVerdict(StrEnum):
    DECIDED = "decided"
    REFUSED = "refused"
    RETRY_LATER = "retry_later"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class AckResult:
    verdict: AckVerdict
    entry: Entry | None
    outcome: Outcome | None  # accepted/rejected for DECIDED (a duplicate's original outcome)


class Sender:
    def __init__(
        self,
        outbox: Outbox,
        link: StationLink,
        *,
        window: int,
        resend_after_s: float,
        clock: Clock,
    ) -> None:
        self.outbox = outbox
        self.clock = clock
        self.link = link
        self.window = window
        self.base_resend = resend_after_s
        self.resend_s = resend_after_s
        self._sent_at: dict[int, float] = {}  # sequence -> monotonic time of last publish
        self._first_sent: dict[int, datetime] = {}  # sequence -> first publish since connect
        self._mids: dict[int, int] = {}  # paho mid -> sequence, until PUBACK
        self.last_ack_at: datetime | None = None

    def reconnected(self) -> None:
        """The link is up again: everything unacknowledged goes out again, in order."""
        self._sent_at.clear()
        self._first_sent.clear()
        self._mids.clear()
        self.resend_s = self.base_resend

    def pump(self) -> int:
        """Publish what is due; returns how many were handed to MQTT."""
        if not self.link.connected.is_set():
            return 0
        now = time.monotonic()
        sent = 0
        resent = False
        for entry in self.outbox.pending(self.window):
            last = self._sent_at.get(entry.sequence)
            if last is not None and now - last < self.resend_s:
                continue
            try:
                mid = self.link.publish_raw(entry.body)
            except LinkError as err:
                log.warning("publishing event %d failed: %s", entry.sequence, err)
                break
            resent = resent or last is not None
            self._sent_at[entry.sequence] = now
            self._first_sent.setdefault(entry.sequence, self.clock.now())
            self._mids[mid] = entry.sequence
            sent += 1
        if resent:  # a whole pause passed without the ack: wait longer before the next try
            self.resend_s = min(self.resend_s * 2, MAX_RESEND_S)
        return sent

    def puback(self, mid: int) -> int | None:
        """The broker has message ``mid``; returns its sequence (for the crash test hook)."""
        return self._mids.pop(mid, None)

    def waiting_since(self) -> datetime | None:
        """Since when acks have been awaited in vain: the later of the oldest unanswered
        publish (this connection) and the last ack received; None when nothing published is
        waiting."""
        oldest = min(self._first_sent.values(), default=None)
        if oldest is None or self.last_ack_at is None:
            return oldest
        return max(oldest, self.last_ack_at)

    def on_ack(self, ack: Ack) -> AckResult:
        self.last_ack_at = self.clock.now()
        self.resend_s = self.base_resend
        entry = None if ack.event_id is None else self.outbox.get(ack.event_id)
        if entry is None:
            if ack.event_id is None:
                log.error("the server refused something unreadable we sent: %s", ack.violations)
            return AckResult(AckVerdict.UNKNOWN, None, None)
        contract = [v for v in ack.violations if v.rule_id in CONTRACT_RULES]
        if ack.outcome is Outcome.REJECTED and contract:
            self._forget(entry.sequence)
            if contract[0].rule_id == ContractRule.LICENCE_UNKNOWN:
                self._sent_at[entry.sequence] = time.monotonic() + MAX_RESEND_S  # much later
                return AckResult(AckVerdict.RETRY_LATER, entry, None)
            reason = "; ".join(f"{v.rule_id}: {v.message}" for v in contract)
            self.outbox.refuse(entry.event_id, reason)
            log.error("the server refuses event %d: %s", entry.sequence, reason)
            return AckResult(AckVerdict.REFUSED, entry, None)
        self.outbox.remove(entry.event_id)
        self._forget(entry.sequence)
        outcome = ack.original_outcome if ack.outcome is Outcome.DUPLICATE else ack.outcome
        return AckResult(AckVerdict.DECIDED, entry, outcome or Outcome.ACCEPTED)

    def _forget(self, sequence: int) -> None:
        self._sent_at.pop(sequence, None)
        self._first_sent.pop(sequence, None)
