"""A package sold beyond what it held, through the pipeline, the refresh and the API."""

from datetime import datetime
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from schemas.commerce import Quantity, SaleRecorded
from server.analytics.refresh import refresh
from tests.api.seed import Floor, flower_package, grams
from tests.api.test_analytics_projection import record
from tests.server.conftest import LICENCE

API = "/api/v1"


def sell(engine: Engine, clock: ManualClock, uid: str, value: str) -> None:
    sold_at: datetime = clock.now()
    record(
        engine,
        clock,
        SaleRecorded(
            package_uid=uid,
            quantity=Quantity(weight=grams(value)),
            price=Decimal("30"),
            sold_at=sold_at,
        ),
    )


def test_a_package_sold_beyond_what_it_held(
    client: TestClient,
    engine: Engine,
    clock: ManualClock,
    floors: tuple[Floor, Floor],
    manager: dict[str, str],
) -> None:
    ours, _ = floors
    uid = ours.package_uids[1]
    record(engine, clock, flower_package(uid, ours.harvest_batch, "10"))
    sell(engine, clock, uid, "7")
    refresh(engine, clock.now())
    signals = f"{API}/licensees/{LICENCE}/analytics/signals"
    assert client.get(signals, headers=manager).json()["items"] == []  # 3 g still in it
    sell(engine, clock, uid, "5")
    refresh(engine, clock.now())
    (signal,) = client.get(signals, headers=manager).json()["items"]
    assert (signal["kind"], signal["subject"], signal["score"]) == ("package-overdrawn", uid, "2")
    assert len(signal["event_ids"]) == 3  # packaged, and the two sales
