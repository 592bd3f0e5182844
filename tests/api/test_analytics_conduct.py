"""The signals of conduct from the log, through the refresh, on SQLite and PostgreSQL: refused
tag use, the hours of destruction and waste, and transfers received at another weight than
the seller (another licensee here) manifested."""

import json
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.acks import Ack, Outcome
from schemas.clock import ManualClock
from schemas.commerce import (
    Quantity,
    ReceivedItem,
    TransferArrived,
    TransferDeparted,
    TransferReceived,
)
from schemas.events import (
    HarvestBatchWeighed,
    Payload,
    PlantsTagged,
    RecordCorrected,
    TagsReceived,
    TagType,
    WeightType,
)
from schemas.records import AccessRestored
from server.analytics import source
from server.analytics.refresh import refresh
from server.analytics.tables import SIGNALS
from server.ingest.submit import submit
from tests.api import people
from tests.api.conftest import ADMIN, OTHER_ADMIN
from tests.api.seed import (
    Floor,
    clones,
    composted,
    cut,
    flower_manifest,
    flower_package,
    grams,
    reading,
    seller_party,
    to_flower,
    uid_of,
)
from tests.server.conftest import LICENCE, OTHER_LICENCE


def record(engine: Engine, clock: ManualClock, floor: Floor, payload: Payload) -> Ack:
    operator = ADMIN if floor.licence == LICENCE else OTHER_ADMIN
    clock.advance(timedelta(minutes=1))
    return submit(engine, floor.licence, operator, payload, clock=clock)


def accepted(engine: Engine, clock: ManualClock, floor: Floor, payload: Payload) -> str:
    ack = record(engine, clock, floor, payload)
    assert ack.outcome is Outcome.ACCEPTED, ack.violations
    assert ack.event_id is not None
    return ack.event_id


def stored(engine: Engine, licence: str) -> dict[tuple[str, str], sa.Row[tuple[object, ...]]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(SIGNALS).where(SIGNALS.c.licence == licence)).all()
    return {(r.kind, r.subject): r for r in rows}


def test_refused_tag_use_is_a_signal_of_the_licensee_that_tried(
    engine: Engine, clock: ManualClock, floors: tuple[Floor, Floor]
) -> None:
    ours, theirs = floors
    prefix = ours.uids[0][:16]
    never = record(
        engine, clock, ours, PlantsTagged(batch_id=ours.batch_id, uids=[uid_of(prefix, 50)])
    )
    assert never.outcome is Outcome.REJECTED
    assert [v.rule_id for v in never.violations] == ["TAG-PROVISIONED"]
    # The destroyed plant's tag, offered again for a new plant.
    again = record(engine, clock, ours, PlantsTagged(batch_id=ours.batch_id, uids=[ours.uids[2]]))
    assert again.outcome is Outcome.REJECTED
    assert "TAG-ONE-ITEM" in [v.rule_id for v in again.violations]
    # The honest twin: the other licensee's tagging refused for another reason (no such batch).
    other = record(engine, clock, theirs, PlantsTagged(batch_id="B-none", uids=[theirs.uids[3]]))
    assert other.outcome is Outcome.REJECTED
    assert not {v.rule_id for v in other.violations} & {"TAG-PROVISIONED", "TAG-ONE-ITEM"}

    refresh(engine, clock.now())

    ours_found = stored(engine, LICENCE)
    provisioned = ours_found[("tag-not-received", "TAG-PROVISIONED")]
    assert (provisioned.score, provisioned.cleared_at) == (1, None)
    assert f"UID {uid_of(prefix, 50)} was never received" in provisioned.explanation
    assert json.loads(provisioned.event_ids) == [never.event_id]
    one_item = ours_found[("tag-used-again", "TAG-ONE-ITEM")]
    assert json.loads(one_item.event_ids) == [again.event_id]
    assert not [k for k in stored(engine, OTHER_LICENCE) if k[0].startswith("tag-")]


