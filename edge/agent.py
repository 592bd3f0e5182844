"""The station agent: devices and the worker in, events out, acks back, a display for people.

Threads: each device has one (:mod:`edge.devices_io`), paho has its network thread, the
display serves each browser on its own; all of them only *post* to the agent's inbox. One
controller thread (:meth:`Agent.run`) takes inputs off the inbox one at a time and does all
the work: workflows, sign-in, writing the outbox (the one writer), publishing, acks, loss of
access, the status topic. So there are no races on the station's state, and the order of
inputs is the order of events.

An input becomes an event only through :meth:`Agent._record`: the envelope is built (the
signed-in operator stamped on it), validated against the contract, and committed to the
outbox; only then is it published. A contract error or a full outbox refuses the input on
the display instead, and nothing is stored.
"""

import importlib.metadata
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from devices.uid import TAG_LENGTH
from edge.access import AccessTracker, Loss
from edge.config import ConfigError, StationConfig, Workflow
from edge.crash import crash_point
from edge.describe import describe
from edge.devices_io import CodeSeen, DeviceHub, DeviceProblem, TagSeen, WeightSeen
from edge.display.server import DisplayServer
from edge.flows import TITLES, FloorMemory, Flow, Result, ScaleGate, make_flow
from edge.link import StationLink, TlsFiles
from edge.mqtt_reasons import Stage
from edge.outbox import Outbox, OutboxFull
from edge.sender import AckVerdict, Sender
from edge.session import Session, SignInError
from edge.view import OUTBOX_FULL_ADVICE, banner, outbox_note, prompt_view, warnings
from schemas.acks import Ack, Outcome
from schemas.clock import Clock
from schemas.events import EventEnvelope
from schemas.status import StationState, StationStatus

log = logging.getLogger("seedtrace.edge")

STATUS_EVERY_S = 60.0
STATUS_MIN_GAP_S = 1.0
TICK_S = 0.1
EMPTY_PAN_FIRST = (
    "Lift the load off the scale: a weight is taken only after the pan has been seen empty"
)


class AgentError(Exception):
    """The agent cannot start (a port taken, the outbox unwritable); the message says why."""


def software_version() -> str:
    try:
        return importlib.metadata.version("seedtrace")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@dataclass
class Action:
    """A touch on the display (or a test's request): ``body["action"]`` says which."""

    body: dict[str, Any]
    done: threading.Event = field(default_factory=threading.Event)
    reply: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _AckIn:
    ack: Ack


@dataclass(frozen=True, slots=True)
class _LinkUp:
    pass


@dataclass(frozen=True, slots=True)
class _LinkDown:
    cause: str


@dataclass(frozen=True, slots=True)
class _PubAck:
    mid: int
    code: int  # the PUBACK's reason code


@dataclass(frozen=True, slots=True)
class _LinkProblem:
    stage: Stage
    message: str | None  # None: that stage works again


