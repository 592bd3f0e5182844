"""Count a tag or code once while it stays in view.

A UHF module reports a tag on every inventory round and a camera decodes the same label in
every frame; a worker means one scan. :class:`RepeatFilter` lets a key through, then drops it
while it keeps being seen within ``window`` seconds of its previous sighting (each sighting
extends the window). A key unseen for longer than ``window`` counts again.
"""

import time
from collections.abc import Callable


class RepeatFilter:
    def __init__(self, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        if window < 0:
            raise ValueError("window must be >= 0 seconds")
        self.window = window
        self._clock = clock
        self._last_seen: dict[str, float] = {}

    def accept(self, key: str) -> bool:
        """True if this sighting counts as a new read."""
        now = self._clock()
        previous = self._last_seen.get(key)
        self._last_seen[key] = now
        if len(self._last_seen) > 4096:  # forget keys long out of view; bounded memory
            cutoff = now - self.window
            self._last_seen = {k: t for k, t in self._last_seen.items() if t >= cutoff}
        return previous is None or now - previous > self.window
