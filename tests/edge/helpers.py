"""Stations for the edge tests: configs, a bench of simulated devices, agents in-process or as
real ``seedtrace edge`` subprocesses, and reading the server's event log."""

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import sqlalchemy as sa
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.engine import Engine

from devices.sim.scales import ScaleSimulator
from devices.sim.uhf import UhfModuleSim
from edge.agent import Agent
from edge.config import StationConfig, parse_config
from edge.remote import StationClient, View
from edge.secrets import hash_secret
from edge.toml_out import dumps
from schemas.clock import SYSTEM_CLOCK
from schemas.status import StationStatus

LICENCE = "OR-1001"
STATUS_TOPIC = "seedtrace/v1/OR-1001/harvest-1/status"
SEEDTRACE = str(Path(sys.executable).with_name("seedtrace"))
PASSWORD = "green-thumb"
PIN = "2468"
# Cheap hashes for tests (2^10): the station reads the cost from the hash itself.
OPERATORS = [
    {
        "user_id": "maria.lopez",
        "name": "Maria Lopez",
        "badge": "04A2241AB75C80",
        "pin_hash": hash_secret(PIN, log2_n=10),
        "password_hash": hash_secret(PASSWORD, log2_n=10),
    },
    {
        "user_id": "sam.okafor",
        "name": "Sam Okafor",
        "password_hash": hash_secret(PASSWORD, log2_n=10),
    },
]
ALL_WORKFLOWS = [
    "receive_tags",
    "start_batch",
    "tag_plants",
    "change_phase",
    "move",
    "harvest",
    "weigh_batch",
    "destroy",
    "waste",
    "germinate",
]


def uid(n: int) -> str:
    return f"1A4FF01000000220{n:08d}"


def config_data(
    tmp_path: Path,
    broker_port: int,
    *,
    scale: ScaleSimulator | None,
    uhf: UhfModuleSim | None,
    station_id: str = "harvest-1",
    **overrides: Any,
) -> dict[str, Any]:
    devices: dict[str, Any] = {}
    if scale is not None:
        devices["scale-1"] = {"url": scale.url + "?poll_interval=0.02", "role": "scale"}
    if uhf is not None:
        devices["reader-1"] = {"url": uhf.url + "&window=0.3", "role": "tags"}
    data: dict[str, Any] = {
        "licence": LICENCE,
        "station_id": station_id,
        "location": "Flower Room A",
        "time_zone": "America/Los_Angeles",
        "kind": "test",
        "data_dir": str(tmp_path / station_id),
        "workflows": ALL_WORKFLOWS if scale is not None else ALL_WORKFLOWS[:5],
        "broker": {"url": f"mqtt://127.0.0.1:{broker_port}"},
        "devices": devices,
        "outbox": {"resend_after_s": 2.0},
        "access": {"lost_after_s": 2.0},
        "display": {"port": 0},
        "floor": {"rooms": ["Flower Room A", "Flower Room B"], "drying_rooms": ["Drying 1"]},
        "operators": OPERATORS,
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


def make_config(data: dict[str, Any]) -> StationConfig:
    return parse_config(data)


class InProcessAgent:
    """The real agent on threads of this process; as a context manager, started on entry and
    stopped on exit (also when the test fails)."""

    def __init__(self, config: StationConfig) -> None:
        self.agent = Agent(config, clock=SYSTEM_CLOCK)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.agent.run, args=(self.stop_event,), daemon=True)
        assert self.agent.display is not None
        self.client = StationClient(self.agent.display.url)

    def start(self) -> "InProcessAgent":
        self.thread.start()
        self.client.wait_up()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(15)
        assert not self.thread.is_alive(), "the agent did not stop"

    def __enter__(self) -> "InProcessAgent":
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


class AgentProcess:
    """``seedtrace edge --config station.toml`` as a real subprocess (for SIGKILL tests)."""

    def __init__(
        self,
        data: dict[str, Any],
        path: Path,
        env: dict[str, str] | None = None,
        preexec: Callable[[], None] | None = None,
    ) -> None:
        self.port = _free_port()
        data = {**data, "display": {"port": self.port}}
        path.write_text(dumps(data))
        self.path = path
        self.log = path.with_suffix(".log")
        self.client = StationClient(f"http://127.0.0.1:{self.port}")
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [SEEDTRACE, "edge", "--config", str(path)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                preexec_fn=preexec,
            )
        try:
            self.client.wait_up()
        except TimeoutError as err:
            self.stop()
            raise AssertionError(f"agent did not start: {self.log.read_text()[-2000:]}") from err

    def __enter__(self) -> "AgentProcess":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def wait_killed(self, timeout: float = 30.0) -> int:
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def _free_port() -> int:
    from server.broker import free_port

    return free_port()


