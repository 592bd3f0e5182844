"""Every fault knob of the Metrc simulator, observed through the client as the right exception.

The knobs are set in process (``set_faults``) and over HTTP (``POST /_sim/faults``, as the CLI
and an integrator would); durations run on the ManualClock, so nothing here waits for them.
"""

import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from schemas.clock import ManualClock
from server.statesync.errors import (
    NotAuthorised,
    OutcomeUnknown,
    RateLimited,
    StateRefused,
    StateUnavailable,
)
from server.statesync.faults import FaultSettings
from server.statesync.metrc_client import HttpMetrcClient
from server.statesync.metrc_models import LocationCreate
from server.statesync.simulators import MetrcSimulator
from tests.statesync.conftest import LICENCE, PLANT_TAGS, USER_KEY, VENDOR_KEY, seed_metrc
from tests.statesync.metrc_flow import flower, harvest, plant_batch, tag_plants

LAB = [LocationCreate(name="Lab", location_type_name="Default")]


def names(client: HttpMetrcClient) -> list[str]:
    return [x.name for x in client.locations(LICENCE).data]


def test_lost_response_the_write_exists_but_the_outcome_is_unknown(
    metrc: MetrcSimulator, client: HttpMetrcClient
) -> None:
    metrc.set_faults(lose_rate=1.0)
    assert "Vault" in names(client)  # reads are answered: only committed writes lose answers
    with pytest.raises(OutcomeUnknown) as unknown:
        client.create_locations(LICENCE, LAB)
    assert isinstance(unknown.value.__cause__, httpx.RemoteProtocolError)
    metrc.set_faults(lose_rate=0.0)
    assert names(client).count("Lab") == 1  # it was kept


def test_a_500_to_a_write_is_outcome_unknown_and_to_a_read_unavailable(
    metrc: MetrcSimulator, client: HttpMetrcClient
) -> None:
    metrc.set_faults(error_rate=1.0)
    with pytest.raises(StateUnavailable):
        client.locations(LICENCE)
    with pytest.raises(OutcomeUnknown):
        client.create_locations(LICENCE, LAB)
    metrc.set_faults(error_rate=0.0)
    assert "Lab" not in names(client)  # the simulator's 500 comes before anything is done


def test_the_error_rate_is_reproducible_from_its_seed(tmp_path: Path, clock: ManualClock) -> None:
    def outcomes(db: str) -> list[bool]:
        faults = FaultSettings(seed=42, error_rate=0.5)
        sim = MetrcSimulator(tmp_path / db, clock=clock, vendor_key=VENDOR_KEY, faults=faults)
        with sim, HttpMetrcClient(sim.url, VENDOR_KEY, USER_KEY) as c:
            seed_metrc(sim)
            seen = []
            for _ in range(20):
                try:
                    c.locations(LICENCE)
                    seen.append(True)
                except StateUnavailable:
                    seen.append(False)
                clock.advance(1)  # stay under the rate limit
            return seen

    first = outcomes("a.db")
    assert first == outcomes("b.db")
    assert True in first
    assert False in first


def test_latency_past_the_clients_timeout(metrc: MetrcSimulator) -> None:
    metrc.set_faults(latency_s=1.0)
    with HttpMetrcClient(metrc.url, VENDOR_KEY, USER_KEY, timeout_s=0.2) as impatient:
        with pytest.raises(StateUnavailable):
            impatient.locations(LICENCE)
        with pytest.raises(OutcomeUnknown) as unknown:
            impatient.create_locations(LICENCE, LAB)
    assert isinstance(unknown.value.__cause__, httpx.ReadTimeout)
    metrc.set_faults(latency_s=0.0)
    with HttpMetrcClient(metrc.url, VENDOR_KEY, USER_KEY) as patient:
        deadline = time.monotonic() + 10  # the slow request is still being served; wait for it
        while "Lab" not in names(patient) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert names(patient).count("Lab") == 1


