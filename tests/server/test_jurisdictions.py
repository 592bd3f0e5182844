"""Issue 16 through the real pipeline, on SQLite and PostgreSQL, for an Oregon and a California
licensee: closed-out licences in every state, California's close-out with inventory left
(8406(d)), seeds in a batch, future-dated events against the injected clock, and a cancelled
worker's outage backlog."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.acks import Ack, Outcome
from schemas.clock import ManualClock
from schemas.events import PlantBatchCreated
from server.ingest.pipeline import Pipeline
from server.store.rebuild import verify
from tests.server import domain as d
from tests.server.conftest import LICENCE, OTHER_LICENCE
from tests.server.desk import destroyed, retired
from tests.server.floor import (
    MANAGER,
    batch_created,
    flowering,
    harvested,
    tagged,
    tags_received,
    uid,
)
from tests.server.test_pipeline import run
from tests.server.test_rules_pipeline import Floor

BOTH = [LICENCE, OTHER_LICENCE]  # Oregon, California


def _rule_ids(ack: Ack) -> list[str]:
    return [v.rule_id for v in ack.violations]


def _destroy_untagged(batch_id: str, count: int) -> dict[str, Any]:
    return {
        "kind": "plant.destroyed",
        "batch_id": batch_id,
        "count": count,
        "waste_weight": {"value": "40", "unit": "g"},
        "method": "compost",
        "reason": "licence revoked",
    }


# --- items 3 and 4: closed-out licences ---------------------------------------------------


@pytest.mark.parametrize("licence", BOTH)
def test_a_revoked_closed_out_licence_records_nothing_in_either_state(
    engine: Engine, licence: str
) -> None:
    f = Floor(engine, licence)
    f.ok(d.licence_updated(status="revoked"), console=True)
    f.ok(batch_created("B-1", 5))  # an ended licence still closes out its inventory
    f.ok(_destroy_untagged("B-1", 5))
    f.ok(d.closed_out(), console=True)
    late = f.at_station(batch_created("B-2", 5))
    assert _rule_ids(late) == ["CLOSED-OUT"]
    assert "it records no new activity" in late.violations[0].message
    own = "CA 8406(c),(d)" if licence == OTHER_LICENCE else "OR CTS Requirements (1)(b)"
    assert late.violations[0].citation.startswith(own)


def test_california_close_out_refused_until_the_inventory_is_gone(engine: Engine) -> None:
    f = Floor(engine, OTHER_LICENCE)
    f.ok(tags_received(1, 3))
    f.ok(batch_created("B-1", 4))
    f.ok(tagged("B-1", [uid(1)]))
    f.ok(d.licence_updated(status="surrendered"), console=True)
    refused = f.at_console(d.closed_out())
    assert _rule_ids(refused) == ["CLOSED-OUT"]
    assert (
        "Licence CA-2002 still has 3 untagged items, 1 live tagged plant, 2 unassigned UIDs "
        "on the books" in refused.violations[0].message
    )
    assert refused.violations[0].citation == "CA 8406(c),(d)"
    f.ok(_destroy_untagged("B-1", 3))
    f.ok(destroyed(uid(1)))
    for n in (1, 2, 3):
        f.ok(retired(uid(n)))
    f.ok(d.closed_out(), console=True)
    assert _rule_ids(f.at_station(batch_created("B-2", 5))) == ["CLOSED-OUT"]


def test_oregon_close_out_is_not_held_to_californias_inventory_rule(engine: Engine) -> None:
    f = Floor(engine, LICENCE)
    f.ok(tags_received(1, 3))
    f.ok(d.licence_updated(status="expired"), console=True)
    f.ok(d.closed_out(), console=True)  # OAR 845-025 sets no such condition


# --- item 5: seeds are not plants yet --------------------------------------------------------


@pytest.mark.parametrize("licence", BOTH)
def test_a_150_seed_batch_is_accepted_and_101_plants_refused(engine: Engine, licence: str) -> None:
    f = Floor(engine, licence)
    f.ok({**batch_created("B-SEEDS", 150), "origin": "seed"})
    f.ok({**batch_created("B-TC", 150), "origin": "tissue_culture"})
    clones = f.at_station(batch_created("B-CLONES", 101))
    assert _rule_ids(clones) == ["BATCH-MAX-100"]
    assert "would hold 101 plants" in clones.violations[0].message
    seeds = f.at_station({**batch_created("B-MORE", 150), "origin": "seed"})
    assert seeds.outcome is Outcome.ACCEPTED


def _germinated(batch_id: str, count: int) -> dict[str, Any]:
    return {"kind": "plant_batch.germinated", "batch_id": batch_id, "count": count}


def _batch_counts(engine: Engine, licence: str, batch_id: str) -> tuple[int, int, int]:
    """(untagged items, of them seeds or cultures not yet plants, tagged)."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT untagged_count, unsprouted_count, tagged_count FROM batches "
                "WHERE licence = :l AND batch_id = :b"
            ),
            {"l": licence, "b": batch_id},
        ).one()
    return (row[0], row[1], row[2])


