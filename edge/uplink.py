"""The station's side of the wire: the outbox, the broker link, the sender, loss of access.

:class:`Uplink` owns them and does, on the controller thread:

* :meth:`Uplink.record`: the one way an input becomes an event. The envelope is built (the
  signed-in operator stamped on it), validated against the contract and committed to the
  outbox; only then is it published. A contract error or a full outbox refuses the input on
  the display instead, and nothing is stored.
* :meth:`Uplink.handle`: what the link reports (log-on, loss, PUBACKs, refusals, acks).
* :meth:`Uplink.tick`: publish what is due; notice a loss of access (no ack in
  ``access.lost_after_s``) and record it (``access.lost``, then ``access.restored`` with the
  backlog once an ack comes), as OR CTS Requirements (8) and CA 8402(d) ask.
"""

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from edge.access import AccessTracker, Loss
from edge.config import ConfigError, StationConfig
from edge.crash import crash_point
from edge.inbox import AckIn, LinkDown, LinkProblem, LinkUp, PubAck
from edge.link import StationLink, TlsFiles
from edge.metrics import StationMetrics
from edge.mqtt_reasons import Stage
from edge.outbox import Outbox, OutboxFull
from edge.parts import Part, Shared
from edge.sender import AckVerdict, Sender
from edge.view import OUTBOX_FULL_ADVICE
from schemas.acks import Ack, Outcome
from schemas.clock import Clock
from schemas.describe import describe_payload
from schemas.events import EventEnvelope

log = logging.getLogger("seedtrace.edge")

LINK_INPUTS = (AckIn, LinkUp, LinkDown, PubAck, LinkProblem)


class UplinkError(Exception):
    """The link cannot be set up (bad TLS files, a bad broker URL); the message says why."""


