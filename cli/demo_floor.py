"""The demo's people and things: a worker at a station (their hands on the simulated devices,
their finger on the station's display) and a camera bench that shows one label at a time.

A :class:`Worker` does what a person does: taps the touchscreen (the display's HTTP API, as
the kiosk page does), holds a tag to the UHF reader or a label to the camera, sets a plant on
the scale and takes it off, and reads the answer the station shows. Each step is printed with
that answer and how long it took from the last action to the server's ack on the screen.
"""

import os
import time
from pathlib import Path
from typing import Any

import typer

from devices.sim.camera import CameraSimulator, write_video
from devices.sim.frames import empty_frame
from devices.sim.scales import ScaleSimulator
from devices.sim.uhf import UhfModuleSim
from edge.remote import StationClient, View

FINAL = ("accepted", "rejected", "refused", "saved")
COLOURS = {
    "accepted": typer.colors.GREEN,
    "rejected": typer.colors.RED,
    "refused": typer.colors.RED,
    "saved": typer.colors.YELLOW,
}


class CameraBench:
    """What the camera sees: the empty bench, or one label. ``camera.avi`` in ``directory`` is a
    symlink the station's camera URL names; it points at a short looping video of either."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "camera.avi"
        self._empty = directory / "empty.avi"
        frames = [empty_frame((640, 360), noise=4, seed=n) for n in range(5)]
        write_video(str(self._empty), frames, 10)
        self._labels: dict[str, CameraSimulator] = {}
        self.clear()

    @property
    def url(self) -> str:
        return f"camera://{self.path.absolute()}?loop=1&fps=10"

    def show(self, code: str) -> None:
        if code not in self._labels:
            self._labels[code] = CameraSimulator(codes=code, frames_per_code="8", gap_frames="0")
        self._point(Path(self._labels[code].path))

    def clear(self) -> None:
        self._point(self._empty)

    def _point(self, target: Path) -> None:
        # Replace the link in one step: the station reopens the file at the end of each loop.
        tmp = self.path.with_suffix(".new")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(target.resolve())
        os.replace(tmp, self.path)

    def close(self) -> None:
        for sim in self._labels.values():
            sim.close()


class Worker:
    def __init__(
        self,
        name: str,
        station: str,
        client: StationClient,
        *,
        uhf: UhfModuleSim,
        scale: ScaleSimulator | None = None,
        camera: CameraBench | None = None,
    ) -> None:
        self.name, self.station, self.client = name, station, client
        self.uhf, self.scale, self.camera = uhf, scale, camera
        self._before: Any = None
        self._since = time.perf_counter()

    # -- the touchscreen -------------------------------------------------------------------

    def _mark(self) -> None:
        self._before = self.client.state().get("outcome")
        self._since = time.perf_counter()

    def sign_in(self, user: str, password: str) -> None:
        reply = self.client.act("sign_in", user=user, password=password)
        self.say(f"signs in as {user}", "accepted" if reply["ok"] else "refused", reply["message"])

    def tap(self, action: str, **fields: Any) -> dict[str, Any]:
        self._mark()
        return self.client.act(action, **fields)

    def mode(self, mode: str) -> None:
        reply = self.tap("mode", mode=mode)
        if not reply["ok"]:
            raise RuntimeError(f"{self.station}: cannot choose {mode}: {reply['message']}")

    def choose(self, key: str, value: str) -> dict[str, Any]:
        return self.tap("choose", key=key, value=value)

    # -- devices -----------------------------------------------------------------------------

    def scan(self, uid: str) -> View:
        """Hold a tag to the UHF reader until the station has read it."""
        self._mark()
        return self.client.scan(uid, self.uhf, f"{self.station} to read {uid}", settle=0.3)

    def show_label(self, code: str) -> View:
        """Hold a printed label under the camera until the station has decoded it."""
        assert self.camera is not None
        self._mark()
        self.camera.show(code)
        try:
            return self.client.wait(
                f"{self.station}'s camera to read {code}",
                lambda v: (v.get("last_scan") or {}).get("uid") == code,
                timeout=30,
            )
        finally:
            self.camera.clear()

    def weigh(self, grams: str) -> None:
        """Set the load on the pan; the scale settles after a few readings."""
        assert self.scale is not None
        self._since = time.perf_counter()
        self.scale.set_weight(grams, motion=4)

    def clear_pan(self) -> None:
        assert self.scale is not None
        self.scale.set_weight("0")
        self.client.wait_empty_pan(f"{self.station}'s empty pan")

    # -- reading the answer ------------------------------------------------------------------

    def answer(self, what: str, timeout: float = 30.0) -> View:
        """Wait for the station's final answer to the last action, and print it."""
        view = self.client.wait(
            f"{self.station}'s answer to: {what}",
            lambda v: (
                v.get("outcome") != self._before and (v.get("outcome") or {}).get("state") in FINAL
            ),
            timeout,
        )
        outcome = view["outcome"]
        ms = (time.perf_counter() - self._since) * 1000
        detail = outcome["message"] if outcome["state"] != "accepted" else ""
        self.say(what, outcome["state"], detail, ms)
        return view

    def say(self, what: str, state: str, detail: str = "", ms: float | None = None) -> None:
        took = "" if ms is None else f" ({ms:.0f} ms)"
        typer.echo(f"  [{self.station}] {self.name}: {what}")
        typer.secho(f"      {state}{took}", fg=COLOURS.get(state), nl=not detail)
        if detail:
            typer.secho(f": {detail}", fg=COLOURS.get(state))
