"""Tag read latency of the RFID drivers, printed as a markdown table.

    .venv/bin/python benchmarks/device_parts/rfid.py [--cards 20] [--apdus 2000] [--inventories 500]

* PC/SC, card insert -> TagRead: a :class:`~devices.sim.vcard.VirtualCard` connects to vpcd
  and the time until :class:`~devices.rfid.pcsc.PcscReader` yields its read is taken.
  pcscd polls vpcd for a card (about every 0.4 s), so this measures mostly that poll.
* PC/SC, raw APDU round trip: ``SCardTransmit(FF CA 00 00 00)`` on a connected card,
  through pcscd, vpcd and the emulator's TCP socket.
* UHF over a pty: the driver's single-inventory command -> the TagRead out of the driver,
  against :class:`~devices.sim.uhf.UhfModuleSim` (window 0, so every answer is a read).

Needs pcscd with vsmartcard-vpcd: an already running one is used; otherwise (as root) the
script starts ``pcscd -f`` and stops it at the end.
"""

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

from smartcard import scard

from devices.registry import open_device
from devices.rfid.pcsc import PcscReader, readers
from devices.rfid.uhf import UhfReader
from devices.sim.uhf import UhfModuleSim
from devices.sim.vcard import VirtualCard

READER = "Virtual PCD 00 00"


def ensure_pcscd() -> subprocess.Popen[bytes] | None:
    if READER in readers():
        return None
    binary = shutil.which("pcscd") or shutil.which("pcscd", path="/usr/sbin:/sbin")
    if binary is None or os.geteuid() != 0:
        sys.exit("pcscd is not running and cannot be started here (needs the package and root)")
    process = subprocess.Popen([binary, "--foreground"], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while READER not in readers():
        if time.monotonic() > deadline:
            process.terminate()
            sys.exit("pcscd started but vpcd's readers did not appear")
        time.sleep(0.1)
    return process


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def row(name: str, samples_s: list[float]) -> str:
    ms = [s * 1000 for s in samples_s]
    return (
        f"| {name} | {len(ms)} | {pct(ms, 0.5):.2f} | {pct(ms, 0.99):.2f} | "
        f"{statistics.fmean(ms):.2f} |"
    )


def pcsc_insert_to_read(count: int) -> list[float]:
    samples: list[float] = []
    with open_device(f"pcsc://{READER}?window=0") as reader:
        assert isinstance(reader, PcscReader)
        for i in range(count):
            card = VirtualCard(f"{i:08X}")
            started = time.perf_counter()
            card.insert()
            read = next(iter(reader.reads(timeout=5.0)), None)
            samples.append(time.perf_counter() - started)
            card.remove()
            if read is None or read.uid != f"{i:08X}":
                sys.exit(f"card {i}: read {read}")
            next(iter(reader.reads(timeout=0.8)), None)  # let the removal register
    return samples


def pcsc_apdu_round_trip(count: int) -> list[float]:
    samples: list[float] = []
    with VirtualCard("04A2241AB75C80"):
        rc, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        deadline = time.monotonic() + 5
        while True:  # wait for pcscd to see the card
            rc, states = scard.SCardGetStatusChange(
                context, 500, [(READER, scard.SCARD_STATE_UNAWARE)]
            )
            if states[0][1] & scard.SCARD_STATE_PRESENT or time.monotonic() > deadline:
                break
        rc, card, protocol = scard.SCardConnect(
            context,
            READER,
            scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
        )
        for _ in range(count):
            started = time.perf_counter()
            rc, response = scard.SCardTransmit(card, protocol, [0xFF, 0xCA, 0, 0, 0])
            samples.append(time.perf_counter() - started)
            if rc != scard.SCARD_S_SUCCESS or bytes(response[-2:]) != b"\x90\x00":
                sys.exit(f"APDU failed: {rc:#x} {bytes(response).hex()}")
        scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
        scard.SCardReleaseContext(context)
    return samples


def uhf_inventory_to_read(count: int) -> list[float]:
    samples: list[float] = []
    with (
        UhfModuleSim(["1A4FF0100000022000000123"]) as sim,
        open_device(f"{sim.url}&window=0&interval=0.01") as reader,
    ):
        assert isinstance(reader, UhfReader)
        for _read in reader.reads(timeout=2.0):
            samples.append(time.monotonic() - reader.last_command_at)
            if len(samples) >= count:
                break
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=20)
    parser.add_argument("--apdus", type=int, default=2000)
    parser.add_argument("--inventories", type=int, default=500)
    args = parser.parse_args()
    daemon = ensure_pcscd()
    try:
        results = [
            row("PC/SC: card insert -> TagRead", pcsc_insert_to_read(args.cards)),
            row("PC/SC: APDU FF CA round trip (pcscd+vpcd)", pcsc_apdu_round_trip(args.apdus)),
            row("UHF pty: inventory -> TagRead", uhf_inventory_to_read(args.inventories)),
        ]
    finally:
        if daemon is not None:
            daemon.terminate()
            daemon.wait(timeout=5)
    print(
        f"{time.strftime('%Y-%m-%d')}, {platform.node()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}\n"
    )
    print("| path | n | p50 ms | p99 ms | mean ms |")
    print("| --- | --- | --- | --- | --- |")
    print("\n".join(results))


if __name__ == "__main__":
    main()
