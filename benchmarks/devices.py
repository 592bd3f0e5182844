"""Device benchmarks, all three areas in one run (issue 4).

Runs, as subprocesses with this interpreter, each in turn:

- ``benchmarks/device_parts/barcode.py``: decode time per frame, pyzbar vs zxing-cpp, 640x360 and
  1280x720;
- ``benchmarks/device_parts/scales.py``: simulator frame -> driver reading latency per protocol;
- ``benchmarks/device_parts/rfid.py``: PC/SC card -> read latency through pcscd + vpcd, and UHF.

Each prints its own markdown table; results are written down in ``docs/performance.md`` and
``docs/devices-*.md``. Usage: ``.venv/bin/python benchmarks/devices.py``.
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Kept in their own folder: a script run from benchmarks/ would import this file as
# "devices" instead of the devices package.
PARTS = ("device_parts/barcode.py", "device_parts/scales.py", "device_parts/rfid.py")


def main() -> int:
    failed = []
    for part in PARTS:
        print(f"\n## {part}\n", flush=True)
        result = subprocess.run([sys.executable, str(HERE / part)], check=False)
        if result.returncode != 0:
            failed.append(part)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
