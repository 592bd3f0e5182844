"""A simulated camera: rendered frames written to a video file the camera driver plays.

The video shows each code of ``codes`` for ``frames_per_code`` frames, with ``gap_frames``
frames of empty bench between codes (so one label held in view counts once, and the next
label is a new read). Frames come from :mod:`devices.sim.frames` with its knobs. The file is
MJPG in an ``.avi`` container (OpenCV's built-in writer; no codec to install).

Options (strings, as ``seedtrace sim camera -o key=value`` passes them):

* ``codes=1A4FF0100000022000000123,LOT-7`` (comma-separated), ``symbology=code128|qr|datamatrix``
* ``size=640x360``, ``fps=10``, ``frames_per_code=5``, ``gap_frames=3``
* ``noise=4`` (grey levels), ``blur=0.7`` (pixels), ``angle=0`` (degrees)
* ``loop=1``: the URL makes the driver start the file over at its end, like a live camera
* ``decoder=`` and ``window=`` are passed on in the URL when given.

:meth:`CameraSimulator.unplug` moves the file away (the driver's next start-over fails:
camera lost) and :meth:`replug` puts it back.
"""

import os
import shutil
import tempfile
from urllib.parse import urlencode

import cv2

from devices.base import ClosingContext
from devices.sim.frames import Image, empty_frame, parse_size, render_frame

DEFAULT_CODE = "1A4FF0100000022000000123"


def write_video(path: str, frames: list[Image], fps: float) -> None:
    """Write BGR frames of one size as MJPG; raises OSError if OpenCV cannot."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(path, cv2.VideoWriter.fourcc(*"MJPG"), fps, (width, height))
    if not writer.isOpened():
        raise OSError(f"OpenCV cannot write MJPG video to {path}")
    try:
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()


class CameraSimulator(ClosingContext):
    def __init__(
        self,
        codes: str = DEFAULT_CODE,
        symbology: str = "code128",
        size: str = "640x360",
        fps: str = "10",
        frames_per_code: str = "5",
        gap_frames: str = "3",
        noise: str = "4",
        blur: str = "0.7",
        angle: str = "0",
        loop: str = "1",
        decoder: str | None = None,
        window: str | None = None,
    ) -> None:
        self.codes = [code for code in codes.split(",") if code]
        if not self.codes:
            raise ValueError("codes= names no code")
        dims = parse_size(size)
        self.fps = float(fps)
        frames: list[Image] = []
        seed = 0
        for code in self.codes:
            for _ in range(int(frames_per_code)):
                seed += 1  # fresh noise in every frame, as from a real sensor
                frames.append(
                    render_frame(
                        code,
                        symbology,
                        dims,
                        angle=float(angle),
                        blur=float(blur),
                        noise=float(noise),
                        seed=seed,
                    )
                )
            for _ in range(int(gap_frames)):
                seed += 1
                frames.append(empty_frame(dims, noise=float(noise), seed=seed))
        self._dir = tempfile.mkdtemp(prefix="seedtrace-camera-")
        self.path = os.path.join(self._dir, "camera.avi")
        self._away = self.path + ".unplugged"
        write_video(self.path, frames, self.fps)
        self.frame_count = len(frames)
        options = {"loop": loop, "fps": fps}
        options.update({k: v for k, v in (("decoder", decoder), ("window", window)) if v})
        self._query = urlencode(options)

    @property
    def url(self) -> str:
        return f"camera://{self.path}?{self._query}"

    def unplug(self) -> None:
        """The camera goes away: the file is moved, so the next start-over fails."""
        os.replace(self.path, self._away)

    def replug(self) -> None:
        os.replace(self._away, self.path)

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)