def test_the_hours_of_destruction_and_waste_are_read_in_the_licensees_timezone(
    engine: Engine, clock: ManualClock, floors: tuple[Floor, Floor]
) -> None:
    ours, _ = floors
    with engine.connect() as conn:
        hours = source.activity_hours(conn, LICENCE)
        events = conn.execute(
            sa.text("select count(*) from event_log where licence = :l and outcome = 'accepted'"),
            {"l": LICENCE},
        ).scalar_one()
    assert hours.timezone == "America/Los_Angeles"
    # The seeded plant destroyed and trim waste; every other accepted event is counted by hour.
    destroyed, trim = ours.event_ids[13], ours.event_ids[14]
    assert [(d.event_id, d.kind) for d in hours.disposals] == [
        (destroyed, "plant.destroyed"),
        (trim, "waste.recorded"),
    ]
    local = clock.now().astimezone(ZoneInfo("America/Los_Angeles"))
    assert hours.disposals[0].local.utcoffset() == local.utcoffset()
    assert sum(hours.others.values()) == events - 2
    assert set(hours.others) == {local.hour}  # the seed was recorded within the hour


def send(
    engine: Engine, clock: ManualClock, seller: Floor, buyer: Floor, n: int, sent: str, got: str
) -> list[str]:
    """``seller`` packages ``sent`` g and ships it on manifest M-``n``; ``buyer`` receives it
    at ``got`` g. The buyer's event ids (arrival, receipt)."""
    uid, manifest = seller.package_uids[n], f"M-{n}"
    accepted(engine, clock, seller, flower_package(uid, seller.harvest_batch, sent))
    now = clock.now()
    manifested = flower_manifest(
        manifest,
        seller.licence,
        buyer.licence,
        uid,
        sent,
        None,
        leaves=now + timedelta(minutes=5),
        arrives=now + timedelta(hours=1),
    )
    accepted(engine, clock, seller, manifested)
    accepted(
        engine,
        clock,
        seller,
        TransferDeparted(manifest_id=manifest, departed_at=clock.now()),
    )
    arrival = TransferArrived(
        manifest_id=manifest,
        seller=seller_party(seller.licence),
        arrived_at=clock.now(),
        uids=[uid],
    )
    receipt = TransferReceived(
        manifest_id=manifest,
        accepted=[ReceivedItem(uid=uid, quantity=Quantity(weight=grams(got)))],
    )
    return [accepted(engine, clock, buyer, arrival), accepted(engine, clock, buyer, receipt)]


def test_a_transfer_received_lighter_than_manifested_is_the_purchasers_signal(
    engine: Engine, clock: ManualClock, floors: tuple[Floor, Floor]
) -> None:
    ours, theirs = floors
    for floor in floors:  # the seeded loss of access holds transfers back (TRANSFER-AFTER-OUTAGE)
        back = AccessRestored(
            lost_event_id=floor.access_loss, restored_at=clock.now(), cause="Back", backlog=0
        )
        accepted(engine, clock, floor, back)
    short = send(engine, clock, ours, theirs, 1, "200", "180")
    # The honest twin: 1 % lighter on receipt, moisture.
    send(engine, clock, ours, theirs, 2, "100", "99")

    refresh(engine, clock.now())

    found = stored(engine, OTHER_LICENCE)
    off = [k for k in found if k[0] == "received-weight-off"]
    assert off == [("received-weight-off", "M-1")]
    signal = found[off[0]]
    assert signal.score == 20
    assert signal.explanation.startswith(
        f"Transfer M-1 from {LICENCE} was received at another weight than the seller "
        f"manifested, beyond the 2 % moisture can explain: {ours.package_uids[1]}: 200 g "
        "manifested, 180 g received (10.0 % less)."
    )
    assert json.loads(signal.event_ids) == short
    # The seller's record is not where the difference was made: no signal of its own.
    assert not [k for k in stored(engine, LICENCE) if k[0] == "received-weight-off"]

    # The purchaser finds it weighed the wrong package and corrects its receipt: cleared.
    right = TransferReceived(
        manifest_id="M-1",
        accepted=[ReceivedItem(uid=ours.package_uids[1], quantity=Quantity(weight=grams("199")))],
    )
    fix = RecordCorrected(
        corrects=short[1],
        reason="Weighed another package",
        discovered_at=clock.now(),
        replacement=right,
    )
    accepted(engine, clock, theirs, fix)
    report = refresh(engine, clock.now())
    assert report.cleared == 1
    assert stored(engine, OTHER_LICENCE)[off[0]].cleared_at is not None


