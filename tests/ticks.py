"""Monotonic seconds for code that measures elapsed time (``time.monotonic``'s place)."""


class Ticking:
    """Seconds that move ``step`` forwards at every reading, as if each step between two
    readings took that long: a deadline is crossed after a known number of readings, and no
    test waits for real time."""

    def __init__(self, step: float = 1.0, start: float = 1000.0) -> None:
        self.step = step
        self.now = start

    def __call__(self) -> float:
        self.now += self.step
        return self.now
