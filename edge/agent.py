"""The station agent: devices and the worker in, events out, acks back, a display for people.

Threads: each device has one (:mod:`edge.devices_io`), paho has its network thread, the
display serves each browser on its own; all of them only *post* to the agent's inbox. One
controller thread (:meth:`Agent.run`) takes inputs off the inbox one at a time and does all
the work, so there are no races on the station's state, and the order of inputs is the order
of events. :class:`Agent` is the coordinator; the work is done by its parts:

* :class:`edge.workflow.Floor`: sign-in, modes and workflows (tags, weights, touches);
* :class:`edge.uplink.Uplink`: the outbox (the one writer), publishing, acks, loss of access;
  an input becomes an event only through :meth:`edge.uplink.Uplink.record`;
* :class:`edge.screen.Screen` and :class:`edge.status.Reporter`: what the display shows and
  what the status topic says;
* :class:`edge.metrics.StationMetrics`: counters for a site's monitoring (``[metrics]``).

The uplink, the floor and the reporter share the config, clock, session and screen through
one :class:`edge.parts.Shared`.
"""

import importlib.metadata
import logging
import queue
import threading
from typing import Any
from wsgiref.simple_server import WSGIServer

from edge.config import StationConfig
from edge.devices_io import DeviceHub
from edge.display.server import DisplayServer
from edge.inbox import Action, LinkUp
from edge.metrics import StationMetrics
from edge.parts import Shared
from edge.screen import Screen
from edge.session import Session
from edge.status import Reporter
from edge.uplink import LINK_INPUTS, Uplink, UplinkError
from edge.workflow import DEVICE_INPUTS, Floor
from schemas.clock import Clock
from schemas.status import StationState

log = logging.getLogger("seedtrace.edge")

TICK_S = 0.1


class AgentError(Exception):
    """The agent cannot start (a port taken, the outbox unwritable); the message says why."""


def software_version() -> str:
    try:
        return importlib.metadata.version("seedtrace")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class Agent:
    def __init__(self, config: StationConfig, *, clock: Clock) -> None:
        self.config = config
        self.clock = clock  # every time the station stamps or shows reads this
        self.inbox: queue.Queue[object] = queue.Queue()
        self.screen = Screen(clock)
        self.session = Session(config.operators, config.sign_in)
        self.metrics = StationMetrics()
        shared = Shared(config, clock, self.session, self.screen)
        try:
            self.uplink = Uplink(shared, post=self.inbox.put, metrics=self.metrics)
        except UplinkError as err:
            raise AgentError(str(err)) from err
        self.devices = DeviceHub(config, self.inbox.put)
        self.floor = Floor(shared, uplink=self.uplink)
        self.reporter = Reporter(
            shared,
            version=software_version(),
            floor=self.floor,
            uplink=self.uplink,
            devices=self.devices,
        )
        outbox = self.uplink.outbox
        self.metrics.watch(lambda: outbox.depth, outbox.capacity, lambda: dict(self.devices.states))
        self.stopped = threading.Event()
        self.display: DisplayServer | None = None
        self.metrics_server: WSGIServer | None = None
        try:
            self._serve()
        except AgentError:
            if self.display is not None:  # bound, not serving yet: nothing to shut down
                self.display.httpd.server_close()
            outbox.close()
            raise

    def _serve(self) -> None:
        """Bind the display's and the metrics' ports (served once :meth:`run` starts)."""
        config = self.config
        if config.display.enabled:
            try:
                self.display = DisplayServer(self, config.display.host, config.display.port)
            except OSError as err:
                raise AgentError(
                    f"display.port: cannot serve the display on "
                    f"{config.display.host}:{config.display.port}: {err}"
                ) from err
        if config.metrics.enabled:
            try:
                self.metrics_server, _ = self.metrics.serve(
                    config.metrics.host, config.metrics.port
                )
            except OSError as err:
                raise AgentError(
                    f"metrics.port: cannot serve metrics on "
                    f"{config.metrics.host}:{config.metrics.port}: {err}"
                ) from err

    @property
    def metrics_url(self) -> str | None:
        """Where ``/metrics`` is served (None when ``[metrics]`` is off)."""
        if self.metrics_server is None:
            return None
        host, port = self.metrics_server.server_address[:2]
        return f"http://{host!s}:{port}/metrics"

    def _close_servers(self) -> None:
        if self.metrics_server is not None:
            self.metrics_server.shutdown()
            self.metrics_server.server_close()

    # -- running -----------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Work until ``stop`` is set: start the link and devices, then the controller loop."""
        self.uplink.link.start()
        self.devices.start()
        if self.display is not None:
            self.display.start()
            log.info("display at %s", self.display.url)
        if self.metrics_url is not None:
            log.info("metrics at %s", self.metrics_url)
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
                            failed = self.screen.refuse("That failed; the station log says why")
                            item.reply.update(failed)
                self._tick()
                self.screen.publish(self.reporter.view())
                if isinstance(item, Action):
                    item.done.set()  # after the view shows the action's effect
        finally:
            if self.display is not None:
                self.display.stop()
            self._close_servers()
            self.devices.stop()
            self.uplink.link.close(self.reporter.status(StationState.OFFLINE, "station stopped"))
            self.uplink.outbox.close()
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
        return self.screen.view(after, timeout)

    # -- the controller's work ---------------------------------------------------------------

    def _handle(self, item: object) -> None:
        if isinstance(item, DEVICE_INPUTS):
            self.floor.device_input(item)
        elif isinstance(item, Action):
            item.reply.update(self.floor.action(item.body))
        elif isinstance(item, LINK_INPUTS):
            self.uplink.handle(item)
            if isinstance(item, LinkUp):
                self.reporter.connected()

    def _tick(self) -> None:
        self.uplink.tick()
        self.floor.sign_out_if_idle()
        self.reporter.tick()
