"""The station's devices, each read on its own thread, every reading posted to the agent.

What is posted (the agent's controller thread handles them in order):

* :class:`TagSeen`: a tag or badge UID from an RFID reader, or a barcode that is a UID;
* :class:`CodeSeen`: a barcode that is not a UID (shown, then refused by the workflow);
* :class:`WeightSeen`: every scale reading (about 5 a second), stable or not;
* :class:`DeviceProblem`: a device is unavailable or its answer is unusable (overload...).

Drivers come from ``devices`` by URL (:func:`devices.registry.open_device`). A device that
is missing at start or lost later is retried every ``RETRY_S`` seconds: the drivers reopen by
themselves, and this loop never gives up (a broad ``except`` at the top of each loop logs the
traceback and keeps the station alive, a broad except only at the top of a loop).
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
SCALE_POLL_S = 0.2


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
            except Exception:
                log.exception("device %s failed; starting it again", device_id)
                self._set(device_id, "error")
            self._stop.wait(RETRY_S)

    def _set(self, device_id: str, state: str) -> None:
        self.states[device_id] = state

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
                    self._stop.wait(RETRY_S)
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
        if self.states.get(device_id) != "unavailable":
            log.warning("device %s unavailable: %s", device_id, err)
        self._set(device_id, "unavailable")
        self.post(DeviceProblem(device_id, f"unavailable: {err}", "unavailable"))

    # -- the scale ---------------------------------------------------------------------------

    def _scale(self, device_id: str, url: str) -> None:
        driver: Any = open_device(url, device_id=device_id)
        try:
            driver.open()
        except DeviceUnavailable as err:
            self._unavailable(device_id, err)  # read() below reopens it when it is back
        try:
            while not self._stop.is_set():
                try:
                    reading = driver.read(timeout=1.0)
                except DeviceUnavailable as err:
                    self._unavailable(device_id, err)
                    self._stop.wait(RETRY_S)
                    continue
                except ReadingRefused as err:
                    self._set(device_id, "ready")
                    self.post(DeviceProblem(device_id, str(err), err.reason))
                except TimeoutError as err:
                    self._set(device_id, "no answer")
                    self.post(DeviceProblem(device_id, str(err), "timeout"))
                else:
                    self._set(device_id, "ready")
                    self.post(WeightSeen(reading, device_id))
                self._stop.wait(SCALE_POLL_S)
        finally:
            driver.close()
