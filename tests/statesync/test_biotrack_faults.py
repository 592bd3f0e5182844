"""Every fault knob of the BioTrack simulator, observed through the client, and the recovery
that the nonce makes possible: after an unknown outcome, ``nonce_replay`` says what happened."""

import time
from datetime import timedelta

import httpx
import pytest

from schemas.clock import ManualClock
from server.statesync.biotrack_client import HttpBioTrackClient
from server.statesync.errors import (
    OutcomeUnknown,
    RateLimited,
    SessionExpired,
    StateUnavailable,
)
from server.statesync.simulators import BioTrackSimulator
from tests.statesync.conftest import BT_LICENCE, BT_PASSWORD, BT_USER


def room(bt: HttpBioTrackClient) -> int:
    made = bt.add_room("Veg Room").room_id
    assert made is not None
    return made


def test_lost_answer_then_nonce_replay_tells_what_was_kept(
    biotrack: BioTrackSimulator, bt: HttpBioTrackClient
) -> None:
    veg = room(bt)
    biotrack.set_faults(lose_rate=1.0)
    with pytest.raises(OutcomeUnknown) as unknown:
        bt.new_plants(4, "Blue Dream", veg, nonce="evt-lost")
    assert isinstance(unknown.value.__cause__, httpx.RemoteProtocolError)
    stored = bt.nonce_replay("evt-lost")  # a read: its answer is not lost
    assert stored is not None
    assert stored["success"] == 1
    biotrack.set_faults(lose_rate=0.0)
    kept = sorted(p["id"] for p in bt.sync("plant", 0))
    assert kept == sorted(stored["barcode_id"])  # the four plants exist, once


def test_a_500_to_a_write_is_outcome_unknown_and_the_nonce_was_never_seen(
    biotrack: BioTrackSimulator, bt: HttpBioTrackClient
) -> None:
    veg = room(bt)
    biotrack.set_faults(error_rate=1.0)
    with pytest.raises(OutcomeUnknown):
        bt.new_plants(1, "Blue Dream", veg, nonce="evt-500")
    with pytest.raises(StateUnavailable):
        bt.sync_check()
    biotrack.set_faults(error_rate=0.0)
    assert bt.nonce_replay("evt-500") is None  # never arrived: safe to send again, same nonce
    bt.new_plants(1, "Blue Dream", veg, nonce="evt-500")
    assert bt.sync_check().summary["plant"] == 1


def test_latency_past_the_timeout_then_replay(biotrack: BioTrackSimulator) -> None:
    with HttpBioTrackClient(biotrack.url, BT_LICENCE, BT_USER, BT_PASSWORD) as patient:
        veg = room(patient)
        patient.login()
        biotrack.set_faults(latency_s=1.0)
        with (
            HttpBioTrackClient(
                biotrack.url, BT_LICENCE, BT_USER, BT_PASSWORD, timeout_s=0.2
            ) as impatient,
            pytest.raises(StateUnavailable),
        ):
            impatient.login()  # a read (log-on) that timed out
        biotrack.set_faults(latency_s=0.0)
        with HttpBioTrackClient(
            biotrack.url, BT_LICENCE, BT_USER, BT_PASSWORD, timeout_s=0.2
        ) as impatient:
            impatient.login()
            biotrack.set_faults(latency_s=1.0)
            with pytest.raises(OutcomeUnknown) as unknown:
                impatient.new_plants(2, "Blue Dream", veg, nonce="evt-slow")
        assert isinstance(unknown.value.__cause__, httpx.ReadTimeout)
        biotrack.set_faults(latency_s=0.0)
        deadline = time.monotonic() + 10  # the slow call is still being served; wait for it
        stored = patient.nonce_replay("evt-slow")
        while stored is None and time.monotonic() < deadline:
            time.sleep(0.05)
            stored = patient.nonce_replay("evt-slow")
        assert stored is not None
        assert len(stored["barcode_id"]) == 2


def test_a_429_storm(
    biotrack: BioTrackSimulator, bt: HttpBioTrackClient, clock: ManualClock
) -> None:
    bt.login()
    biotrack.set_faults(storm_s=60, storm_retry_after_s=5)
    with pytest.raises(RateLimited) as storm:
        bt.add_room("Veg Room")
    assert storm.value.retry_after_s == 5
    clock.advance(timedelta(seconds=60))
    assert bt.sync_check().summary["plant_room"] == 0  # the storm's call did nothing


def test_an_outage_until_the_clock_passes_it(
    biotrack: BioTrackSimulator, bt: HttpBioTrackClient, clock: ManualClock
) -> None:
    bt.login()
    answer = httpx.post(f"{biotrack.url}/_sim/faults", json={"outage_s": 600})
    assert answer.status_code == 200
    with pytest.raises(StateUnavailable):
        bt.add_room("Veg Room")  # 503: refused before anything was done
    clock.advance(timedelta(minutes=10))
    assert bt.sync_check().summary["plant_room"] == 0


def test_an_expired_session_then_a_fresh_log_on(
    biotrack: BioTrackSimulator, bt: HttpBioTrackClient, clock: ManualClock
) -> None:
    first = bt.login()
    biotrack.set_faults(expire_sessions=True)
    with pytest.raises(SessionExpired):
        bt.add_room("Veg Room")
    room(bt)  # the client forgot the dead session and logged on again
    assert bt.login() != first
    biotrack.set_faults(session_ttl_s=1800)
    clock.advance(timedelta(minutes=30))
    with pytest.raises(SessionExpired):
        bt.sync_check()
    assert bt.sync_check().summary["plant_room"] == 1
