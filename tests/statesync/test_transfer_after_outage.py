"""TRANSFER-AFTER-OUTAGE for the state link (OR CTS Requirements (8)(c); CA 8402(d)(3)): while
the connector has recorded a loss of access to Metrc, and after it until everything that
waited is filed, a transfer is refused at the door, saying why; once the backlog is through,
the same transfer is accepted."""

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import TypeAdapter
from sqlalchemy.engine import Engine

from schemas.acks import Ack, Outcome
from schemas.clock import ManualClock
from schemas.events import Payload
from server.statesync.connector import Connector
from tests.server.conftest import LICENCE
from tests.server.domain import package_uid
from tests.server.floor import OPERATOR
from tests.statesync.cultivation import waste
from tests.statesync.linked import (
    Floor,
    connector,
    drain,
    metrc_sim,
    with_package,
)
from tests.statesync.test_connector_product import BUYER, manifest

PAYLOAD: TypeAdapter[Payload] = TypeAdapter(Payload)


def submit(floor: Floor, payload: dict[str, Any]) -> Ack:
    ack = floor.pipeline.submit(
        LICENCE, OPERATOR, PAYLOAD.validate_python(payload), station_id="floor-1"
    )
    floor.clock.advance(timedelta(seconds=30))
    return ack


def refusal(ack: Ack) -> str:
    assert ack.outcome is Outcome.REJECTED, ack
    (v,) = [v for v in ack.violations if v.rule_id == "TRANSFER-AFTER-OUTAGE"]
    return v.message


def _restored(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.execute(
                sa.text("SELECT count(*) FROM sync_outages WHERE restored_at IS NOT NULL")
            ).scalar_one()
        )


def _until(c: Connector, clock: ManualClock, done: Any, step_s: float = 1.0) -> None:
    for _ in range(2000):
        if done():
            return
        c.run_once()
        clock.advance(timedelta(seconds=step_s))
    raise AssertionError("the connector never got there")


def test_no_transfer_while_access_to_metrc_is_lost_or_its_backlog_not_filed(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    with metrc_sim(tmp_path, clock) as sim:
        floor = with_package(engine, sim, clock, n_tags=3, buyer=BUYER)
        with connector(engine, clock, burst=1) as c:
            drain(c, clock)
            sim.set_faults(outage_s=600)
            floor.record(waste("Flower 9", "3"))  # waits: two calls
            for _ in range(40):  # two minutes of failing tries: a loss, recorded
                c.run_once()
                clock.advance(timedelta(seconds=3))

            during = refusal(submit(floor, manifest(clock, "M-1", package_uid(1), "500")))
            assert "Access to Metrc has been lost since" in during
            assert "filed into Metrc" in during

            clock.advance(timedelta(minutes=10))  # Metrc is back
            _until(c, clock, lambda: _restored(engine))
            # Restored, but what waited is not all filed yet.
            after = refusal(submit(floor, manifest(clock, "M-1", package_uid(1), "500")))
            assert "is not all filed into Metrc yet" in after

            drain(c, clock)
            ack = submit(floor, manifest(clock, "M-1", package_uid(1), "500"))
            assert ack.outcome is Outcome.ACCEPTED, ack
            drain(c, clock)
        with engine.connect() as conn:
            backfill = conn.execute(
                sa.text("SELECT state FROM notifications WHERE rule_id = 'OUTAGE-BACKFILL'")
            ).scalar_one()
        assert backfill == "resolved"
