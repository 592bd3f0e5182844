"""Scale reading latency per protocol, printed as a markdown table.

    .venv/bin/python benchmarks/device_parts/scales.py [--readings 300]

For each protocol a :class:`~devices.sim.scales.ScaleSimulator` runs on a pty and the real
driver reads it. Two times per reading:

* **frame -> reading**: from the simulator writing the frame's last byte to ``read()``
  returning the :class:`~devices.base.WeightReading` (the pty, pyserial, the codec, the
  driver). Both ends are in this process, so one clock serves.
* **call -> reading**: the whole ``read()`` as a caller sees it: for polled protocols the
  command out, the simulator's answer and the frame back; for Toledo, which streams every
  ``--interval`` seconds, mostly the wait for the next frame.
"""

import argparse
import platform
import statistics
import time
from datetime import date
from decimal import Decimal

from devices.registry import open_device
from devices.sim.scales import PROTOCOLS, ScaleSimulator

EXPECTED = Decimal("123.45")
HEADER = (
    "| protocol | mode | n | frame -> reading p50 ms | p99 ms | call -> reading p50 ms | p99 ms |"
)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(protocol: str, readings: int, interval: float) -> tuple[list[float], list[float]]:
    frame_to_reading: list[float] = []
    call_to_reading: list[float] = []
    with (
        ScaleSimulator(protocol, weight=EXPECTED, interval=interval) as sim,
        open_device(sim.url) as scale,
    ):
        for _ in range(20):  # warm up: imports, first open, caches
            scale.read()
        for _ in range(readings):
            start = time.perf_counter()
            reading = scale.read()
            end = time.perf_counter()
            if not reading.stable or reading.value != EXPECTED:
                raise SystemExit(f"{protocol}: read {reading} instead of {EXPECTED} stable")
            frame_to_reading.append((end - sim.last_write) * 1000)
            call_to_reading.append((end - start) * 1000)
    return frame_to_reading, call_to_reading


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=300)
    parser.add_argument("--interval", type=float, default=0.05, help="Toledo stream period, s")
    args = parser.parse_args()
    print(
        f"{date.today()}, {platform.node() or 'host'}, Python {platform.python_version()}, "
        f"{platform.machine()}, {args.readings} readings per protocol, "
        f"Toledo streaming every {args.interval * 1000:g} ms\n"
    )
    print(HEADER)
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for protocol in PROTOCOLS:
        frame, call = measure(protocol, args.readings, args.interval)
        mode = "streamed" if protocol == "toledo" else "polled"
        print(
            f"| {protocol} | {mode} | {len(frame)} "
            f"| {statistics.median(frame):.2f} | {percentile(frame, 0.99):.2f} "
            f"| {statistics.median(call):.2f} | {percentile(call, 0.99):.2f} |"
        )


if __name__ == "__main__":
    main()
