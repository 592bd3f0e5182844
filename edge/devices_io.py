"""The station's devices, each read on its own thread, every reading posted to the agent.

What is posted (the agent's controller thread handles them in order):

* :class:`TagSeen`: a tag or badge UID from an RFID reader, or a barcode that is a UID;
* :class:`CodeSeen`: a barcode that is not a UID (shown, then refused by the workflow);
* :class:`WeightSeen`: every scale reading (about 5 a second), stable or not;
* :class:`DeviceProblem`: a device is unavailable or its answer is unusable (overload...).

Drivers come from ``devices`` by URL (:func:`devices.registry.open_device`). A device that
is missing at start, lost later, or whose port cannot be configured is marked ``unavailable``
(the display and the status topic show it, with why) and retried with a back-off: ``RETRY_S``
doubling to ``RETRY_MAX_S`` while it stays away, back to ``RETRY_S`` once it answers. The
log gets one line per change of state ("unavailable: why", "ready again"), not one per try.
The loop never gives up: a broad ``except`` at the top of each device's loop logs the
traceback (an unexpected error is a bug to see) and backs off the same way.

A scale's refusals are put in words for the worker (:data:`READING_PROBLEMS`): an overload
reads "OVERLOAD", not "no answer".
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devices.base import DeviceState, WeightReading
from devices.errors import DeviceError, DeviceUnavailable, ReadingRefused
from devices.registry import open_device
from devices.uid import normalise_uid
from edge.config import DeviceRole, StationConfig

log = logging.getLogger("seedtrace.edge.devices")

RETRY_S = 0.5
RETRY_MAX_S = 10.0
SCALE_POLL_S = 0.2

# What the display says when the scale answers with something that is not a weight.
READING_PROBLEMS = {
    "overload": "OVERLOAD: more than the scale can weigh; take the load off",
    "underload": "UNDERLOAD: below the scale's zero; empty the pan and zero the scale",
    "negative": "below zero: empty the pan and zero the scale",
    "motion": "settling…",
    "device_error": "the scale reports an error",
    "unsupported": "the scale cannot do that",
}


def reading_problem(err: ReadingRefused) -> str:
    """The worker's words for a refused reading, with the scale's own detail for errors."""
    text = READING_PROBLEMS.get(err.reason, err.reason)
    return f"{text} ({err})" if err.reason == "device_error" else text


@dataclass(frozen=True, slots=True)
class TagSeen:
    uid: str
    device_id: str


@dataclass(frozen=True, slots=True)
class CodeSeen:
    text: str
    device_id: str


@dataclass(frozen=True, slots=True)
class WeightSeen:
    reading: WeightReading
    device_id: str


@dataclass(frozen=True, slots=True)
class DeviceProblem:
    device_id: str
    problem: str  # for people: "unavailable: /dev/ttyUSB0 was lost", "overload"
    reason: str  # unavailable, overload, underload, motion, negative, device_error, timeout


class DeviceHub:
    def __init__(self, config: StationConfig, post: Callable[[object], None]) -> None:
        self.config = config
        self.post = post
        self.states: dict[str, str] = {d: DeviceState.CLOSED.value for d in config.devices}
        self.problems: dict[str, str] = {}  # device -> why it is unavailable, for people
        self._delay: dict[str, float] = dict.fromkeys(config.devices, RETRY_S)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for device_id, device in self.config.devices.items():
            target = self._scale if device.role is DeviceRole.SCALE else self._reader
            thread = threading.Thread(
                target=self._guard,
                args=(target, device_id, device.url),
                name=f"device-{device_id}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=3.0)

    def _guard(self, target: Callable[[str, str], None], device_id: str, url: str) -> None:
        while not self._stop.is_set():
            try:
                target(device_id, url)
            except Exception as err:
                if self.states.get(device_id) != "error":  # one traceback per failure, not per try
                    log.exception("device %s failed; starting it again", device_id)
                self._set(device_id, "error")
                self.problems[device_id] = f"failed: {type(err).__name__}: {err}"
                self.post(DeviceProblem(device_id, self.problems[device_id], "error"))
            self._backoff(device_id)

    def _backoff(self, device_id: str) -> None:
        """Wait before the next try; each try in a row waits twice as long, up to RETRY_MAX_S."""
        delay = self._delay[device_id]
        self._stop.wait(delay)
        self._delay[device_id] = min(delay * 2, RETRY_MAX_S)

    def _set(self, device_id: str, state: str) -> None:
        previous = self.states.get(device_id)
        self.states[device_id] = state
        if state == "ready":
            self._delay[device_id] = RETRY_S
            if previous in ("unavailable", "error"):
                self.problems.pop(device_id, None)
                log.info("device %s ready again", device_id)

    # -- readers: RFID tags, badges, barcodes ----------------------------------------------

    def _reader(self, device_id: str, url: str) -> None:
        driver: Any = open_device(url, device_id=device_id)
        try:
            driver.open()
        except DeviceUnavailable as err:
            self._unavailable(device_id, err)
            return
        try:
            while not self._stop.is_set():
                try:
                    for read in driver.reads(timeout=0.5):
                        self._set(device_id, "ready")
                        self._deliver(device_id, read)
                        if self._stop.is_set():
                            return
                    self._set(device_id, driver.state.value)
                except DeviceUnavailable as err:
                    self._unavailable(device_id, err)
                    self._backoff(device_id)
                except ReadingRefused as err:
                    log.warning("device %s: %s", device_id, err)
        finally:
            driver.close()

    def _deliver(self, device_id: str, read: Any) -> None:
        text = str(getattr(read, "uid", None) or getattr(read, "text", ""))
        try:
            uid = normalise_uid(text)
        except ValueError:
            self.post(CodeSeen(text, device_id))
            return
        self.post(TagSeen(uid, device_id))

    def _unavailable(self, device_id: str, err: DeviceError) -> None:
        problem = f"unavailable: {err}; retrying"
        if self.states.get(device_id) != "unavailable":  # the display shows the latest reason
            log.warning("device %s %s", device_id, problem)
        self._set(device_id, "unavailable")
        self.problems[device_id] = problem
        self.post(DeviceProblem(device_id, problem, "unavailable"))

    # -- the scale ---------------------------------------------------------------------------

    def _scale(self, device_id: str, url: str) -> None:
        driver: Any = open_device(url, device_id=device_id)
        try:
            driver.open()
        except DeviceUnavailable as err:
            self._unavailable(device_id, err)  # read() below reopens it when it is back
            self._backoff(device_id)
        try:
            while not self._stop.is_set():
                try:
                    reading = driver.read(timeout=1.0)
                except DeviceUnavailable as err:
                    self._unavailable(device_id, err)
                    self._backoff(device_id)
                    continue
                except ReadingRefused as err:
                    self._set(device_id, "ready")
                    self.post(DeviceProblem(device_id, reading_problem(err), err.reason))
                except TimeoutError as err:
                    self._set(device_id, "no answer")
                    self.post(DeviceProblem(device_id, str(err), "timeout"))
                else:
                    self._set(device_id, "ready")
                    self.post(WeightSeen(reading, device_id))
                self._stop.wait(SCALE_POLL_S)
        finally:
            driver.close()