def test_a_429_storm_until_the_clock_passes_it(
    metrc: MetrcSimulator, client: HttpMetrcClient, clock: ManualClock
) -> None:
    metrc.set_faults(storm_s=30, storm_retry_after_s=7)
    with pytest.raises(RateLimited) as storm:
        client.locations(LICENCE)
    assert storm.value.retry_after_s == 7
    with pytest.raises(RateLimited):
        client.create_locations(LICENCE, LAB)
    clock.advance(timedelta(seconds=30))
    client.create_locations(LICENCE, LAB)
    assert names(client).count("Lab") == 1


def test_an_outage_of_ten_minutes_set_over_http(
    metrc: MetrcSimulator, client: HttpMetrcClient, clock: ManualClock
) -> None:
    knobs = httpx.post(f"{metrc.url}/_sim/faults", json={"outage_s": 600})
    assert knobs.status_code == 200
    assert knobs.json()["outage_until"] == (clock.now() + timedelta(minutes=10)).isoformat()
    with pytest.raises(StateUnavailable):
        client.locations(LICENCE)
    with pytest.raises(StateUnavailable):  # 503: refused before anything was done
        client.create_locations(LICENCE, LAB)
    clock.advance(timedelta(minutes=9, seconds=59))
    with pytest.raises(StateUnavailable):
        client.locations(LICENCE)
    clock.advance(1)
    assert "Lab" not in names(client)


def test_the_admin_endpoint_refuses_a_bad_knob(metrc: MetrcSimulator) -> None:
    bad = httpx.post(f"{metrc.url}/_sim/faults", json={"error_rate": 2})
    assert bad.status_code == 400
    assert "error_rate" in bad.json()["Message"]
    unknown = httpx.post(f"{metrc.url}/_sim/faults", json={"flood": 1})
    assert unknown.status_code == 400
    assert httpx.get(f"{metrc.url}/_sim/faults").json()["error_rate"] == 0


def test_expired_key_validation_answers_401_once(
    metrc: MetrcSimulator, client: HttpMetrcClient, clock: ManualClock
) -> None:
    names(client)
    metrc.set_faults(expire_sessions=True)
    with pytest.raises(NotAuthorised) as expired:
        client.locations(LICENCE)
    assert expired.value.status == 401
    assert "Vault" in names(client)  # validated afresh
    metrc.set_faults(session_ttl_s=3600)
    clock.advance(timedelta(hours=1))
    with pytest.raises(NotAuthorised):
        client.locations(LICENCE)
    assert "Vault" in names(client)


def test_a_stopped_simulator_is_unavailable(tmp_path: Path, clock: ManualClock) -> None:
    sim = MetrcSimulator(tmp_path / "m.db", clock=clock, vendor_key=VENDOR_KEY)
    with sim:
        url = sim.url
    with HttpMetrcClient(url, VENDOR_KEY, USER_KEY) as c, pytest.raises(StateUnavailable):
        c.create_locations(LICENCE, LAB)  # refused connection: nothing was sent


def test_a_lost_harvest_answer_then_a_blind_resend_is_refused(
    metrc: MetrcSimulator, client: HttpMetrcClient
) -> None:
    """Why the connector must read back before resending to Metrc: the first harvest call
    was kept; sending it again is refused, and would be a second harvest if it were not."""
    plant_batch(client)
    tag_plants(client, 1)
    flower(client, PLANT_TAGS[:1])
    metrc.set_faults(lose_rate=1.0)
    with pytest.raises(OutcomeUnknown):
        harvest(client, PLANT_TAGS[:1])
    metrc.set_faults(lose_rate=0.0)
    plant = client.plant(LICENCE, PLANT_TAGS[0])  # the read-back
    assert plant is not None
    assert plant.state == "Harvested"
    with pytest.raises(StateRefused):
        harvest(client, PLANT_TAGS[:1])
    found = client.harvest(LICENCE, plant.harvest_id or 0)
    assert found is not None
    assert found.plant_count == 1