class Bench:
    """A worker at a station: simulated devices in hand, the touchscreen in front."""

    def __init__(self, client: StationClient, scale: ScaleSimulator | None, uhf: UhfModuleSim):
        self.client = client
        self.scale = scale
        self.uhf = uhf
        self.before: Any = None  # the outcome shown before the last action

    def _mark(self) -> None:
        self.before = self.client.state().get("outcome")

    def sign_in(self, user: str = "maria.lopez", mode: str | None = None) -> None:
        """Sign in as ``user`` and, given a ``mode``, choose that workflow."""
        self._mark()
        reply = self.client.act("sign_in", user=user, password=PASSWORD)
        assert reply["ok"], reply
        if mode is not None:
            self.mode(mode)

    def mode(self, mode: str) -> None:
        self._mark()
        reply = self.client.act("mode", mode=mode)
        assert reply["ok"], reply

    def choose(self, key: str, value: str) -> dict[str, Any]:
        self._mark()
        return self.client.act("choose", key=key, value=value)

    def scan(self, tag: str) -> View:
        """Hold a tag to the reader until the station shows the scan, then take it away."""
        self._mark()
        return self.client.scan(tag, self.uhf, f"the scan of {tag}", settle=0.4)

    def weigh(self, grams: str) -> None:
        assert self.scale is not None
        self._mark()
        self.scale.set_weight(grams, motion=3)

    def empty_pan(self) -> None:
        assert self.scale is not None
        self.scale.set_weight("0")
        self.client.wait_empty_pan("an empty pan")

    def outcome(self, state: str, timeout: float = 15.0) -> View:
        """Wait for a new outcome (since the last action) in ``state``."""
        return self.client.wait(
            f"outcome {state}",
            lambda v: (
                v.get("outcome") != self.before and (v.get("outcome") or {}).get("state") == state
            ),
            timeout,
        )

    def harvest(self, plant: str, grams: str, outcome: str = "accepted") -> View:
        """Scan ``plant``, weigh it, wait for the outcome in ``outcome``, empty the pan."""
        self.scan(plant)
        self.weigh(grams)
        view = self.outcome(outcome)
        self.empty_pan()
        return view

    def drained(self, timeout: float = 30.0) -> View:
        return self.client.wait(
            "every event acknowledged", lambda v: v["waiting"] == 0 and v["online"], timeout
        )


def event_log(engine: Engine, station_id: str = "harvest-1") -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text(
                    "SELECT sequence, event_id, kind, outcome, operator_id, violations, body "
                    "FROM event_log WHERE station_id = :s ORDER BY sequence"
                ),
                {"s": station_id},
            )
        )


def prepare_plants(broker_port: int, plants: list[str], *, flowering: bool = True) -> None:
    """Put plants on the server from a separate setup station: a roll of tags received,
    a batch started, the plants tagged (and flowering), each event acknowledged."""
    from edge.link import StationLink
    from tests.server.floor import Station, batch_created, tagged, tags_received
    from tests.server.floor import flowering as to_flowering

    setup = Station("setup")
    link = StationLink(
        setup.licence, setup.station_id, "127.0.0.1", broker_port, clock=SYSTEM_CLOCK
    )
    link.connect()
    try:
        payloads = [
            tags_received(1, 200),
            batch_created("B-SETUP", len(plants)),
            tagged("B-SETUP", plants),
        ]
        if flowering:
            payloads.append(to_flowering(plants))
        events = [setup.event(p) for p in payloads]
        for event in events:
            link.publish(event)
        for _ in events:
            ack = link.wait_ack(20)
            assert ack.outcome.value == "accepted", ack
    finally:
        link.close()


class StatusWatcher:
    """The station's retained status, as a monitor subscribed to it sees it; as a context
    manager, unsubscribed on exit."""

    def __init__(self, port: int) -> None:
        self.latest: StationStatus | None = None
        self.changed = threading.Condition()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(STATUS_TOPIC, qos=1)
        self.client.loop_start()

    def _on_message(self, _c: object, _u: object, message: mqtt.MQTTMessage) -> None:
        with self.changed:
            self.latest = StationStatus.model_validate_json(message.payload)
            self.changed.notify_all()

    def wait(self, what: str, check: object, timeout: float = 15.0) -> StationStatus:
        deadline = time.monotonic() + timeout
        with self.changed:
            while self.latest is None or not check(self.latest):  # type: ignore[operator]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no status with {what}; last: {self.latest}")
                self.changed.wait(left)
            return self.latest

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()

    def __enter__(self) -> "StatusWatcher":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
