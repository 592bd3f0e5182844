"""The analytics read the accepted record of one licensee, on SQLite and PostgreSQL."""

from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.acks import Outcome
from schemas.clock import ManualClock
from schemas.commerce import ItemCategory, PackageCreated, PackageSource, Quantity
from server.analytics import source
from server.ingest.submit import submit
from tests.api.conftest import ADMIN
from tests.api.seed import Floor, grams
from tests.server.conftest import LICENCE, OTHER_LICENCE


def test_a_licensees_harvest_balance_from_its_accepted_events(
    engine: Engine, floors: tuple[Floor, Floor], clock: ManualClock
) -> None:
    ours, theirs = floors
    # Refused (PRODUCT-FROM-HARVEST: the batch has 450 g left): moves nothing.
    too_much = PackageCreated(
        uid=ours.package_uids[1],
        category=ItemCategory.FLOWER,
        strain="Blue Dream",
        sources=[PackageSource(harvest_batch=ours.harvest_batch, weight=grams("451"))],
        quantity=Quantity(weight=grams("451")),
    )
    ack = submit(engine, LICENCE, ADMIN, too_much, clock=clock)
    assert ack.outcome is Outcome.REJECTED

    with engine.connect() as conn:
        found = source.licensee(conn, LICENCE)
        (other,) = source.licensee(conn, OTHER_LICENCE).balances
    (balance,) = found.balances
    assert (balance.licence, balance.name, balance.strain) == (
        LICENCE,
        ours.harvest_batch,
        "Blue Dream",
    )
    assert balance.wet_grams == Decimal("2200.0")
    assert balance.waste_grams == Decimal("120")  # the destroyed plant's 300 g is not this batch's
    assert balance.final is not None
    assert balance.final.grams == Decimal("550")
    assert balance.packaged_grams == Decimal("100")
    assert balance.moisture_loss_grams == Decimal("1530.0")
    assert balance.on_hand_grams == Decimal("450")
    assert found.scale_reads_hundredths  # 1200.5 g and 999.5 g came from its scale
    # Each figure links to the events of this licensee that make it up, none of the other's.
    linked = {m.event_id for m in [*balance.wet, *balance.waste, *balance.dry, *balance.packaged]}
    assert linked <= set(ours.event_ids)
    assert len(linked) == 5
    assert other.name == theirs.harvest_batch
    assert {m.event_id for m in other.wet} <= set(theirs.event_ids)


def test_the_read_is_paged_by_log_position(
    engine: Engine, floors: tuple[Floor, Floor], monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.connect() as conn:
        whole = [e.event_id for e in source.accepted_events(conn, LICENCE)]
        monkeypatch.setattr(source, "_PAGE", 2)
        paged = [e.event_id for e in source.accepted_events(conn, LICENCE)]
        count = conn.execute(sa.text("select count(*) from event_log")).scalar_one()
    assert paged == whole
    # ours: batch, tagging, flowering, 2 harvests, dry weight, destruction, waste, package,
    # and the manifest it is on
    assert len(whole) == 10
    assert count > len(whole)
