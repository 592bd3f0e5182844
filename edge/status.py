"""What the station tells: its view for the display, and its status for the server.

:class:`Reporter` assembles the display's view (station, operator, modes, prompt, outcome,
banner, warnings, devices) and publishes the station's status (:mod:`schemas.status`, retained
on the status topic) when it changes, at most once a second, and at least once a minute while
connected. It also logs each time the outbox crosses a level (ok, nearly full, full).
"""

import logging
import time
from typing import Any

from edge.devices_io import DeviceHub
from edge.flows import TITLES
from edge.parts import Part, Shared
from edge.uplink import Uplink
from edge.view import banner, outbox_note, prompt_view, warnings
from edge.workflow import Floor
from schemas.status import StationState, StationStatus

log = logging.getLogger("seedtrace.edge")

STATUS_EVERY_S = 60.0
STATUS_MIN_GAP_S = 1.0


class Reporter(Part):
    def __init__(
        self, shared: Shared, *, version: str, floor: Floor, uplink: Uplink, devices: DeviceHub
    ) -> None:
        super().__init__(shared)
        self.version = version
        self.floor = floor
        self.uplink = uplink
        self.devices = devices
        self._status_sent: dict[str, Any] | None = None
        self._status_at = 0.0
        self._outbox_level = "ok"

    def tick(self) -> None:
        self._log_outbox_level()
        self._publish_status()

    def connected(self) -> None:
        """The link is up (again): publish a fresh online status at the next tick."""
        self._status_sent = None

    def status(self, state: StationState, message: str | None = None) -> StationStatus:
        outbox = self.uplink.outbox
        return StationStatus(
            state=state,
            at=self.clock.now(),
            software_version=self.version,
            outbox_depth=outbox.depth,
            outbox_capacity=outbox.capacity,
            last_ack_at=self.uplink.sender.last_ack_at,
            devices=dict(self.devices.states),
            message=message,
        )

    def warnings(self) -> list[str]:
        box = self.uplink.outbox
        notes = warnings(
            self.uplink.access,
            box.depth,
            box.capacity,
            box.filling,
            box.refused_count(),
            self.config.time_zone,
        )
        # A device that is away (a pulled cable, a port that refuses its settings), with why.
        notes += [f"{d} {p}" for d, p in sorted(self.devices.problems.items())]
        notes += [f"broker: {m}" for m in self.uplink.link_problems.values()]
        return notes

    def _log_outbox_level(self) -> None:
        """One log line each time the outbox crosses a level (ok, nearly full, full)."""
        box = self.uplink.outbox
        level = "full" if box.full else "nearly full" if box.filling else "ok"
        if level == self._outbox_level:
            return
        self._outbox_level = level
        note = outbox_note(box.depth, box.capacity, box.filling)
        if note is None:
            log.info("outbox %d of %d: room again", box.depth, box.capacity)
        else:
            log.warning("%s", note)

    def _publish_status(self) -> None:
        link = self.uplink.link
        if not link.connected.is_set():
            return
        status = self.status(StationState.ONLINE, "; ".join(self.warnings()) or None)
        comparable = status.model_dump(exclude={"at", "last_ack_at"})
        now = time.monotonic()
        if comparable == self._status_sent and now - self._status_at < STATUS_EVERY_S:
            return
        if now - self._status_at < STATUS_MIN_GAP_S and self._status_sent is not None:
            return
        link.publish_status(status)
        self._status_sent, self._status_at = comparable, now

    def view(self) -> dict[str, Any]:
        """The display's whole state, as :class:`edge.display.server.DisplayServer` sends it."""
        config, screen, uplink = self.config, self.screen, self.uplink
        operator = self.session.operator
        connected = uplink.link.connected.is_set()
        access, outbox = uplink.access, uplink.outbox
        mode = self.floor.mode
        return {
            "station": {
                "licence": config.licence,
                "station_id": config.station_id,
                "location": config.location,
                "kind": config.kind,
            },
            "operator": None
            if operator is None
            else {"user_id": operator.user_id, "name": operator.name},
            "modes": [
                {"id": m.value, "label": TITLES[m], "selected": m is mode} for m in config.workflows
            ],
            "mode": None if mode is None else mode.value,
            "prompt": prompt_view(operator, self.session.badge_holder, self.floor.flow),
            "last_scan": screen.last_scan,
            "weight": screen.weight,
            "outcome": screen.outcome,
            "alerts": list(screen.alerts),
            "online": connected and not access.offline,
            "access_lost": access.offline,
            "banner": banner(connected, access, outbox.depth, config.time_zone),
            "waiting": outbox.depth,
            "capacity": outbox.capacity,
            "filling": outbox.filling,
            "full": outbox.full,
            "warnings": self.warnings(),
            "devices": dict(self.devices.states),
        }
