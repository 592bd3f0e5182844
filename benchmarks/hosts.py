"""Ingest throughput with the ingest processes on 1, 2, 3 "hosts" (network namespaces).

Run as root (``ip netns``): ``.venv/bin/python benchmarks/hosts.py [--hosts 1,2,3]
[--licensees 50] [--stations 50] [--events 200]`` (``--help`` lists the rest). It prints a
markdown report on stdout (progress on stderr) and removes everything it made, also on error or
Ctrl-C, but for the ingest servers' logs when a measurement failed (their folder is named).

One private LAN for the run (``tests/server/netns.py``): a bridge on ``10.213.<x>.0/24``, a
PostgreSQL cluster of its own listening on the bridge address (default settings; the machine's
PostgreSQL is not used), and as many network namespaces ("hosts") as the largest count asked
for. Per host count, a fresh mosquitto on the bridge address and a fresh database with the
licensees registered; ``seedtrace server`` runs in each host (``ip netns exec``), reaching both
over its veth, and the measurement starts once the hosts have shared the licensees out by their
leases. The stations publish from the root namespace, ``--stations`` of them spread over
``--licensees`` licensees, and the throughput is measured exactly as ``benchmarks/ingest.py``
measures it (its functions: realistic events that must all be accepted, at most ``--window``
unacknowledged per station, accepted events / (last ack - first publish), a failed or partial
run reports no number), with the database round trips per event and the events held.

Nothing here asserts a timing: this is measurement. Everything shares this machine's cores:
more hosts here add processes, not cores, so what the figures show is whether the licensees'
work spreads over the hosts without one lock serialising it, not a multi-machine speed-up.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

from benchmarks.ingest import (  # noqa: E402
    Floor,
    Options,
    Throughput,
    _interrupt,
    add_load_options,
    counted_throughput,
    environment,
    ingest_servers,
    log,
    prepare_database,
    probe,
)
from server.broker import PrivateBroker  # noqa: E402
from tests.server.netns import Lan, private_lan, unavailable  # noqa: E402


@dataclass
class HostsRow:
    hosts: int
    throughput: Throughput | None = None
    round_trips: int | None = None
    held: int | None = None
    error: str | None = None

    @property
    def failure(self) -> str | None:
        if self.error is not None:
            return self.error
        t = self.throughput
        if t is None:
            return "not measured"
        if not t.ok:
            return f"{t.accepted} of {t.events} accepted: " + "; ".join(t.problems[:3])
        return None


def run_hosts(row: HostsRow, lan: Lan, opts: Options, workdir: Path) -> None:
    """One host count: fresh broker and database, ``row.hosts`` ingest hosts, throughput."""
    licences = [f"BENCH-{n:02d}" for n in range(1, opts.licensees + 1)]
    floors = [
        Floor(licences[i % len(licences)], f"st{i + 1:02d}", i + 1, lan.address)
        for i in range(opts.stations)
    ]
    workdir.mkdir(parents=True)
    url = lan.pg_database(f"seedtrace_hosts_{os.getpid()}_{row.hosts}")
    prepare_database(url, licences)
    prefixes = [host.prefix for host in lan.hosts[: row.hosts]]
    with (
        PrivateBroker(host=lan.address) as broker,
        ingest_servers(
            url,
            broker.port,
            row.hosts,
            workdir,
            None,
            mqtt_host=lan.address,
            prefixes=prefixes,
        ) as servers,
    ):
        label = f"{row.hosts} host(s)"
        log(f"{label}: waiting for answers")
        probe(Floor(licences[0], "probe", 998, lan.address), broker.port, check_ids=True, count=9)
        log(f"{label}: throughput, {opts.stations} stations x {opts.events} events")
        row.throughput, row.round_trips, row.held = counted_throughput(
            servers, floors, opts.events, broker.port, opts, window=opts.window, check_ids=True
        )
        log(f"{label}: {row.throughput.rate:.0f} events/s")


def report(rows: list[HostsRow], opts: Options, command: str) -> str:
    lines = [
        *environment(),
        f"- Command: `{command}`",
        f"- Load: {opts.stations} stations of {opts.licensees} licensees x {opts.events} "
        f"events, QoS 1, at most {opts.window} unacknowledged per station; each host a network "
        "namespace on a private bridge with mosquitto and PostgreSQL (a cluster of the run's "
        "own, default settings) on the bridge address",
        "",
        "| ingest hosts | accepted / sent | seconds | events/s | x 1 host | round trips / event "
        "| held |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    one = next((r for r in rows if r.hosts == 1 and r.failure is None), None)
    failed = []
    for row in rows:
        t = row.throughput
        if row.failure is not None or t is None:
            lines.append(f"| {row.hosts} | FAILED (below) | | | | | |")
            failed.append(f"- {row.hosts} host(s): {row.failure}")
            continue
        base = one.throughput if one is not None else None
        ratio = f"{t.rate / base.rate:.2f}" if base is not None else "-"
        per = "-" if row.round_trips is None else f"{row.round_trips / t.events:.2f}"
        lines.append(
            f"| {row.hosts} | {t.accepted} / {t.events} | {t.seconds:.2f} | {t.rate:.0f} "
            f"| {ratio} | {per} | {'-' if row.held is None else row.held} |"
        )
    if failed:
        lines += ["", "Failed (no number is reported for these):", "", *failed]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Ingest throughput with the ingest processes on 1, 2, 3 namespaced hosts."
    )
    parser.add_argument("--hosts", default="1,2,3", help="host counts to measure (1,2,3)")
    parser.add_argument("--licensees", type=int, default=50, help="licensees (50)")
    add_load_options(parser, stations=50, events=200)
    parser.add_argument("--stall", type=float, default=60.0, help="give up after s without acks")
    args = parser.parse_args(argv)
    try:
        counts = sorted({int(n) for n in args.hosts.split(",")})
    except ValueError:
        parser.error("--hosts: host counts separated by commas, e.g. 1,2,3")
    if not counts or counts[0] < 1 or counts[-1] > 9:
        parser.error("--hosts: counts from 1 to 9")
    if not (1 <= args.licensees <= args.stations) or min(args.events, args.window) < 1:
        parser.error("need --events >= 1, --window >= 1 and 1 <= --licensees <= --stations")
    reason = unavailable()
    if reason is not None:
        parser.error(reason)
    opts = Options(args.events, args.stations, args.licensees, args.window, 1, 1, args.stall, None)
    signal.signal(signal.SIGTERM, _interrupt)  # stop like Ctrl-C: every `finally` runs
    command = " ".join([".venv/bin/python benchmarks/hosts.py", *(argv or sys.argv[1:])])
    rows = [HostsRow(n) for n in counts]
    base = Path(tempfile.mkdtemp(prefix="seedtrace-bench-hosts-"))
    try:
        with private_lan(counts[-1]) as lan:
            for row in rows:
                try:
                    run_hosts(row, lan, opts, base / f"h{row.hosts}")
                except (RuntimeError, OSError) as err:
                    row.error = f"{type(err).__name__}: {err}"
                    log(f"{row.hosts} host(s): FAILED: {row.error}")
    except KeyboardInterrupt:
        log("interrupted; everything started has been stopped")
        shutil.rmtree(base, ignore_errors=True)
        return 130
    ok = all(r.failure is None for r in rows)
    if ok:
        shutil.rmtree(base, ignore_errors=True)
    else:
        log(f"the ingest servers' logs are kept in {base}")
    print(report(rows, opts, command))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
