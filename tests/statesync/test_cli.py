"""``seedtrace sim metrc`` / ``sim biotrack`` from the shell: the printed URL serves the API,
the flags seed it and set faults, the admin endpoint changes them, SIGTERM stops it."""

import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from server.statesync.biotrack_client import HttpBioTrackClient
from server.statesync.errors import OutcomeUnknown, StateUnavailable
from server.statesync.metrc_client import HttpMetrcClient
from server.statesync.metrc_models import LocationCreate

SEEDTRACE = Path(sys.executable).parent / "seedtrace"


def _command(*args: str) -> list[str]:
    if SEEDTRACE.exists():
        return [str(SEEDTRACE), *args]
    return [sys.executable, "-c", "from cli.main import main; main()", *args]


@contextmanager
def running(*args: str) -> Iterator[str]:
    sim = subprocess.Popen(_command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert sim.stdout is not None
        ready, _, _ = select.select([sim.stdout], [], [], 20)
        assert ready, "the simulator printed no URL within 20 s"
        yield sim.stdout.readline().decode().strip()
    finally:
        sim.send_signal(signal.SIGTERM)
        _, err = sim.communicate(timeout=20)
    assert sim.returncode == 0, err.decode()


def test_sim_metrc_serves_what_its_flags_seeded(tmp_path: Path) -> None:
    licence = "020-1001ABC"
    with running(
        "sim",
        "metrc",
        "--db",
        str(tmp_path / "m.db"),
        "--vendor-key",
        "vk",
        "--facility",
        f"{licence}:Farm",
        "--user",
        f"uk:{licence}",
        "--plant-tags",
        f"{licence}:1A4000000000000000000001:1A4000000000000000000025",
        "--lose-rate",
        "1",
        "--seed",
        "3",
    ) as url:
        assert url.startswith("http://127.0.0.1:")
        with HttpMetrcClient(url, "vk", "uk") as client:
            assert client.available_tags(licence, "plant").total == 25
            lab = [LocationCreate(name="Lab", location_type_name="Default")]
            with pytest.raises(OutcomeUnknown):  # --lose-rate 1 from the start
                client.create_locations(licence, lab)
            assert httpx.post(f"{url}/_sim/faults", json={"lose_rate": 0}).status_code == 200
            assert [x.name for x in client.locations(licence).data] == ["Lab"]


def test_sim_biotrack_with_an_outage_from_the_start(tmp_path: Path) -> None:
    with (
        running(
            "sim",
            "biotrack",
            "--db",
            str(tmp_path / "b.db"),
            "--user",
            "CT-1:pat:pw",
            "--outage",
            "3600",
        ) as url,
        HttpBioTrackClient(url, "CT-1", "pat", "pw") as client,
    ):
        with pytest.raises(StateUnavailable):
            client.login()
        assert httpx.post(f"{url}/_sim/faults", json={"outage_s": 0}).status_code == 200
        assert client.sync_check().transactionid == 0


def test_sim_lists_state_and_device_simulators() -> None:
    listed = subprocess.run(_command("sim"), capture_output=True, timeout=60, check=True)
    names = listed.stdout.decode().split()
    assert {"metrc", "biotrack", "scale", "uhf"} <= set(names)
    bad = subprocess.run(
        _command("sim", "metrc", "--facility", "no-colon"), capture_output=True, timeout=60
    )
    assert bad.returncode != 0
    assert "LICENCE:NAME" in bad.stderr.decode()
