"""The floor: what a worker's inputs do at the station (sign-in, modes, tags, weights).

:class:`Floor` takes each input the controller hands it: a tag or badge read, a barcode, a
scale reading, a device problem, a touch on the display. It signs people in and out
(:mod:`edge.session`), runs the chosen workflow (:mod:`edge.flows`), and hands what a step
records to :meth:`edge.uplink.Uplink.record`. Refusals go to the display with the reason
("Sign in first: ..."); nothing is recorded then.
"""

from typing import Any

from devices.uid import TAG_LENGTH
from edge.config import Workflow
from edge.devices_io import CodeSeen, DeviceProblem, TagSeen, WeightSeen
from edge.flows import TITLES, FloorMemory, Flow, Result, ScaleGate, make_flow
from edge.parts import Part, Shared
from edge.session import SignInError
from edge.uplink import Uplink

DEVICE_INPUTS = (TagSeen, CodeSeen, WeightSeen, DeviceProblem)
SIGN_IN_FIRST = "Sign in first: tap your badge, or enter your user name"
CHOOSE_MODE_FIRST = "Choose what you are doing first (a mode at the top)"
EMPTY_PAN_FIRST = (
    "Lift the load off the scale: a weight is taken only after the pan has been seen empty"
)


class Floor(Part):
    def __init__(self, shared: Shared, *, uplink: Uplink) -> None:
        super().__init__(shared)
        self.uplink = uplink
        self.memory = FloorMemory()
        self.gate = ScaleGate(shared.config.floor.min_weight_g)
        self.mode: Workflow | None = None
        self.flow: Flow | None = None

    # -- device inputs -----------------------------------------------------------------------

    def device_input(self, item: object) -> None:
        if isinstance(item, WeightSeen):
            self._on_weight(item)
        elif isinstance(item, TagSeen):
            self._on_tag(item.uid, item.device_id)
        elif isinstance(item, CodeSeen):
            self.screen.scanned(item.text, item.device_id)
            self.screen.refuse(f"Barcode {item.text!r} is not a tag UID")
        elif isinstance(item, DeviceProblem):
            self._on_device_problem(item)

    def _on_tag(self, uid: str, device_id: str) -> None:
        self.screen.scanned(uid, device_id)
        if self.session.is_badge(uid):
            try:
                holder = self.session.badge(uid)
            except SignInError as err:
                self.screen.refuse(str(err))
                return
            self.screen.info(f"Hello {holder.name}: enter your PIN")
            return
        if self.session.operator is None:
            self.screen.refuse(SIGN_IN_FIRST)
            return
        if len(uid) != TAG_LENGTH:
            self.screen.refuse(f"{uid} is not a plant tag (and not a registered badge)")
            return
        if self.flow is None:
            self.screen.refuse(CHOOSE_MODE_FIRST)
            return
        self.session.touch()
        self._apply(self.flow.tag(uid))

    def _on_weight(self, item: WeightSeen) -> None:
        reading = item.reading
        weight: dict[str, Any] = {
            "value": str(reading.value),
            "unit": reading.unit.value,
            "stable": reading.stable,
            "state": "ok",
            "problem": None,
        }
        self.screen.weight = weight
        flow = self.flow
        wants_weight = (
            self.session.operator is not None
            and flow is not None
            and "weight" in flow.prompt().expects
        )
        if not self.gate.offer(reading):
            if wants_weight and self.gate.needs_empty_pan(reading):
                weight["problem"] = EMPTY_PAN_FIRST
            return
        if not wants_weight or flow is None:
            return  # a load before its scan: it is taken once the step asks for a weight
        self.gate.taken()
        self.session.touch()
        self._apply(flow.weight(reading))

    def _on_device_problem(self, item: DeviceProblem) -> None:
        if item.device_id != self.config.scale_id:
            return
        previous = self.screen.weight or {}
        weight = {**previous, "stable": False, "state": item.reason, "problem": item.problem}
        if item.reason == "unavailable":
            weight.pop("value", None)
        self.screen.weight = weight

    # -- touches on the display --------------------------------------------------------------

    def action(self, body: dict[str, Any]) -> dict[str, Any]:
        """Do what the display asked; returns its reply (``ok`` and a message)."""
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
            return self.screen.refuse(str(err))
        if action == "sign_out":
            who = self.session.sign_out()
            self.mode, self.flow = None, None
            self.screen.info("Signed out" if who is None else f"{who.name} signed out")
            return {"ok": True, "message": "Signed out"}
        if self.session.operator is None:
            return self.screen.refuse(SIGN_IN_FIRST)
        self.session.touch()
        if action == "mode":
            try:
                mode = Workflow(str(body.get("mode")))
            except ValueError:
                return self.screen.refuse(f"No mode {body.get('mode')!r}")
            if mode not in self.config.workflows:
                return self.screen.refuse(f"{TITLES[mode]} is not done at this station")
            self.mode, self.flow = mode, make_flow(mode, self.config, self.memory, self.clock)
            return {"ok": True, "message": TITLES[mode]}
        if self.flow is None:
            return self.screen.refuse(CHOOSE_MODE_FIRST)
        if action == "choose":
            return self._apply(
                self.flow.choose(str(body.get("key", "")), str(body.get("value", "")))
            )
        if action == "scan":  # a tag's printed number typed in (an unreadable tag)
            uid = str(body.get("uid", "")).strip().upper()
            self.screen.scanned(uid, "keyboard")
            if len(uid) != TAG_LENGTH or not uid.isalnum():
                return self.screen.refuse(f"{uid!r} is not a 24-character tag UID")
            return self._apply(self.flow.tag(uid))
        return self.screen.refuse(f"Unknown action {action!r}")

    def _signed_in(self, name: str) -> None:
        self.screen.info(f"Signed in as {name}")
        self.uplink.record_access()  # a loss noticed while nobody was signed in is recorded now

    def sign_out_if_idle(self) -> None:
        if self.session.idle_expired():
            who = self.session.sign_out()
            self.mode, self.flow = None, None
            self.screen.info(f"{who.name if who else 'Operator'} signed out (idle)")

    # -- results -----------------------------------------------------------------------------

    def _apply(self, result: Result) -> dict[str, Any]:
        if result.refused is not None:
            return self.screen.refuse(result.refused)
        for payload in result.records:
            if self.uplink.record(payload) is None:
                # The flow keeps no trace of it (result.then is not run): scan it again later.
                return {"ok": False, "message": (self.screen.outcome or {}).get("message", "")}
        result.stored()
        if result.message is not None and not result.records:
            self.screen.info(result.message)
        return {"ok": True, "message": result.message or ""}
