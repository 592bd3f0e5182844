"""What makes Metrc hard to integrate with, reproduced: writes that are not idempotent, lists
in windows of at most 24 h and pages of at most 20, and a rate limit per facility."""

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from schemas.clock import ManualClock
from server.statesync.errors import RateLimited, StateRefused
from server.statesync.metrc_client import HttpMetrcClient
from server.statesync.metrc_models import LocationCreate, Tag
from server.statesync.simulators import MetrcSimulator
from tests.statesync.conftest import (
    BUYER,
    LICENCE,
    PACKAGE_TAGS,
    PLANT_TAGS,
    USER_KEY,
    VENDOR_KEY,
    seed_metrc,
)
from tests.statesync.metrc_flow import (
    flower,
    grow_to_package,
    harvest,
    plant_batch,
    tag_plants,
    trim_waste,
)
from tests.statesync.test_metrc_api import receipt


def test_a_repeated_receipt_is_a_second_receipt(
    client: HttpMetrcClient, clock: ManualClock
) -> None:
    grow_to_package(client, PACKAGE_TAGS[0], grams="100")
    sale = [receipt(PACKAGE_TAGS[0], "10", clock.now())]
    first = client.create_receipts(LICENCE, sale)
    second = client.create_receipts(LICENCE, sale)
    assert first.ids != second.ids
    assert len(client.receipts(LICENCE).data) == 2
    pkg = client.package(LICENCE, PACKAGE_TAGS[0])
    assert pkg is not None
    assert pkg.quantity == Decimal("80")  # sold twice


def test_a_repeated_waste_record_doubles(client: HttpMetrcClient) -> None:
    waste = [trim_waste("Compost", "3", "Grams")]
    client.record_plant_waste(LICENCE, waste)
    client.record_plant_waste(LICENCE, waste)
    assert [w.waste_weight for w in client.plant_waste(LICENCE).data] == [3, 3]


def test_a_repeated_planting_or_harvest_is_refused(client: HttpMetrcClient) -> None:
    plant_batch(client)
    with pytest.raises(StateRefused) as again:
        plant_batch(client)
    assert again.value.messages == ("Plant Batch B-1 already exists.",)
    assert len(client.plant_batches(LICENCE).data) == 1
    tag_plants(client, 1)
    flower(client, PLANT_TAGS[:1])
    harvest(client, PLANT_TAGS[:1])
    with pytest.raises(StateRefused) as twice:
        harvest(client, PLANT_TAGS[:1])
    assert twice.value.messages == (
        f"Plant {PLANT_TAGS[0]} does not exist or is not active at facility {LICENCE}.",
    )


def test_windows_of_more_than_24_hours_are_refused(
    client: HttpMetrcClient, clock: ManualClock
) -> None:
    now = clock.now()
    assert client.locations(LICENCE, window=(now - timedelta(hours=24), now)).total == 4
    with pytest.raises(StateRefused) as refused:
        client.locations(LICENCE, window=(now - timedelta(hours=24, seconds=1), now))
    assert refused.value.messages == (
        "The lastModified date range may not be longer than 24 hours.",
    )
    with pytest.raises(StateRefused):
        client.locations(LICENCE, window=(now, now - timedelta(seconds=1)))


def test_the_window_selects_by_last_modified(client: HttpMetrcClient, clock: ManualClock) -> None:
    made_at = clock.now()
    clock.advance(timedelta(hours=30))
    client.create_locations(LICENCE, [LocationCreate(name="Late", location_type_name="Default")])
    recent = client.locations(LICENCE, window=(clock.now() - timedelta(hours=1), clock.now()))
    assert [x.name for x in recent.data] == ["Late"]
    early = client.locations(LICENCE, window=(made_at, made_at + timedelta(hours=1)))
    assert "Late" not in [x.name for x in early.data]
    assert early.total == 4


def test_pages_hold_at_most_20(client: HttpMetrcClient) -> None:
    first = client.available_tags(LICENCE, "plant", page=1, page_size=20)
    second = client.available_tags(LICENCE, "plant", page=2, page_size=20)
    assert (first.total, first.total_pages) == (40, 2)
    labels = [t.label for t in first.data + second.data]
    assert labels == PLANT_TAGS
    with pytest.raises(StateRefused) as refused:
        client.page(LICENCE, "/tags/v2/plant/available", Tag, page_size=21)
    assert refused.value.messages == ("pageSize may not be more than 20.",)


@pytest.fixture
def limited(tmp_path: Path, clock: ManualClock) -> Iterator[HttpMetrcClient]:
    sim = MetrcSimulator(tmp_path / "m.db", clock=clock, vendor_key=VENDOR_KEY, rate_limit_per_s=3)
    with sim, HttpMetrcClient(sim.url, VENDOR_KEY, USER_KEY) as c:
        seed_metrc(sim)
        yield c


def test_the_rate_limit_per_facility_answers_429_with_retry_after(
    limited: HttpMetrcClient, clock: ManualClock
) -> None:
    for _ in range(3):  # the clock stands still: all in the same second
        limited.locations(LICENCE)
    with pytest.raises(RateLimited) as limited_429:
        limited.locations(LICENCE)
    assert limited_429.value.retry_after_s == 1
    # Writes have their own budget; another facility too.
    limited.create_locations(LICENCE, [LocationCreate(name="Lab", location_type_name="Default")])
    limited.locations(BUYER)
    clock.advance(1)
    assert limited.locations(LICENCE).total == 1


def test_a_harvest_id_that_is_not_a_number_is_refused(client: HttpMetrcClient) -> None:
    with pytest.raises(StateRefused) as refused:
        client.page(LICENCE, "/harvests/v2/waste", Tag, params={"harvestId": "H-1"})
    assert refused.value.messages == ("harvestId must be a harvest id; got 'H-1'.",)
