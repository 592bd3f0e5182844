"""Loss of access: when it starts, when it ends, and the two records that document it.

OR CTS Requirements (8) and CA 8402(d): work goes on during a loss of access, every activity
is recorded and entered once access returns, the loss is documented, and no transfer happens
meanwhile. The station counts as having lost access when, for ``lost_after_s`` seconds,

* the broker is unreachable (cause: what paho said), or
* the broker is reachable but an event published that long ago still has no ack from the
  server (cause: "no acknowledgement from the server ...").

It then records ``access.lost`` (``lost_at`` = when the trouble began) in sequence order,
keeps working, and when the first ack arrives again records ``access.restored`` with the
``backlog``: how many events were waiting to be entered then (recorded during the loss, or
published just before it began and never answered), the loss record itself not counted.
Both need an operator (no event without one): with nobody signed in, the loss is remembered
and recorded at the next sign-in, with its true times. The state (:class:`Loss`) is kept in
the outbox's meta table, written in the same transaction as each record, so a restart neither
forgets a loss nor records it twice.
"""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any


@dataclass
class Loss:
    lost_at: datetime
    cause: str
    event_id: str | None = None  # the access.lost record, once made
    sequence: int | None = None
    restored_at: datetime | None = None
    restore_cause: str | None = None
    backlog: int | None = None  # events waiting to be entered when access came back

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("lost_at", "restored_at"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "Loss | None":
        if data is None:
            return None
        values = dict(data)
        for key in ("lost_at", "restored_at"):
            if values.get(key) is not None:
                values[key] = datetime.fromisoformat(values[key])
        return cls(**values)


class AccessTracker:
    """Pure decisions; the agent records the events and persists :attr:`loss`."""

    def __init__(self, lost_after_s: float, loss: Loss | None, started: datetime) -> None:
        self.lost_after = timedelta(seconds=lost_after_s)
        self.loss = loss
        self.down_since: datetime | None = started  # not connected yet
        self.down_cause = "the broker has not answered since the station started"
        self.down_refused = False  # the broker answered, and refused the log-on

    def link_down(self, cause: str, at: datetime, *, refused: bool = False) -> None:
        """The broker is not there (``refused``: it is, and refused the log-on; ``cause``
        then says why in full)."""
        if self.down_since is None:
            self.down_since = at
        self.down_cause = cause
        self.down_refused = refused

    def link_up(self) -> None:
        self.down_since = None

    def trouble(self, waiting_since: datetime | None, now: datetime) -> tuple[datetime, str] | None:
        """Since when, and why, the station cannot get its events entered; None if it can.

        ``waiting_since``: since when an ack has been awaited without any arriving: the later
        of the oldest unanswered publish and the last ack received (acks still coming in,
        even slowly, mean the server is there)."""
        if self.down_since is not None:
            if self.down_refused:
                return self.down_since, self.down_cause
            return self.down_since, f"broker unreachable: {self.down_cause}"
        if waiting_since is not None and now - waiting_since >= self.lost_after:
            waited = int((now - waiting_since).total_seconds())
            return waiting_since, (
                f"no acknowledgement from the server for {waited} s (the broker is reachable)"
            )
        return None

    def check(self, waiting_since: datetime | None, now: datetime) -> bool:
        """True when access is newly lost (then :attr:`loss` is set)."""
        if self.loss is not None:
            return False
        found = self.trouble(waiting_since, now)
        if found is None or now - found[0] < self.lost_after:
            return False
        self.loss = Loss(lost_at=found[0], cause=found[1])
        return True

    def ack_received(self, now: datetime) -> bool:
        """True when this ack ends a loss (then ``loss.restored_at`` is set)."""
        if self.loss is None or self.loss.restored_at is not None:
            return False
        self.loss.restored_at = now
        self.loss.restore_cause = self.loss.cause
        return True

    @property
    def offline(self) -> bool:
        """Access lost and not yet back (what the display's banner shows)."""
        return self.loss is not None and self.loss.restored_at is None

    def offline_since(self) -> datetime | None:
        if self.offline and self.loss is not None:
            return self.loss.lost_at
        return self.down_since
