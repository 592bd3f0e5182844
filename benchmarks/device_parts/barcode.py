"""Decode time and success rate of zbar and zxing-cpp on rendered camera frames.

Run: ``.venv/bin/python benchmarks/device_parts/barcode.py [--frames 60]``; prints a markdown
table for ``docs/devices-barcode.md``.

Each cell decodes the same frames with every decoder, in alternating order so neither
always runs on a warm cache: a 24-character Code 128 UID (as printed on Metrc-style tags)
or a QR code of the same text, centred at the largest whole module size that fills <= 90%
of the frame, turned by a random angle in [-5, 5] degrees, blurred (sigma 0.7 px) and with
Gaussian sensor noise (sigma 3 = good light, 8 = dim). Frames are grayscale, as the camera
driver hands them over. Times are per frame, wall clock (``perf_counter``): median and
90th percentile. Success means the expected text was among the codes found.
"""

import argparse
import os
import platform
import random
import statistics
import time
from datetime import UTC, datetime
from importlib.metadata import version

import cv2
import numpy as np

from devices.barcode.decoders import Decoder, ZbarDecoder, ZxingDecoder
from devices.sim.frames import Image, render_frame

UID = "1A4FF0100000022000000123"
SIZES = [(640, 360), (1280, 720)]
SYMBOLOGIES = [("Code 128", "code128"), ("QR", "qr")]
NOISE = [3.0, 8.0]


def decoders() -> list[tuple[str, Decoder]]:
    return [
        ("zbar", ZbarDecoder()),
        ("zxing", ZxingDecoder()),
        ("zxing, invert on", ZxingDecoder(invert=True)),
    ]


def frames(symbology: str, size: tuple[int, int], noise: float, count: int) -> list[Image]:
    rng = random.Random(f"{symbology}{size}{noise}")
    out = []
    for index in range(count):
        frame = render_frame(
            UID,
            symbology,
            size,
            angle=rng.uniform(-5, 5),
            blur=0.7,
            noise=noise,
            seed=index,
        )
        out.append(np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), dtype=np.uint8))
    return out


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60, help="frames per cell")
    args = parser.parse_args()

    named = decoders()
    print(f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"Machine: {cpu_model()}, {os.cpu_count()} cores, {platform.platform()}")
    libs = ", ".join(f"{p} {version(p)}" for p in ("zxing-cpp", "pyzbar", "opencv-python-headless"))
    print(f"Python {platform.python_version()}, {libs}; {args.frames} frames per cell")
    print()
    print("| frame | code | noise σ | decoder | median ms | p90 ms | decoded |")
    print("| --- | --- | ---: | --- | ---: | ---: | ---: |")
    for width, height in SIZES:
        for label, symbology in SYMBOLOGIES:
            for noise in NOISE:
                batch = frames(symbology, (width, height), noise, args.frames)
                times: dict[str, list[float]] = {name: [] for name, _ in named}
                hits = dict.fromkeys(times, 0)
                for _, decoder in named:
                    decoder.decode(batch[0])  # warm up: first calls allocate
                for index, frame in enumerate(batch):
                    order = named if index % 2 == 0 else named[::-1]
                    for name, decoder in order:
                        started = time.perf_counter()
                        found = decoder.decode(frame)
                        times[name].append((time.perf_counter() - started) * 1000)
                        hits[name] += any(d.text == UID for d in found)
                for name, _ in named:
                    print(
                        f"| {width}x{height} | {label} | {noise:g} | {name} "
                        f"| {statistics.median(times[name]):.1f} "
                        f"| {percentile(times[name], 0.9):.1f} "
                        f"| {100 * hits[name] / len(batch):.0f}% |"
                    )


if __name__ == "__main__":
    main()