class Uplink(Part):
    def __init__(
        self, shared: Shared, *, post: Callable[[object], None], metrics: StationMetrics
    ) -> None:
        super().__init__(shared)
        config, clock = shared.config, shared.clock
        self.metrics = metrics
        self.outbox = Outbox(
            config.outbox_path,
            clock=clock,
            capacity=config.outbox.capacity,
            warn_ratio=config.outbox.warn_ratio,
        )
        try:
            self.link = _make_link(config, clock, post)
        except UplinkError:
            self.outbox.close()
            raise
        self.link_problems: dict[Stage, str] = {}  # what the broker refused, for people
        self.sender = Sender(
            self.outbox,
            self.link,
            window=config.outbox.window,
            resend_after_s=config.outbox.resend_after_s,
            clock=clock,
        )
        last_ack = self.outbox.meta("last_ack_at")
        self.sender.last_ack_at = None if last_ack is None else datetime.fromisoformat(last_ack)
        self.access = AccessTracker(
            config.access.lost_after_s,
            Loss.from_json(self.outbox.meta("access")),
            self.clock.now(),
        )
        self.connected_once = False

    # -- what the link reports ---------------------------------------------------------------

    def handle(self, item: object) -> None:
        if isinstance(item, AckIn):
            self._on_ack(item.ack)
        elif isinstance(item, PubAck):
            sequence = self.sender.puback(item.mid)
            if sequence is not None:  # an event's PUBACK (the status's are not the worker's)
                self._on_problem(Stage.PUBLISH, self.link.puback_problem(item.code))
                crash_point("after_puback", sequence)
        elif isinstance(item, LinkUp):
            log.info("connected to the broker")
            if self.connected_once:
                self.metrics.reconnects.inc()
            self.connected_once = True
            self.access.link_up()
            self.sender.reconnected()
        elif isinstance(item, LinkDown):
            log.warning("broker link down: %s", item.cause)
            self.access.link_down(item.cause, self.clock.now())
        elif isinstance(item, LinkProblem):
            self._on_problem(item.stage, item.message)

    def _on_problem(self, stage: Stage, message: str | None) -> None:
        """The broker refused something (or it works again): one log line per change."""
        if message is None:
            if self.link_problems.pop(stage, None) is not None:
                log.info("broker: the station's %s works again", stage.value)
            return
        if self.link_problems.get(stage) != message:
            log.warning("broker: %s", message)
            self.link_problems[stage] = message
        if stage is Stage.CONNECT:  # paho retries; access is lost while the log-on is refused
            self.access.link_down(message, self.clock.now(), refused=True)

    # -- recording ---------------------------------------------------------------------------

    def record(
        self,
        payload: dict[str, Any],
        meta: Callable[[EventEnvelope], dict[str, Any]] | None = None,
        *,
        access_record: bool = False,
    ) -> EventEnvelope | None:
        """Store ``payload`` as the signed-in operator's event and publish it; None (and the
        refusal on the display) when nobody is signed in, the contract refuses it, or the
        outbox is full."""
        operator = self.session.operator
        if operator is None:  # the callers check; this is the last line of defence
            self.screen.refuse("Nobody is signed in: nothing recorded")
            return None

        def build(event_id: str, sequence: int) -> EventEnvelope:
            return EventEnvelope.model_validate(
                {
                    "event_id": event_id,
                    "licence": self.config.licence,
                    "station_id": self.config.station_id,
                    "device_id": _device_for(payload),
                    "operator_id": operator.user_id,
                    "sequence": sequence,
                    "occurred_at": self.clock.now(),
                    "payload": payload,
                }
            )

        try:
            # Loss-of-access records document the outage itself: kept even when full.
            event = self.outbox.append(build, meta=meta, over_capacity=access_record)
        except ValidationError as err:
            problem = err.errors()[0]
            where = ".".join(str(p) for p in problem["loc"][2:] if not str(p).startswith("plant"))
            self.screen.refuse(f"Not recorded: {where or 'event'}: {problem['msg']}")
            return None
        except OutboxFull as err:
            log.warning("refused %s: %s", payload.get("kind"), err)
            self.screen.refuse(
                f"Not recorded: station storage is full ({err}); {OUTBOX_FULL_ADVICE}. "
                "Do it again once there is room."
            )
            return None
        log.info("recorded #%d %s", event.sequence, event.kind)
        if not access_record:
            self.screen.latest_event = event.event_id
            state = "saved" if self.access.offline else "pending"
            where = "will be sent when access returns" if self.access.offline else "sending…"
            self.screen.set_outcome(
                state,
                describe_payload(payload, brief=True),
                f"Saved as #{event.sequence}: {where}",
                sequence=event.sequence,
            )
        self.pump()
        return event

    def pump(self) -> None:
        self.metrics.published.inc(self.sender.pump())

    # -- acks --------------------------------------------------------------------------------

    def _on_ack(self, ack: Ack) -> None:
        loss = self.access.loss
        if loss is not None and loss.restored_at is None:
            # The backlog: every event waiting now (before this ack removes one) was recorded
            # during the loss, or was waiting to be entered when it began.
            loss.backlog = self.outbox.count_waiting(exclude=loss.event_id)
        restored = self.access.ack_received(self.clock.now())
        result = self.sender.on_ack(ack)
        self.outbox.set_meta("last_ack_at", self.clock.now().isoformat())
        if restored and loss is not None:
            log.info("access restored; %s event(s) were recorded meanwhile", loss.backlog)
            self.outbox.set_meta("access", loss.to_json())
            self.record_access()
        entry = result.entry
        if entry is None:
            return
        self._count(result.verdict, result.outcome, ack)
        screen = self.screen
        what = describe_payload(entry.envelope().payload.model_dump(mode="json"), brief=True)
        if result.verdict is AckVerdict.REFUSED:
            note = self.outbox.get(entry.event_id)
            screen.alert(
                f"#{entry.sequence} {what}: refused by the server "
                f"({note.refused if note else ''}). Call your administrator."
            )
        elif result.verdict is AckVerdict.RETRY_LATER:
            screen.alert(
                f"#{entry.sequence}: licence {self.config.licence} is not "
                "registered on the server; kept, and sent again later"
            )
        elif result.outcome is Outcome.REJECTED:
            message = "; ".join(v.message for v in ack.violations)
            if entry.event_id != screen.latest_event:
                screen.alert(f"#{entry.sequence} {what}: rejected: {message}")
        if entry.event_id == screen.latest_event and result.verdict is AckVerdict.DECIDED:
            accepted = result.outcome is Outcome.ACCEPTED
            screen.set_outcome(
                "accepted" if accepted else "rejected",
                what,
                "Accepted" if accepted else "; ".join(v.message for v in ack.violations),
                rules=[v.rule_id for v in ack.violations],
                sequence=entry.sequence,
            )

    def _count(self, verdict: AckVerdict, outcome: Outcome | None, ack: Ack) -> None:
        if verdict is AckVerdict.DECIDED and outcome is not None:
            self.metrics.acked.labels(outcome=outcome.value).inc()
        if verdict is not AckVerdict.RETRY_LATER and (
            verdict is AckVerdict.REFUSED or outcome is Outcome.REJECTED
        ):
            for rule_id in sorted({v.rule_id for v in ack.violations}):
                self.metrics.rejected.labels(rule_id=rule_id).inc()

    # -- loss of access ----------------------------------------------------------------------

    def tick(self) -> None:
        """Publish what is due, and notice (and record) a loss of access."""
        self.pump()
        if self.access.check(self.sender.waiting_since(), self.clock.now()):
            loss = self.access.loss
            assert loss is not None
            log.warning("access lost since %s: %s", loss.lost_at.isoformat(), loss.cause)
            self.outbox.set_meta("access", loss.to_json())
            self.record_access()

    def record_access(self) -> None:
        """Record what the loss state calls for, if someone is signed in to attribute it to.
        The state is written in the same transaction as each record (outbox meta)."""
        loss = self.access.loss
        if loss is None or self.session.operator is None:
            return
        if loss.event_id is None:
            lost = {
                "kind": "access.lost",
                "lost_at": loss.lost_at.isoformat(),
                "cause": loss.cause[:500],
                "station_id": self.config.station_id,
            }

            def state(event: EventEnvelope) -> dict[str, Any]:
                named = {"event_id": event.event_id, "sequence": event.sequence}
                return {"access": {**loss.to_json(), **named}}

            event = self.record(lost, meta=state, access_record=True)
            if event is None:
                return
            loss.event_id, loss.sequence = event.event_id, event.sequence
        if loss.restored_at is not None and loss.sequence is not None:
            restored = {
                "kind": "access.restored",
                "lost_event_id": loss.event_id,
                "restored_at": loss.restored_at.isoformat(),
                "cause": (loss.restore_cause or loss.cause)[:500],
                "backlog": loss.backlog or 0,
            }
            if (
                self.record(restored, meta=lambda _e: {"access": None}, access_record=True)
                is not None
            ):
                self.access.loss = None


