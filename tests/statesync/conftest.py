"""Fixtures for the state-API simulators: each test gets its own simulator on a free loopback
port, its own SQLite file and a ManualClock, and talks to it through the real client."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemas.clock import ManualClock
from server.statesync.biotrack_client import HttpBioTrackClient
from server.statesync.metrc_client import HttpMetrcClient
from server.statesync.metrc_models import LocationCreate
from server.statesync.simulators import BioTrackSimulator, MetrcSimulator

START = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
LICENCE = "020-1000001ABC"
BUYER = "020-1000002XYZ"
VENDOR_KEY = "vendor-0f1e2d"
USER_KEY = "user-grace-7a6b"
PLANT_TAGS = [f"1A4FF0100000022000{n:06d}" for n in range(1, 41)]
PACKAGE_TAGS = [f"1A4FF0300000022000{n:06d}" for n in range(1, 11)]
LOCATIONS = ("Clone Room", "Flower Room", "Dry Room", "Vault")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def seed_metrc(sim: MetrcSimulator) -> None:
    sim.app.add_facility(LICENCE, "Green Acres Farm")
    sim.app.add_facility(BUYER, "Valley Processing")
    sim.app.add_user(USER_KEY, "Grace Grower", [LICENCE, BUYER])
    sim.app.add_tags(LICENCE, "Plant", PLANT_TAGS)
    sim.app.add_tags(LICENCE, "Package", PACKAGE_TAGS)


@pytest.fixture
def metrc(tmp_path: Path, clock: ManualClock) -> Iterator[MetrcSimulator]:
    with MetrcSimulator(tmp_path / "metrc.db", clock=clock, vendor_key=VENDOR_KEY) as sim:
        seed_metrc(sim)
        yield sim


@pytest.fixture
def client(metrc: MetrcSimulator) -> Iterator[HttpMetrcClient]:
    with HttpMetrcClient(metrc.url, VENDOR_KEY, USER_KEY, timeout_s=5.0) as c:
        c.create_locations(
            LICENCE, [LocationCreate(name=n, location_type_name="Default") for n in LOCATIONS]
        )
        yield c


BT_LICENCE = "CT-PROD-0042"
BT_USER, BT_PASSWORD = "pat.producer", "correct horse battery"


@pytest.fixture
def biotrack(tmp_path: Path, clock: ManualClock) -> Iterator[BioTrackSimulator]:
    with BioTrackSimulator(tmp_path / "biotrack.db", clock=clock) as sim:
        sim.app.add_user(BT_LICENCE, BT_USER, BT_PASSWORD)
        yield sim


@pytest.fixture
def bt(biotrack: BioTrackSimulator) -> Iterator[HttpBioTrackClient]:
    with HttpBioTrackClient(biotrack.url, BT_LICENCE, BT_USER, BT_PASSWORD, timeout_s=5.0) as c:
        yield c