@pytest.mark.parametrize("licence", BOTH)
def test_germinated_seeds_count_toward_the_batch_limit(engine: Engine, licence: str) -> None:
    """150 seeds: 60 come up (accepted), 5 plants are tagged, 46 more would make 101 plants
    (refused, citing the state's own limit), 45 make 100 (accepted); none more is a record;
    the 5 seeds left cannot be 6 germinated."""
    f = Floor(engine, licence)
    f.ok(tags_received(1, 5))
    f.ok({**batch_created("B-SEEDS", 150), "origin": "seed"})
    f.ok(_germinated("B-SEEDS", 60))
    assert _batch_counts(engine, licence, "B-SEEDS") == (150, 90, 0)
    f.ok(tagged("B-SEEDS", [uid(i) for i in range(1, 6)]))  # 55 plants left untagged
    assert _batch_counts(engine, licence, "B-SEEDS") == (145, 90, 5)
    over = f.at_station(_germinated("B-SEEDS", 46))
    assert _rule_ids(over) == ["BATCH-MAX-100"]
    own = "CA 8403(b)(1)" if licence == OTHER_LICENCE else "OR Cultivation Batches (2)"
    assert over.violations[0].citation == own
    assert over.violations[0].message.startswith(
        "Batch B-SEEDS would hold 101 plants (55 already, 46 germinated)"
    )
    f.ok(_germinated("B-SEEDS", 45))
    f.ok(_germinated("B-SEEDS", 0))
    assert _batch_counts(engine, licence, "B-SEEDS") == (145, 45, 5)
    f.ok(_destroy_untagged("B-SEEDS", 40))  # the seeds that never came up go first
    assert _batch_counts(engine, licence, "B-SEEDS") == (105, 5, 5)
    too_many = f.at_station(_germinated("B-SEEDS", 6))
    assert _rule_ids(too_many) == ["ENTRY-FROM-ORIGIN"]
    assert "Batch B-SEEDS holds 5 seeds or tissue cultures that are not plants yet" in (
        too_many.violations[0].message
    )


@pytest.mark.parametrize("licence", BOTH)
def test_germination_in_one_ingest_batch_and_tagging_a_seedling(
    engine: Engine, licence: str
) -> None:
    """The events of one delivery are decided in order: the second germination sees the
    first. A tag beyond the batch's plants goes on a seedling whose germination was not
    recorded: it is a plant now. A rebuild from the log gives the same counts."""
    f = Floor(engine, licence)
    pipeline, station = f.pipeline, f.station
    acks = run(
        pipeline,
        station,
        *(
            station.event(p)
            for p in (
                tags_received(1, 3),
                {**batch_created("B-TC", 120), "origin": "tissue_culture"},
                _germinated("B-TC", 99),
                _germinated("B-TC", 2),
                tagged("B-TC", [uid(1), uid(2), uid(3)]),
            )
        ),
    )
    assert [a.outcome for a in acks] == [Outcome.ACCEPTED] * 3 + [
        Outcome.REJECTED,
        Outcome.ACCEPTED,
    ]
    assert _rule_ids(acks[3]) == ["BATCH-MAX-100"]
    assert _batch_counts(engine, licence, "B-TC") == (117, 21, 3)
    f.ok(tags_received(4, 100))
    f.ok(tagged("B-TC", [uid(i) for i in range(4, 100)]))  # 96 plants, then 0 plants, 21 tc
    assert _batch_counts(engine, licence, "B-TC") == (21, 21, 99)
    f.ok(tagged("B-TC", [uid(100)]))  # a seedling: 20 cultures left
    assert _batch_counts(engine, licence, "B-TC") == (20, 20, 100)
    events, differences = verify(engine, keep=False)
    assert events > 0
    assert differences == []


# --- item 6: future-dated events, judged against the injected clock ------------------------


