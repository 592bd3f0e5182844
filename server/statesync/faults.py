"""Fault knobs shared by both state-API simulators.

A simulator exists to make the connector meet, on purpose and reproducibly, what a state
system does to integrators on a bad day. Each knob is set at start (the CLI's flags build a
:class:`FaultSettings`) and can be changed while running (``POST /_sim/faults`` with a JSON
object of the fields to change; ``GET /_sim/faults`` shows them):

- ``error_rate``: this fraction of requests is answered HTTP 500 **before** anything is done.
- ``latency_s``: every request waits this long before it is handled (a client with a shorter
  read timeout then gives up: on a write, with the outcome unknown).
- ``lose_rate``: this fraction of **writes** is committed and then the connection is dropped
  without an answer: the dangerous case, where the object exists but the caller cannot know.
- ``storm_s``: for this long from when it is set, every request is answered 429 with
  ``Retry-After: storm_retry_after_s``.
- ``outage_s``: for this long from when it is set, every request is answered 503.
- ``session_ttl_s``: a session lives this long (BioTrack's ``sessionid``; for Metrc, the
  validation of a user key, which Metrc answers with a 401 when it lapses). ``expire_sessions``
  (an action in the same POST) ends every session that exists now.

Randomness comes from ``random.Random(seed)``: the same seed and the same sequence of requests
give the same faults. Durations are measured on the simulator's injected clock, so a test with
a :class:`schemas.clock.ManualClock` ends an outage by moving the clock, not by waiting.
The admin paths (``/_sim/...``) are never subject to faults.
"""

import random
import threading
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["FaultSettings", "FaultState", "Interference"]

Rate = Annotated[float, Field(ge=0.0, le=1.0)]
Seconds = Annotated[float, Field(ge=0.0, le=7 * 24 * 3600)]


class FaultSettings(BaseModel):
    """The knobs; all off by default (a well-behaved state system)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = 0
    error_rate: Rate = 0.0
    latency_s: Seconds = 0.0
    lose_rate: Rate = 0.0
    storm_s: Seconds = 0.0
    storm_retry_after_s: Annotated[int, Field(ge=1, le=3600)] = 1
    outage_s: Seconds = 0.0
    session_ttl_s: Annotated[float, Field(gt=0.0)] | None = None


class Interference(BaseModel):
    """What the fault layer does to one request instead of handling it."""

    model_config = ConfigDict(frozen=True)

    status: int
    message: str
    retry_after_s: int | None = None


class FaultState:
    """The knobs in force, the random stream and the windows (storm, outage) they opened.

    Thread-safe: the simulators serve each connection on its own thread.
    """

    def __init__(self, settings: FaultSettings, now: datetime) -> None:
        self._lock = threading.Lock()
        self._settings = settings
        self._rng = random.Random(settings.seed)
        self._storm_until = now + timedelta(seconds=settings.storm_s)
        self._outage_until = now + timedelta(seconds=settings.outage_s)
        self._generation = 0  # bumped by expire_sessions: older sessions are over

    @property
    def settings(self) -> FaultSettings:
        return self._settings

    def update(self, patch: dict[str, Any], now: datetime) -> FaultSettings:
        """Apply the admin endpoint's JSON: fields to change, plus ``expire_sessions: true``.

        Raises ValueError naming the field that is wrong. A storm or outage given here starts
        ``now``; giving a seed restarts the random stream.
        """
        fields = dict(patch)
        expire = fields.pop("expire_sessions", False)
        if not isinstance(expire, bool):
            raise ValueError(f"expire_sessions must be true or false, not {expire!r}")
        with self._lock:
            try:
                merged = FaultSettings.model_validate(self._settings.model_dump() | fields)
            except ValidationError as err:
                raise ValueError(f"bad fault settings: {err}") from err
            self._settings = merged
            if "seed" in fields:
                self._rng = random.Random(merged.seed)
            if "storm_s" in fields:
                self._storm_until = now + timedelta(seconds=merged.storm_s)
            if "outage_s" in fields:
                self._outage_until = now + timedelta(seconds=merged.outage_s)
            if expire:
                self._generation += 1
            return merged

    def describe(self, now: datetime) -> dict[str, Any]:
        """The settings and the windows still open, for ``GET /_sim/faults``."""
        with self._lock:
            return self._settings.model_dump() | {
                "storm_until": self._storm_until.isoformat() if self._storm_until > now else None,
                "outage_until": (
                    self._outage_until.isoformat() if self._outage_until > now else None
                ),
            }

    def interfere(self, now: datetime) -> Interference | None:
        """What, if anything, happens to this request instead of its handling."""
        with self._lock:
            if now < self._outage_until:
                return Interference(status=503, message="The service is unavailable (outage).")
            if now < self._storm_until:
                return Interference(
                    status=429,
                    message="Too many requests.",
                    retry_after_s=self._settings.storm_retry_after_s,
                )
            if self._settings.error_rate > 0 and self._rng.random() < self._settings.error_rate:
                return Interference(status=500, message="An internal error occurred.")
        return None

    def latency_s(self) -> float:
        return self._settings.latency_s

    def lose_response(self) -> bool:
        """Whether the answer to a committed write is to be lost (drawn once per write)."""
        with self._lock:
            rate = self._settings.lose_rate
            return rate > 0 and self._rng.random() < rate

    def session_generation(self) -> int:
        """Stamp a new session with this; ``expire_sessions`` moves it on."""
        with self._lock:
            return self._generation

    def session_alive(self, started_at: datetime, generation: int, now: datetime) -> bool:
        """Whether a session started at ``started_at`` in ``generation`` is valid ``now``."""
        with self._lock:
            if generation != self._generation:
                return False
            ttl = self._settings.session_ttl_s
            return ttl is None or now < started_at + timedelta(seconds=ttl)