def harvest_at_the_scale(
    engine: Engine, clock: ManualClock, floor: Floor, plants: int, dry_read: bool
) -> str:
    """A new roll, a batch of ``plants`` tagged, flowering and harvested at station
    ``bench-7`` (each wet weight with the scale's reading), then weighed dry there: with the
    reading (``dry_read``) or typed in. Returns the dry weighing's event id."""
    operator = ADMIN if floor.licence == LICENCE else OTHER_ADMIN
    prefix = floor.uids[0][:16]
    uids = [uid_of(prefix, n) for n in range(11, 11 + plants)]

    def at_bench(payload: Payload) -> str:
        clock.advance(timedelta(minutes=1))
        return people.record(engine, floor.licence, operator, payload, clock, "bench-7")

    at_bench(TagsReceived(tag_type=TagType.PLANT, first=uids[0], last=uids[-1]))
    at_bench(clones("B-bench", plants, strain="Gelato"))
    at_bench(PlantsTagged(batch_id="B-bench", uids=uids))
    at_bench(to_flower(uids))
    for n, uid in enumerate(uids):
        at_bench(cut(uid, "HB-bench", f"{800 + n}.35", clock.now()))
    dry = "2415.20"
    return at_bench(
        HarvestBatchWeighed(
            harvest_batch="HB-bench",
            weight_type=WeightType.DRY,
            weight=grams(dry),
            scale_reading=reading(dry, clock.now()) if dry_read else None,
        )
    )


def test_a_dry_weight_typed_in_where_a_scale_stands_is_a_signal_and_a_read_one_is_not(
    engine: Engine, clock: ManualClock, floors: tuple[Floor, Floor]
) -> None:
    ours, theirs = floors
    typed = harvest_at_the_scale(engine, clock, ours, 10, dry_read=False)
    harvest_at_the_scale(engine, clock, theirs, 10, dry_read=True)  # the honest twin

    refresh(engine, clock.now())

    signal = stored(engine, LICENCE)[("manual-weight", "HB-bench")]
    assert (signal.score, json.loads(signal.event_ids)) == (Decimal("2415.20"), [typed])
    assert "at station bench-7, which had sent 10 scale readings" in signal.explanation
    assert not [k for k in stored(engine, OTHER_LICENCE) if k[0] == "manual-weight"]


def batches_culled(
    engine: Engine, clock: ManualClock, floor: Floor, culled: list[int]
) -> list[str]:
    """A new roll, then batches B-cull-0, B-cull-1, ... of five tagged plants each, the first
    ``culled[i]`` of batch i destroyed. Returns the last batch's destructions' event ids."""
    operator = ADMIN if floor.licence == LICENCE else OTHER_ADMIN
    prefix = floor.uids[0][:16]
    uids = [uid_of(prefix, n) for n in range(11, 11 + 5 * len(culled))]
    people.record(
        engine,
        floor.licence,
        operator,
        TagsReceived(tag_type=TagType.PLANT, first=uids[0], last=uids[-1]),
        clock,
    )
    destroyed: list[str] = []
    for i, lost in enumerate(culled):
        batch, mine = f"B-cull-{i}", uids[5 * i : 5 * i + 5]
        for payload in (clones(batch, 5, strain="Gelato"), PlantsTagged(batch_id=batch, uids=mine)):
            people.record(engine, floor.licence, operator, payload, clock)
        destroyed = [
            people.record(engine, floor.licence, operator, composted(uid, "150", "Culled"), clock)
            for uid in mine[:lost]
        ]
    return destroyed


def test_a_batch_culled_far_beyond_the_licensees_others_is_a_signal_and_its_twin_is_not(
    engine: Engine, clock: ManualClock, floors: tuple[Floor, Floor]
) -> None:
    ours, theirs = floors
    destroyed = batches_culled(engine, clock, ours, [0, 1, 0, 0, 1, 4])
    batches_culled(engine, clock, theirs, [0, 1, 0, 0, 1, 1])  # the honest twin

    refresh(engine, clock.now())

    signal = stored(engine, LICENCE)[("culled-share-outlier", "B-cull-5")]
    assert json.loads(signal.event_ids) == destroyed
    assert "4 of the 5 plants of batch B-cull-5 (80.0 %)" in signal.explanation
    assert not [k for k in stored(engine, OTHER_LICENCE) if k[0] == "culled-share-outlier"]
