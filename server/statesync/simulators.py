"""The two state-API simulators, ready to run: store + faults + app + loopback HTTP server.

``with MetrcSimulator(path, clock=..., vendor_key=...) as sim:`` serves on ``sim.url`` (a free
loopback port unless one is given) until the block ends; ``seedtrace sim metrc`` and
``seedtrace sim biotrack`` do the same from the command line. ``set_faults(**knobs)`` is the
in-process twin of ``POST /_sim/faults``. Time is the injected ``clock`` only.
"""

from pathlib import Path
from types import TracebackType
from typing import Any, Self

from schemas.clock import Clock
from server.statesync.biotrack_sim import BioTrackApp
from server.statesync.faults import FaultSettings, FaultState
from server.statesync.metrc_sim import MetrcApp
from server.statesync.simhttp import SimApp, SimServer
from server.statesync.simstore import SimStore

__all__ = ["BioTrackSimulator", "MetrcSimulator"]


class _Simulator:
    def __init__(
        self, store: SimStore, app: SimApp, faults: FaultState, clock: Clock, host: str, port: int
    ) -> None:
        self.store = store
        self.faults = faults
        self.clock = clock
        self.server = SimServer(app, faults, clock, host, port)

    @property
    def url(self) -> str:
        return self.server.url

    def set_faults(self, **knobs: Any) -> FaultSettings:
        """Change fault knobs now (``expire_sessions=True`` included); ValueError if wrong."""
        return self.faults.update(knobs, self.clock.now())

    def start(self) -> str:
        return self.server.start()

    def stop(self) -> None:
        self.server.stop()
        self.store.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class MetrcSimulator(_Simulator):
    """The Metrc v2-shaped simulator; ``app`` seeds facilities, users and tags."""

    def __init__(
        self,
        db: str | Path,
        *,
        clock: Clock,
        vendor_key: str,
        faults: FaultSettings | None = None,
        rate_limit_per_s: int = 50,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        store = SimStore(db)
        state = FaultState(faults or FaultSettings(), clock.now())
        self.app = MetrcApp(
            store, clock, state, vendor_key=vendor_key, rate_limit_per_s=rate_limit_per_s
        )
        super().__init__(store, self.app, state, clock, host, port)


class BioTrackSimulator(_Simulator):
    """The BioTrack-shaped JSON-RPC simulator (``url`` + ``/serverjson.asp``); ``app`` seeds
    users (``app.add_user(licence, username, password)``)."""

    def __init__(
        self,
        db: str | Path,
        *,
        clock: Clock,
        faults: FaultSettings | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        store = SimStore(db)
        state = FaultState(faults or FaultSettings(), clock.now())
        self.app = BioTrackApp(store, clock, state)
        super().__init__(store, self.app, state, clock, host, port)