@pytest.mark.parametrize("licence", BOTH)
def test_a_future_dated_event_is_refused_against_the_servers_clock(
    engine: Engine, clock: ManualClock, licence: str
) -> None:
    pipeline = Pipeline(engine, clock=clock)
    payload = PlantBatchCreated.model_validate(batch_created("B-1", 5))
    now = clock.now()
    ahead = pipeline.submit(licence, MANAGER, payload, occurred_at=now + timedelta(days=116))
    assert _rule_ids(ahead) == ["NO-FUTURE-EVENT"]
    message = ahead.violations[0].message
    assert "the clock of station console reads 116 days ahead of the server's" in message
    assert "PST" in message or "PDT" in message  # the premises' clock, not UTC
    near = pipeline.submit(licence, MANAGER, payload, occurred_at=now + timedelta(minutes=4))
    assert (near.outcome, near.violations) == (Outcome.ACCEPTED, [])
    clock.advance(timedelta(days=117))  # the same date is no longer ahead of the server
    again = PlantBatchCreated.model_validate(batch_created("B-2", 5))
    later = pipeline.submit(licence, MANAGER, again, occurred_at=now + timedelta(days=116))
    assert later.outcome is Outcome.ACCEPTED


# --- item 9: a cancelled worker's outage backlog -----------------------------------------


@pytest.mark.parametrize("licence", BOTH)
def test_a_cancelled_workers_outage_backlog_is_entered_and_nothing_after(
    engine: Engine, licence: str
) -> None:
    f = Floor(engine, licence)
    lost_at = datetime.now(UTC) - timedelta(hours=3)
    f.ok(d.user_registered("sam.temp"), console=True)
    f.ok(d.user_trained("sam.temp"), console=True)
    # While harvest-1 is offline, sam records; an hour into the loss the office cancels sam.
    cancel = f.console.event(d.user_cancelled("sam.temp"), occurred_at=lost_at + timedelta(hours=1))
    assert run(f.pipeline, f.console, cancel)[0].outcome is Outcome.ACCEPTED
    # harvest-1 reconnects: its outbox delivers the loss, the backlog, the restoration.
    lost = f.at_station(d.access_lost(lost_at), occurred_at=lost_at)
    assert lost.outcome is Outcome.ACCEPTED
    sam: dict[str, Any] = {"operator_id": "sam.temp"}
    made_then = f.at_station(
        batch_created("B-1", 5), occurred_at=lost_at + timedelta(minutes=30), **sam
    )
    assert (made_then.outcome, made_then.violations) == (Outcome.ACCEPTED, [])
    after = f.at_station(
        batch_created("B-2", 5), occurred_at=lost_at + timedelta(minutes=90), **sam
    )
    assert _rule_ids(after) == ["USER-AUTHORISED"]
    assert "sam.temp's access was cancelled on" in after.violations[0].message
    before_loss = f.at_station(
        batch_created("B-3", 5), occurred_at=lost_at - timedelta(minutes=10), **sam
    )
    assert _rule_ids(before_loss) == ["USER-AUTHORISED"]  # no outage documented then
    assert lost.event_id is not None
    restored = d.access_restored(lost.event_id, lost_at + timedelta(hours=2), 2)
    assert f.at_station(restored).outcome is Outcome.ACCEPTED


@pytest.mark.parametrize(
    ("packaged", "left"),
    [
        ("200", "1 harvest batch with weight left, 1 package not departed"),
        ("1000", "1 package not departed"),
    ],
)
def test_california_close_out_counts_a_harvest_batch_by_its_grams_left(
    engine: Engine, packaged: str, left: str
) -> None:
    """1,000 g harvested, ``packaged`` g of it packaged: the batch still holds 800 g, or
    nothing. Weights are stored as exact decimal text, so the sum must be taken in numbers:
    as text, '1000' > '200' || '0' is false and the 800 g would be missed."""
    f = Floor(engine, OTHER_LICENCE)
    f.ok(tags_received(1, 1))
    f.ok(d.package_tags_received(1, 1))
    f.ok(batch_created("B-1", 1))
    f.ok(tagged("B-1", [uid(1)]))
    f.ok(flowering([uid(1)]))
    f.ok(harvested(uid(1), "1000", "HB-1"))
    f.ok(d.package_created(d.package_uid(1), [("HB-1", packaged)]))
    f.ok(d.licence_updated(status="surrendered"), console=True)
    refused = f.at_console(d.closed_out())
    assert _rule_ids(refused) == ["CLOSED-OUT"]
    assert f"still has {left} on the books" in refused.violations[0].message
