"""SIGKILL the connector at random points, again and again (at least 20 times in one run),
while the state loses answers and fails; a fresh process takes over each time. Afterwards
Metrc (or BioTrack) holds every object once, nothing is missing, the calls went in order,
and no process's log shows a credential.

The connector runs as ``seedtrace sync run`` subprocesses on the system clock; the Metrc
simulators run here, on the system clock too (its lastModified windows are what the
read-backs search), with latency so that kills land in the middle of calls.
"""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.clock import SYSTEM_CLOCK, ManualClock
from server.statesync.faults import FaultSettings
from server.statesync.simulators import BioTrackSimulator, MetrcSimulator
from tests.server.conftest import LICENCE
from tests.statesync.cultivation import receive_tags, story
from tests.statesync.linked import (
    BT_PASSWORD,
    CT_LICENCE,
    KEY,
    USER_KEY,
    VENDOR_KEY,
    add_ct,
    calls,
    linked_biotrack,
    linked_metrc,
    metrc_client,
    unplanned,
)
from tests.statesync.test_connector_biotrack import assert_biotrack_matches
from tests.statesync.test_connector_metrc import assert_metrc_matches

KILLS = 20
STORIES = (("B-1", 1, "HB-1"), ("B-2", 11, "HB-2"), ("B-3", 21, "HB-3"))


def _env(database_url: str) -> dict[str, str]:
    return os.environ | {
        "SEEDTRACE_DATABASE_URL": database_url,
        "SEEDTRACE_SYNC_CREDENTIALS_KEY": KEY,
        "SEEDTRACE_SYNC_METRC_VENDOR_KEY": VENDOR_KEY,
        "SEEDTRACE_SYNC_WORKER_ID": "chaos-1",  # the same worker restarted: takes its lease back
        "SEEDTRACE_SYNC_POLL_S": "0.05",
        "SEEDTRACE_SYNC_TIMEOUT_S": "2",
        "SEEDTRACE_SYNC_LEASE_S": "5",
        "SEEDTRACE_SYNC_BACKOFF_MAX_S": "0.2",
        "SEEDTRACE_SYNC_RECONCILE_DAILY": "false",  # reads only; tested on its own
    }


def _start(database_url: str, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    at = log.stat().st_size if log.exists() else 0
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from cli.main import main; main()",
                "sync",
                "run",
                "--log-level",
                "DEBUG",
            ],
            env=_env(database_url),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return proc, at


def _wait_running(proc: subprocess.Popen[bytes], log: Path, since: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with log.open("rb") as f:
            f.seek(since)
            if b"connector chaos-1 running" in f.read():
                return
        assert proc.poll() is None, log.read_text()[-3000:]
        time.sleep(0.02)
    raise AssertionError("the connector did not start within 60 s")


def _remaining(engine: Engine) -> int:
    with engine.connect() as conn:
        open_calls = conn.execute(
            sa.text("SELECT count(*) FROM sync_calls WHERE status IN ('pending','sent','unknown')")
        ).scalar_one()
    return int(open_calls) + unplanned(engine)


def _kill_repeatedly(engine: Engine, database_url: str, log: Path) -> int:
    """Start, let run a random moment, SIGKILL; until KILLS kills landed mid-work. Then a last
    process finishes the backlog and stops cleanly. Returns the number of kills."""
    rng = random.Random(20261205)
    kills = 0
    for _ in range(200):
        if kills >= KILLS or _remaining(engine) == 0:
            break
        proc, since = _start(database_url, log)
        _wait_running(proc, log, since)
        time.sleep(rng.uniform(0.0, 0.35))
        if _remaining(engine) > 0:
            kills += 1
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert kills >= KILLS, f"the work ran out after {kills} kills; make it longer"
    proc, since = _start(database_url, log)  # the last one finishes the job
    try:
        deadline = time.monotonic() + 120
        while _remaining(engine) > 0:
            assert time.monotonic() < deadline, "the backlog did not drain in 120 s"
            assert proc.poll() is None, log.read_text()[-3000:]
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    text = log.read_text()
    assert text.count("connector chaos-1 running") == kills + 1
    return kills


def _survive_kills(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    sim: MetrcSimulator | BioTrackSimulator,
    licence: str,
    confirmed_by: str,
) -> str:
    """Connector processes filing ``licence`` killed repeatedly (:func:`_kill_repeatedly`),
    then the simulator's faults off: every call done once, in order, and some confirmed by
    ``confirmed_by`` (their answer lost). Returns the processes' log."""
    log = tmp_path / "connector.log"
    _kill_repeatedly(engine, database_url, log)
    sim.set_faults(lose_rate=0.0, error_rate=0.0, latency_s=0.0)
    rows = calls(engine, licence)
    _in_order(rows)
    assert any(r["message"] == f"confirmed by {confirmed_by}" for r in rows)
    return log.read_text()


def _in_order(rows: list[dict[str, Any]]) -> None:
    assert {r["status"] for r in rows} == {"done"}
    assert [r["done_at"] for r in rows] == sorted(r["done_at"] for r in rows)


def test_twenty_sigkills_into_metrc(
    engine: Engine, clock: ManualClock, database_url: str, tmp_path: Path
) -> None:
    faults = FaultSettings(lose_rate=0.15, error_rate=0.1, latency_s=0.04, seed=99)
    with MetrcSimulator(
        tmp_path / "metrc.db",
        clock=SYSTEM_CLOCK,
        vendor_key=VENDOR_KEY,
        faults=faults,
        rate_limit_per_s=1000,
    ) as sim:
        floor = linked_metrc(engine, sim, clock, LICENCE)
        floor.record(receive_tags(60))
        for batch, first, harvest in STORIES:
            for payload in story(batch, first, harvest_batch=harvest):
                floor.record(payload)
        # Kills and lost answers left calls whose outcome had to be read back first.
        text = _survive_kills(engine, database_url, tmp_path, sim, LICENCE, "read-back")
        assert_metrc_matches(engine, sim, LICENCE)
        with metrc_client(sim) as m:
            assert m.plant_waste(LICENCE).total == 2 * len(STORIES)
            harvests = m.harvests(LICENCE).data
            assert sorted(h.name for h in harvests) == [s[2] for s in STORIES]
            for h in harvests:
                assert m.harvest_waste(LICENCE, h.id).total == 1
        for secret in (USER_KEY, VENDOR_KEY, KEY):
            assert secret not in text


def test_twenty_sigkills_into_biotrack(
    engine: Engine, clock: ManualClock, database_url: str, tmp_path: Path
) -> None:
    add_ct(engine, clock)
    faults = FaultSettings(lose_rate=0.15, error_rate=0.1, latency_s=0.04, seed=98)
    with BioTrackSimulator(tmp_path / "bt.db", clock=SYSTEM_CLOCK, faults=faults) as sim:
        floor = linked_biotrack(engine, sim, clock)
        floor.record(receive_tags(60))
        for batch, first, harvest in STORIES:
            for payload in story(batch, first, harvest_batch=harvest):
                # BioTrack destroys 72 hours after the schedule: not on this test's clock.
                if payload["kind"] != "plant.destroyed":
                    floor.record(payload)
        text = _survive_kills(engine, database_url, tmp_path, sim, CT_LICENCE, "nonce_replay")
        assert_biotrack_matches(engine, sim)
        for secret in (BT_PASSWORD, KEY):
            assert secret not in text
