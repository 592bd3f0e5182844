"""Reconciliation with Metrc reports every difference both ways, with what to do, and changes
nothing."""

import os
import subprocess
import sys
from datetime import date

from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.statesync.reconcile import reconcile_biotrack, reconcile_metrc
from tests.server.conftest import LICENCE
from tests.server.floor import OPERATOR, batch_created, uid
from tests.statesync.cultivation import moved
from tests.statesync.linked import (
    CT_LICENCE,
    KEY,
    USER_KEY,
    VENDOR_KEY,
    Floor,
    biotrack_client,
    biotrack_floor,
    file_all,
    link_metrc,
    metrc_client,
    metrc_sim,
    moved_by_hand,
    planted_by_hand,
    record_story,
    seed_metrc,
    story_filed_at_metrc,
    with_package,
)


def test_differences_both_ways_with_what_to_do(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    with story_filed_at_metrc(engine, clock, tmp_path) as (sim, floor):
        with metrc_client(sim) as m:
            assert reconcile_metrc(engine, m, LICENCE, now=clock.now()).differences == []
            # At Metrc by hand: a plant moved, a batch planted that we never recorded.
            day = date(2026, 3, 2)
            moved_by_hand(m, LICENCE, uid(4), "Veg Room 1", day)
            planted_by_hand(m, LICENCE, day)
            floor.record(batch_created("B-2", 6))  # here, not filed yet
            report = reconcile_metrc(engine, m, LICENCE, now=clock.now())
        found = {(d.subject_type, d.subject_id, d.what): d for d in report.differences}
        assert set(found) == {
            ("plant", uid(4), "location"),
            ("batch", "B-X", "missing here"),
            ("batch", "B-2", "missing at Metrc"),
        }
        moved = found[("plant", uid(4), "location")]
        assert (moved.ours, moved.theirs) == ("Flower 2", "Veg Room 1")
        assert "record.corrected" in moved.advice
        assert "waits in our queue" in found[("batch", "B-2", "missing at Metrc")].advice
        assert report.waiting == 1  # B-2's event, not even planned into calls yet


def test_the_cli_reports_and_names_the_waiting(
    engine: Engine, clock: ManualClock, tmp_path: object, database_url: str
) -> None:
    with metrc_sim(tmp_path, clock) as sim:
        seed_metrc(sim, LICENCE)
        link_metrc(engine, sim, LICENCE, clock)
        Floor(engine, clock, LICENCE).record(batch_created("B-2", 6))
        env = os.environ | {
            "SEEDTRACE_DATABASE_URL": database_url,
            "SEEDTRACE_SYNC_CREDENTIALS_KEY": KEY,
            "SEEDTRACE_SYNC_METRC_VENDOR_KEY": VENDOR_KEY,
        }
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "from cli.main import main; main()",
                "sync",
                "reconcile",
                LICENCE,
                "--user",
                OPERATOR,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert "batch B-2\tmissing at Metrc" in done.stdout
    assert "1 differences; 1 waiting to be filed" in done.stdout
    assert USER_KEY not in done.stdout + done.stderr


def test_biotrack_plants_both_ways(engine: Engine, clock: ManualClock, tmp_path: object) -> None:
    with biotrack_floor(engine, clock, tmp_path) as (sim, floor):
        record_story(floor)
        file_all(engine, clock)
        with biotrack_client(sim) as bt:
            assert reconcile_biotrack(engine, bt, CT_LICENCE).differences == []
            stray = bt.new_plants(2, "Haze", 1)  # at BioTrack by hand, never recorded here
            floor.record(moved([uid(4)], "Flower 1"))  # here, not filed yet
            report = reconcile_biotrack(engine, bt, CT_LICENCE)
    found = {(d.subject_id, d.what): d for d in report.differences}
    assert set(found) == {
        (stray.barcode_ids[0], "missing here"),
        (stray.barcode_ids[1], "missing here"),
        (uid(4), "room"),
    }
    assert "waits in our queue" in found[(uid(4), "room")].advice


def test_packages_and_tags_are_reconciled_both_ways(
    engine: Engine, clock: ManualClock, tmp_path: object
) -> None:
    from server.statesync.metrc_models import PlantBatchGrowthPhase, SalesReceipt
    from tests.server.domain import package_created, package_uid
    from tests.server.floor import tagged
    from tests.statesync.test_connector_product import sale

    with metrc_sim(tmp_path, clock) as sim:
        floor = with_package(engine, sim, clock, n_tags=3)
        floor.record(package_created(package_uid(2), [("HB-1", "100")]))
        floor.record(sale(clock, package_uid(2), "3.5"))
        file_all(engine, clock)
        with metrc_client(sim) as m:
            assert (
                reconcile_metrc(engine, m, LICENCE, now=clock.now()).differences == []
            )  # 96.5 g each side
            # At Metrc by hand: 2 g more sold from package 2; plant tag 45 used on batch B-1.
            m.create_receipts(
                LICENCE,
                [
                    SalesReceipt.model_validate(
                        {
                            "SalesDateTime": clock.now().isoformat(),
                            "SalesCustomerType": "Consumer",
                            "Transactions": [
                                {
                                    "PackageLabel": package_uid(2),
                                    "Quantity": "2",
                                    "UnitOfMeasure": "Grams",
                                    "TotalAmount": "20",
                                }
                            ],
                        }
                    )
                ],
            )
            m.change_batch_growth_phase(
                LICENCE,
                [
                    PlantBatchGrowthPhase.model_validate(
                        {
                            "Name": "B-1",
                            "Count": 1,
                            "StartingTag": uid(45),
                            "GrowthPhase": "Vegetative",
                            "NewLocation": "Veg Room 1",
                            "GrowthDate": clock.now().date().isoformat(),
                        }
                    )
                ],
            )
            floor.record(tagged("B-1", [uid(46)]))  # here, not filed yet
            report = reconcile_metrc(engine, m, LICENCE, now=clock.now())
    found = {(d.subject_type, d.subject_id, d.what): d for d in report.differences}
    package = found.pop(("package", package_uid(2), "quantity (g)"))
    assert (package.ours, package.theirs) == ("96.5", "94.5")
    used = found.pop(("tag", uid(45), "not available at Metrc"))
    assert "used or voided" in used.advice
    waiting = found.pop(("tag", uid(46), "still available at Metrc"))
    assert "waits in our queue" in waiting.advice
    # The receipt made by hand is a sale Metrc has and we do not (ours matched by event id).
    (receipt,) = [k for k in found if k[0] == "sale"]
    assert receipt[2] == "missing here"
    assert found.pop(receipt).theirs == f"2 of {package_uid(2)}"
    # The plants of both tags show on the plant side too, and the batch's counts.
    assert set(found) <= {
        ("plant", uid(45), "missing here"),
        ("plant", uid(46), "missing at Metrc"),
        ("batch", "B-1", "untagged count"),
        ("batch", "B-1", "tagged count"),
    }