class Agent:
    def __init__(self, config: StationConfig, *, clock: Clock) -> None:
        self.config = config
        self.clock = clock  # every time the station stamps or shows reads this
        self.version = software_version()
        self.inbox: queue.Queue[object] = queue.Queue()
        self.outbox = Outbox(
            config.outbox_path,
            clock=clock,
            capacity=config.outbox.capacity,
            warn_ratio=config.outbox.warn_ratio,
        )
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
            self.link = StationLink(
                config.licence,
                config.station_id,
                broker.host,
                broker.port,
                client_id=broker.client_id,
                username=broker.username,
                password=broker.read_password(),
                on_ack=lambda ack: self.inbox.put(_AckIn(ack)),
                tls=tls,
                keepalive=broker.keepalive_s,
                clock=clock,
            )
        except (OSError, ValueError, ConfigError) as err:  # ssl.SSLError is an OSError
            self.outbox.close()
            raise AgentError(f"broker: cannot set up the link to {broker.url}: {err}") from err
        self.link.on_connected = lambda: self.inbox.put(_LinkUp())
        self.link.on_disconnected = lambda cause: self.inbox.put(_LinkDown(cause))
        self.link.on_puback = lambda mid, code: self.inbox.put(_PubAck(mid, code))
        self.link.on_problem = lambda stage, message: self.inbox.put(_LinkProblem(stage, message))
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
        self.session = Session(config.operators, config.sign_in)
        self.devices = DeviceHub(config, self.inbox.put)
        self.memory = FloorMemory()
        self.gate = ScaleGate(config.floor.min_weight_g)
        self.mode: Workflow | None = None
        self.flow: Flow | None = None
        # What the display shows, besides the flow's prompt.
        self.last_scan: dict[str, Any] | None = None
        self.weight: dict[str, Any] | None = None
        self.outcome: dict[str, Any] | None = None
        self.alerts: list[str] = []
        self._latest_event: str | None = None
        self._view: dict[str, Any] = {}
        self._view_version = 0
        self._view_changed = threading.Condition()
        self._status_sent: dict[str, Any] | None = None
        self._status_at = 0.0
        self._outbox_level = "ok"
        self.stopped = threading.Event()
        self.display: DisplayServer | None = None
        if config.display.enabled:
            try:
                self.display = DisplayServer(self, config.display.host, config.display.port)
            except OSError as err:
                self.outbox.close()
                raise AgentError(
                    f"display.port: cannot serve the display on "
                    f"{config.display.host}:{config.display.port}: {err}"
                ) from err

    # -- running -----------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Work until ``stop`` is set: start the link and devices, then the controller loop."""
        self.link.start()
        self.devices.start()
        if self.display is not None:
            self.display.start()
            log.info("display at %s", self.display.url)
        try:
            while not stop.is_set():
                try:
                    item = self.inbox.get(timeout=TICK_S)
                except queue.Empty:
                    item = None
                if item is not None:
                    try:
                        self._handle(item)
                    except Exception:
                        log.exception("input %r failed; the station carries on", item)
                        if isinstance(item, Action):
                            item.reply.update(self._refuse("That failed; the station log says why"))
                self._tick()
                self._refresh_view()
                if isinstance(item, Action):
                    item.done.set()  # after the view shows the action's effect
        finally:
            if self.display is not None:
                self.display.stop()
            self.devices.stop()
            self.link.close(self._status(StationState.OFFLINE, "station stopped"))
            self.outbox.close()
            self.stopped.set()

    def submit(self, body: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
        """Post a display action and wait for the controller's answer."""
        action = Action(body)
        self.inbox.put(action)
        if not action.done.wait(timeout):
            return {"ok": False, "message": "the station is busy; try again"}
        return action.reply

    def view(self, after: int = -1, timeout: float = 0.0) -> tuple[int, dict[str, Any]]:
        """The display's state and its version; waits up to ``timeout`` for a newer one."""
        with self._view_changed:
            if self._view_version <= after and timeout > 0:
                self._view_changed.wait_for(lambda: self._view_version > after, timeout)
            return self._view_version, self._view

    # -- inputs ------------------------------------------------------------------------------

    def _handle(self, item: object) -> None:
        if isinstance(item, WeightSeen):
            self._on_weight(item)
        elif isinstance(item, TagSeen):
            self._on_tag(item.uid, item.device_id)
        elif isinstance(item, CodeSeen):
            self.last_scan = {
                "uid": item.text,
                "device": item.device_id,
                "at": self.clock.now().isoformat(),
            }
            self._refuse(f"Barcode {item.text!r} is not a tag UID")
        elif isinstance(item, DeviceProblem):
            self._on_device_problem(item)
        elif isinstance(item, Action):
            item.reply.update(self._on_action(item.body))
        elif isinstance(item, _AckIn):
            self._on_ack(item.ack)
        elif isinstance(item, _PubAck):
            sequence = self.sender.puback(item.mid)
            if sequence is not None:  # an event's PUBACK (the status's are not the worker's)
                self._on_link_problem(Stage.PUBLISH, self.link.puback_problem(item.code))
                crash_point("after_puback", sequence)
        elif isinstance(item, _LinkUp):
            log.info("connected to the broker")
            self.access.link_up()
            self.sender.reconnected()
            self._status_sent = None  # publish a fresh online status now
        elif isinstance(item, _LinkDown):
            log.warning("broker link down: %s", item.cause)
            self.access.link_down(item.cause, self.clock.now())
        elif isinstance(item, _LinkProblem):
            self._on_link_problem(item.stage, item.message)

    def _on_link_problem(self, stage: Stage, message: str | None) -> None:
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

    def _on_tag(self, uid: str, device_id: str) -> None:
        self.last_scan = {"uid": uid, "device": device_id, "at": self.clock.now().isoformat()}
        if self.session.is_badge(uid):
            try:
                holder = self.session.badge(uid)
            except SignInError as err:
                self._refuse(str(err))
                return
            self._info(f"Hello {holder.name}: enter your PIN")
            return
        if self.session.operator is None:
            self._refuse("Sign in first: tap your badge, or enter your user name")
            return
        if len(uid) != TAG_LENGTH:
            self._refuse(f"{uid} is not a plant tag (and not a registered badge)")
            return
        if self.flow is None:
            self._refuse("Choose what you are doing first (a mode at the top)")
            return
        self.session.touch()
        self._apply(self.flow.tag(uid))

    def _on_weight(self, item: WeightSeen) -> None:
        reading = item.reading
        self.weight = {
            "value": str(reading.value),
            "unit": reading.unit.value,
            "stable": reading.stable,
            "state": "ok",
            "problem": None,
        }
        flow = self.flow
        wants_weight = (
            self.session.operator is not None
            and flow is not None
            and "weight" in flow.prompt().expects
        )
        if not self.gate.offer(reading):
            if wants_weight and self.gate.needs_empty_pan(reading):
                self.weight["problem"] = EMPTY_PAN_FIRST
            return
        if not wants_weight or flow is None:
            return  # a load before its scan: it is taken once the step asks for a weight
        self.gate.taken()
        self.session.touch()
        self._apply(flow.weight(reading))

    def _on_device_problem(self, item: DeviceProblem) -> None:
        if item.device_id != self.config.scale_id:
            return
        previous = self.weight or {}
        self.weight = {**previous, "stable": False, "state": item.reason, "problem": item.problem}
        if item.reason == "unavailable":
            self.weight.pop("value", None)

    def _on_action(self, body: dict[str, Any]) -> dict[str, Any]:
        action = str(body.get("action", ""))
        try:
            if action == "sign_in":
                person = self.session.password(
                    str(body.get("user", "")), str(body.get("password", ""))
                )
                self._signed_in(person.name)
                return {"ok": True, "message": f"Signed in as {person.name}"}
            if action == "pin":
                person = self.session.pin(str(body.get("pin", "")))
                self._signed_in(person.name)
                return {"ok": True, "message": f"Signed in as {person.name}"}
        except SignInError as err:
            self._refuse(str(err))
            return {"ok": False, "message": str(err)}
        if action == "sign_out":
            who = self.session.sign_out()
            self.mode, self.flow = None, None
            self._info("Signed out" if who is None else f"{who.name} signed out")
            return {"ok": True, "message": "Signed out"}
        if self.session.operator is None:
            return self._refuse("Sign in first: tap your badge, or enter your user name")
        self.session.touch()
        if action == "mode":
            try:
                mode = Workflow(str(body.get("mode")))
            except ValueError:
                return self._refuse(f"No mode {body.get('mode')!r}")
            if mode not in self.config.workflows:
                return self._refuse(f"{TITLES[mode]} is not done at this station")
            self.mode, self.flow = mode, make_flow(mode, self.config, self.memory, self.clock)
            return {"ok": True, "message": TITLES[mode]}
        if self.flow is None:
            return self._refuse("Choose what you are doing first (a mode at the top)")
        if action == "choose":
            return self._apply(
                self.flow.choose(str(body.get("key", "")), str(body.get("value", "")))
            )
        if action == "scan":  # a tag's printed number typed in (an unreadable tag)
            uid = str(body.get("uid", "")).strip().upper()
            self.last_scan = {"uid": uid, "device": "keyboard", "at": self.clock.now().isoformat()}
            if len(uid) != TAG_LENGTH or not uid.isalnum():
                return self._refuse(f"{uid!r} is not a 24-character tag UID")
            return self._apply(self.flow.tag(uid))
        return self._refuse(f"Unknown action {action!r}")

    def _signed_in(self, name: str) -> None:
        self._info(f"Signed in as {name}")
        self._record_access()  # a loss noticed while nobody was signed in is recorded now

    # -- results and events ------------------------------------------------------------------

    def _apply(self, result: Result) -> dict[str, Any]:
        if result.refused is not None:
            return self._refuse(result.refused)
        for payload in result.records:
            if not self._record(payload):
                # The flow keeps no trace of it (result.then is not run): scan it again later.
                return {"ok": False, "message": (self.outcome or {}).get("message", "")}
        result.stored()
        if result.message is not None and not result.records:
            self._info(result.message)
        return {"ok": True, "message": result.message or ""}

    def _record(
        self,
        payload: dict[str, Any],
        meta: Callable[[EventEnvelope], dict[str, Any]] | None = None,
        *,
        access_record: bool = False,
    ) -> EventEnvelope | None:
        operator = self.session.operator
        if operator is None:  # the callers check; this is the last line of defence
            self._refuse("Nobody is signed in: nothing recorded")
            return None

        def build(event_id: str, sequence: int) -> EventEnvelope:
            return EventEnvelope.model_validate(
                {
                    "event_id": event_id,
                    "licence": self.config.licence,
                    "station_id": self.config.station_id,
                    "device_id": self._device_for(payload),
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
            self._refuse(f"Not recorded: {where or 'event'}: {problem['msg']}")
            return None
        except OutboxFull as err:
            log.warning("refused %s: %s", payload.get("kind"), err)
            self._refuse(
                f"Not recorded: station storage is full ({err}); {OUTBOX_FULL_ADVICE}. "
                "Do it again once there is room."
            )
            return None
        log.info("recorded #%d %s", event.sequence, event.kind)
        if not access_record:
            self._latest_event = event.event_id
            state = "saved" if self.access.offline else "pending"
            where = "will be sent when access returns" if self.access.offline else "sending…"
            self._set_outcome(
                state,
                describe(payload),
                f"Saved as #{event.sequence}: {where}",
                sequence=event.sequence,
            )
        self.sender.pump()
        return event

    def _device_for(self, payload: dict[str, Any]) -> str | None:
        for key in ("scale_reading",):
            reading = payload.get(key)
            if isinstance(reading, dict):
                return str(reading["device_id"])
        return None

    def _refuse(self, message: str) -> dict[str, Any]:
        self._set_outcome("refused", "Not accepted", message)
        return {"ok": False, "message": message}

    def _info(self, message: str) -> None:
        self._set_outcome("info", message, "")

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
            self._record_access()
        entry = result.entry
        if entry is None:
            return
        what = describe(entry.envelope().payload.model_dump(mode="json"))
        if result.verdict is AckVerdict.REFUSED:
            note = self.outbox.get(entry.event_id)
            self.alerts.insert(
                0,
                f"#{entry.sequence} {what}: refused by the server "
                f"({note.refused if note else ''}). Call your administrator.",
            )
        elif result.verdict is AckVerdict.RETRY_LATER:
            self.alerts.insert(
                0,
                f"#{entry.sequence}: licence {self.config.licence} is not "
                "registered on the server; kept, and sent again later",
            )
        elif result.outcome is Outcome.REJECTED:
            message = "; ".join(v.message for v in ack.violations)
            if entry.event_id != self._latest_event:
                self.alerts.insert(0, f"#{entry.sequence} {what}: rejected: {message}")
        del self.alerts[5:]
        if entry.event_id == self._latest_event and result.verdict is AckVerdict.DECIDED:
            accepted = result.outcome is Outcome.ACCEPTED
            self._set_outcome(
                "accepted" if accepted else "rejected",
                what,
                "Accepted" if accepted else "; ".join(v.message for v in ack.violations),
                rules=[v.rule_id for v in ack.violations],
                sequence=entry.sequence,
            )

    # -- loss of access ----------------------------------------------------------------------

    def _record_access(self) -> None:
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

            event = self._record(lost, meta=state, access_record=True)
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
                self._record(restored, meta=lambda _e: {"access": None}, access_record=True)
                is not None
            ):
                self.access.loss = None

    # -- periodic work -----------------------------------------------------------------------

    def _tick(self) -> None:
        self.sender.pump()
        now = self.clock.now()
        if self.access.check(self.sender.waiting_since(), now):
            loss = self.access.loss
            assert loss is not None
            log.warning("access lost since %s: %s", loss.lost_at.isoformat(), loss.cause)
            self.outbox.set_meta("access", loss.to_json())
            self._record_access()
        if self.session.idle_expired():
            who = self.session.sign_out()
            self.mode, self.flow = None, None
            self._info(f"{who.name if who else 'Operator'} signed out (idle)")
        self._log_outbox_level()
        self._publish_status()

    def _log_outbox_level(self) -> None:
        """One log line each time the outbox crosses a level (ok, nearly full, full)."""
        box = self.outbox
        level = "full" if box.full else "nearly full" if box.filling else "ok"
        if level == self._outbox_level:
            return
        self._outbox_level = level
        note = outbox_note(box.depth, box.capacity, box.filling)
        if note is None:
            log.info("outbox %d of %d: room again", box.depth, box.capacity)
        else:
            log.warning("%s", note)

    def _status(self, state: StationState, message: str | None = None) -> StationStatus:
        return StationStatus(
            state=state,
            at=self.clock.now(),
            software_version=self.version,
            outbox_depth=self.outbox.depth,
            outbox_capacity=self.outbox.capacity,
            last_ack_at=self.sender.last_ack_at,
            devices=dict(self.devices.states),
            message=message,
        )

    def _warnings(self) -> list[str]:
        box = self.outbox
        notes = warnings(self.access, box.depth, box.capacity, box.filling, box.refused_count())
        # A device that is away (a pulled cable, a port that refuses its settings), with why.
        notes += [f"{d} {p}" for d, p in sorted(self.devices.problems.items())]
        notes += [f"broker: {m}" for m in self.link_problems.values()]
        return notes

    def _publish_status(self) -> None:
        if not self.link.connected.is_set():
            return
        status = self._status(StationState.ONLINE, "; ".join(self._warnings()) or None)
        comparable = status.model_dump(exclude={"at", "last_ack_at"})
        now = time.monotonic()
        if comparable == self._status_sent and now - self._status_at < STATUS_EVERY_S:
            return
        if now - self._status_at < STATUS_MIN_GAP_S and self._status_sent is not None:
            return
        self.link.publish_status(status)
        self._status_sent, self._status_at = comparable, now

    # -- the display's view ------------------------------------------------------------------

    def _set_outcome(self, state: str, title: str, message: str, **extra: Any) -> None:
        self.outcome = {
            "state": state,
            "title": title,
            "message": message,
            "at": self.clock.now().isoformat(),
            **extra,
        }

    def _refresh_view(self) -> None:
        view = self._build_view()
        with self._view_changed:
            if view != self._view:
                self._view = view
                self._view_version += 1
                self._view_changed.notify_all()

    def _build_view(self) -> dict[str, Any]:
        operator = self.session.operator
        connected = self.link.connected.is_set()
        depth = self.outbox.depth
        return {
            "station": {
                "licence": self.config.licence,
                "station_id": self.config.station_id,
                "location": self.config.location,
                "kind": self.config.kind,
            },
            "operator": None
            if operator is None
            else {"user_id": operator.user_id, "name": operator.name},
            "modes": [
                {"id": m.value, "label": TITLES[m], "selected": m is self.mode}
                for m in self.config.workflows
            ],
            "mode": None if self.mode is None else self.mode.value,
            "prompt": prompt_view(operator, self.session.badge_holder, self.flow),
            "last_scan": self.last_scan,
            "weight": self.weight,
            "outcome": self.outcome,
            "alerts": list(self.alerts),
            "online": connected and not self.access.offline,
            "access_lost": self.access.offline,
            "banner": banner(connected, self.access, depth, self.config.time_zone),
            "waiting": depth,
            "capacity": self.outbox.capacity,
            "filling": self.outbox.filling,
            "full": self.outbox.full,
            "warnings": self._warnings(),
            "devices": dict(self.devices.states),
        }