def _device_for(payload: dict[str, Any]) -> str | None:
    reading = payload.get("scale_reading")
    if isinstance(reading, dict):
        return str(reading["device_id"])
    return None


def _make_link(config: StationConfig, clock: Clock, post: Callable[[object], None]) -> StationLink:
    """The broker link, its callbacks posting to the controller's inbox."""
    broker = config.broker
    tls = None
    if broker.tls:
        tls = TlsFiles(
            *(
                None if p is None else str(p)
                for p in (broker.ca_file, broker.cert_file, broker.key_file)
            )
        )
    try:
        link = StationLink(
            config.licence,
            config.station_id,
            broker.host,
            broker.port,
            client_id=broker.client_id,
            username=broker.username,
            password=broker.read_password(),
            on_ack=lambda ack: post(AckIn(ack)),
            tls=tls,
            keepalive=broker.keepalive_s,
            clock=clock,
        )
    except (OSError, ValueError, ConfigError) as err:  # ssl.SSLError is an OSError
        raise UplinkError(f"broker: cannot set up the link to {broker.url}: {err}") from err
    link.on_connected = lambda: post(LinkUp())
    link.on_disconnected = lambda cause: post(LinkDown(cause))
    link.on_puback = lambda mid, code: post(PubAck(mid, code))
    link.on_problem = lambda stage, message: post(LinkProblem(stage, message))
    return link
