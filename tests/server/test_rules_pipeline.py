"""Every ingest invariant through the real pipeline, on SQLite and PostgreSQL: an event that
keeps the rule is accepted, one that breaks it is rejected with the rule's ID, citation and
message, and the licensee's jurisdiction decides which rules apply."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from schemas.acks import Ack, Outcome
from schemas.clock import SYSTEM_CLOCK
from server.compliance.rules.catalogue import CATALOGUE, pack
from server.ingest.pipeline import Pipeline
from server.store.rebuild import verify
from tests.server import domain as d
from tests.server.conftest import LICENCE, OTHER_LICENCE
from tests.server.floor import (
    MANAGER,
    Station,
    batch_created,
    flowering,
    harvested,
    tagged,
    tags_received,
    uid,
)
from tests.server.test_pipeline import grow, run
from tests.sql import count

HB = "HB-2026-11-22"


class Floor:
    """A licensee's station and console, deciding one event at a time."""

    def __init__(self, engine: Engine, licence: str = "OR-1001") -> None:
        self.pipeline = Pipeline(engine, clock=SYSTEM_CLOCK)
        self.licence = licence
        self.station = Station(licence=licence)
        self.console = Station("office-1", licence=licence, operator=MANAGER)

    def at_station(self, payload: dict[str, Any], **overrides: Any) -> Ack:
        (ack,) = run(self.pipeline, self.station, self.station.event(payload, **overrides))
        return ack

    def at_console(self, payload: dict[str, Any]) -> Ack:
        (ack,) = run(self.pipeline, self.console, self.console.event(payload))
        return ack

    def ok(self, payload: dict[str, Any], console: bool = False) -> Ack:
        ack = self.at_console(payload) if console else self.at_station(payload)
        assert (ack.outcome, ack.violations) == (Outcome.ACCEPTED, []), ack
        return ack

    def grow(self, n_plants: int = 3) -> list[str]:
        return grow(self.pipeline, self.station, n_plants)

    def harvest_all(self, uids: list[str], hb: str = HB, grams: str = "500") -> None:
        for u in uids:
            self.ok(harvested(u, grams, harvest_batch=hb))

    def packages(self) -> None:
        self.ok(d.package_tags_received(1, 20))


Scenario = Callable[[Floor], tuple[Ack, Ack, str]]


def batch_max(f: Floor) -> tuple[Ack, Ack, str]:
    return (
        f.at_station(batch_created("B-1", 100)),
        f.at_station(batch_created("B-2", 101)),
        "Batch B-2 would hold 101 plants; a batch may hold at most 100",
    )


def batch_id_unique(f: Floor) -> tuple[Ack, Ack, str]:
    good = f.at_station(batch_created("B-1", 5))
    return good, f.at_station(batch_created("B-1", 5)), "Batch B-1 already exists"


def tag_provisioned(f: Floor) -> tuple[Ack, Ack, str]:
    f.ok(tags_received(1, 10))
    f.ok(batch_created("B-1", 5))
    good = f.at_station(tagged("B-1", [uid(1)]))
    bad = f.at_station(tagged("B-1", [uid(99)]))
    return good, bad, f"UID {uid(99)} was never received by this licensee"


def tag_one_item(f: Floor) -> tuple[Ack, Ack, str]:
    f.grow()
    good = f.at_station(tagged("B-17", [uid(4)]))
    return good, f.at_station(tagged("B-17", [uid(1)])), f"UID {uid(1)} is already on plant"


def plant_tagged_to_flower(f: Floor) -> tuple[Ack, Ack, str]:
    f.ok(d.location_added("Flower 1", "canopy"), console=True)
    good = f.at_station(batch_created("B-1", 5))
    bad = f.at_station({**batch_created("B-2", 5), "location": "Flower 1"})
    return good, bad, "would put untagged plants in canopy area Flower 1"


def tag_stays_on_plant(f: Floor) -> tuple[Ack, Ack, str]:
    uids = f.grow()
    f.ok(harvested(uids[0], "500"))
    retire: dict[str, Any] = {"kind": "tag.retired", "reason": "Plant harvested"}
    good = f.at_station({**retire, "uid": uids[0]})
    bad = f.at_station({**retire, "uid": uids[1]})
    return good, bad, f"UID {uids[1]} is on plant that is still flowering"


def entry_from_origin(f: Floor) -> tuple[Ack, Ack, str]:
    uids = f.grow()
    good = f.at_station({"kind": "plants.moved", "uids": uids, "location": "Flower 2"})
    return good, f.at_station(flowering([uid(40)])), f"No plant carries UID {uid(40)}"


def phase_order(f: Floor) -> tuple[Ack, Ack, str]:
    uids = f.grow()
    good = f.at_station(harvested(uids[0], "500"))
    return good, f.at_station(harvested(uids[0], "500")), "was already harvested"


def harvest_wet_weight(f: Floor) -> tuple[Ack, Ack, str]:
    uids = f.grow()
    good = f.at_station(harvested(uids[0], "500"))
    bad = f.at_station(harvested(uids[1], "500", stable=False))
    return good, bad, "the scale reading was not stable"


def harvest_batch_name(f: Floor) -> tuple[Ack, Ack, str]:
    uids = f.grow()
    good = f.at_station(harvested(uids[0], "500"))
    weighed = {
        "kind": "harvest_batch.weighed",
        "weight_type": "dry",
        "weight": d.grams("1")["weight"],
    }
    bad = f.at_station({**weighed, "harvest_batch": "HB-NOPE"})
    return good, bad, "No harvest batch is named HB-NOPE"


def product_from_harvest(f: Floor) -> tuple[Ack, Ack, str]:
    f.harvest_all(f.grow())  # 1500 g wet
    f.packages()
    good = f.at_station(d.package_created(d.package_uid(1), [(HB, "1000")]))
    bad = f.at_station(d.package_created(d.package_uid(2), [(HB, "600")]))
    return good, bad, f"Harvest batch {HB} has 500 g left to package"


def weight_units(f: Floor) -> tuple[Ack, Ack, str]:
    f.harvest_all(f.grow())
    f.packages()
    rolls = {"count": 20, "unit_weight": {"value": "1", "unit": "g"}}
    good = f.at_station(
        d.package_created(d.package_uid(1), [(HB, "20")], category="pre_roll", quantity=rolls)
    )
    bad = f.at_station(d.package_created(d.package_uid(2), [(HB, "20")], category="pre_roll"))
    return good, bad, "pre roll is counted in units"


def _two_strains(f: Floor) -> None:
    f.harvest_all(f.grow())
    f.ok(batch_created("B-OG", 5, strain="OG Kush"))
    f.ok(tagged("B-OG", [uid(30)]))
    f.ok(flowering([uid(30)]))
    f.ok(harvested(uid(30), "400", harvest_batch="HB-OG"))
    f.packages()


def package_identical(f: Floor) -> tuple[Ack, Ack, str]:
    _two_strains(f)
    mixed = [(HB, "100"), ("HB-OG", "100")]
    good = f.at_station(d.package_created(d.package_uid(1), mixed, for_processor=True))
    bad = f.at_station(d.package_created(d.package_uid(2), mixed))
    return good, bad, "but harvest batch HB-OG is OG Kush"


def user_authorised(f: Floor) -> tuple[Ack, Ack, str]:
    good = f.at_station(batch_created("B-1", 5))
    bad = f.at_station(batch_created("B-2", 5), operator_id="temp.worker")
    return good, bad, "temp.worker is not a registered user of licence"


def _packaged(f: Floor) -> None:
    f.harvest_all(f.grow())
    f.packages()
    f.ok(d.package_created(d.package_uid(1), [(HB, "100")]))


def transfer_after_outage(f: Floor) -> tuple[Ack, Ack, str]:
    _packaged(f)
    lost_at = datetime.now(UTC) - timedelta(hours=1)
    lost = f.ok(d.access_lost(lost_at, station_id="veg-2"))
    bad = f.at_console(
        d.manifested("M-1", [(d.package_uid(1), "100")], seller=f.licence, prices=["120.00"])
    )
    assert lost.event_id is not None
    f.ok(d.access_restored(lost.event_id, lost_at + timedelta(minutes=20), 0))
    good = f.at_console(
        d.manifested("M-2", [(d.package_uid(1), "100")], seller=f.licence, prices=["120.00"])
    )
    return good, bad, "Access to the system has been lost at station veg-2"


def transfer_manifest(f: Floor) -> tuple[Ack, Ack, str]:
    _packaged(f)
    good = f.at_console(
        d.manifested("M-1", [(d.package_uid(1), "100")], seller=f.licence, prices=["120.00"])
    )
    bad = f.at_console(d.departed("M-2"))
    return good, bad, "No manifest M-2 was recorded; record the transfer before the goods leave"


def closed_out(f: Floor) -> tuple[Ack, Ack, str]:
    f.ok(d.licence_updated(status="surrendered"), console=True)
    good = f.at_console(d.closed_out())
    bad = f.at_station(batch_created("B-1", 5))
    return good, bad, "was closed out on"


def no_future_event(f: Floor) -> tuple[Ack, Ack, str]:
    soon = datetime.now(UTC) + timedelta(minutes=2)  # within the clock-skew tolerance
    good = f.at_station(batch_created("B-1", 5), occurred_at=soon)
    later = datetime.now(UTC) + timedelta(days=116)
    bad = f.at_station(batch_created("B-2", 5), occurred_at=later)
    return good, bad, "ahead of the server's (more than the 5 min allowed)"


SCENARIOS: dict[str, tuple[Scenario, str]] = {
    "BATCH-MAX-100": (batch_max, "OR-1001"),
    "BATCH-ID-UNIQUE": (batch_id_unique, "OR-1001"),
    "TAG-PROVISIONED": (tag_provisioned, "OR-1001"),
    "TAG-ONE-ITEM": (tag_one_item, "OR-1001"),
    "PLANT-TAGGED-TO-FLOWER": (plant_tagged_to_flower, "OR-1001"),
    "TAG-STAYS-ON-PLANT": (tag_stays_on_plant, "OR-1001"),
    "ENTRY-FROM-ORIGIN": (entry_from_origin, "OR-1001"),
    "PHASE-ORDER": (phase_order, "OR-1001"),
    "HARVEST-WET-WEIGHT": (harvest_wet_weight, "OR-1001"),
    "HARVEST-BATCH-NAME": (harvest_batch_name, "OR-1001"),
    "PRODUCT-FROM-HARVEST": (product_from_harvest, "OR-1001"),
    "WEIGHT-UNITS": (weight_units, "OR-1001"),
    "PACKAGE-IDENTICAL": (package_identical, "OR-1001"),
    "USER-AUTHORISED": (user_authorised, "OR-1001"),
    "TRANSFER-AFTER-OUTAGE": (transfer_after_outage, "OR-1001"),
    "TRANSFER-MANIFEST": (transfer_manifest, "OR-1001"),
    "CLOSED-OUT": (closed_out, OTHER_LICENCE),
    "NO-FUTURE-EVENT": (no_future_event, "OR-1001"),
}


def test_every_section_a_rule_has_a_pipeline_scenario() -> None:
    assert set(SCENARIOS) == {e.id for e in CATALOGUE.values() if e.section == "A"}


# Each scenario for each licensee whose pack holds the rule: an Oregon and a California
# licensee, each cited its own state's provisions (issue 16 item 1).
JURISDICTION = {LICENCE: "OR", OTHER_LICENCE: "CA"}
CASES = [
    (rule_id, licence)
    for rule_id in sorted(SCENARIOS)
    for licence, j in JURISDICTION.items()
    if rule_id in pack(j)  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("rule_id", "licence"), CASES)
def test_rule_through_the_pipeline(engine: Engine, rule_id: str, licence: str) -> None:
    scenario, _ = SCENARIOS[rule_id]
    floor = Floor(engine, licence)
    good, bad, words = scenario(floor)
    assert (good.outcome, good.violations) == (Outcome.ACCEPTED, []), good
    assert bad.outcome is Outcome.REJECTED
    broken = [v for v in bad.violations if v.rule_id == rule_id]
    assert broken, bad.violations
    # The licensee's own state's provisions only (issue 16 item 1).
    citation = CATALOGUE[rule_id].cite(JURISDICTION[licence])  # type: ignore[arg-type]
    foreign = "CA " if licence == LICENCE else "OR "
    assert all(foreign not in v.citation and foreign not in v.message for v in broken)
    assert all(v.citation == citation and v.message.endswith(f"({citation})") for v in broken)
    assert any(words in v.message for v in broken), broken
    where = f"event_id = '{bad.event_id}' AND outcome = 'rejected'"
    assert count(engine, f"SELECT count(*) FROM event_log WHERE {where}") == 1  # on the record
    for per_event in (False, True):  # and nothing else: the state is the log's
        assert verify(engine, keep=False, per_event=per_event)[1] == []


def test_a_rule_outside_a_pack_does_not_reject_that_licensee(engine: Engine) -> None:
    """PACKAGE-IDENTICAL cites only Oregon: a mixed package is refused in OR, not in CA.
    CLOSED-OUT is in every pack (issue 16 item 3): a revoked, closed-out licence records
    nothing new in Oregon either, each told its own state's ground. Oregon's text does not ask
    for an empty inventory before the close-out; California's does (8406(d))."""
    oregon, california = Floor(engine, "OR-1001"), Floor(engine, OTHER_LICENCE)
    for f in (oregon, california):
        _two_strains(f)
    mixed = [(HB, "100"), ("HB-OG", "100")]
    in_or = oregon.at_station(d.package_created(d.package_uid(1), mixed))
    in_ca = california.at_station(d.package_created(d.package_uid(1), mixed))
    assert [v.rule_id for v in in_or.violations] == ["PACKAGE-IDENTICAL"]
    assert (in_ca.outcome, in_ca.violations) == (Outcome.ACCEPTED, [])

    for f in (oregon, california):
        f.ok(d.licence_updated(status="revoked"), console=True)
    oregon.ok(d.closed_out(), console=True)
    refused = california.at_console(d.closed_out())
    assert [v.rule_id for v in refused.violations] == ["CLOSED-OUT"]
    assert (
        "still has 11 untagged items, 2 harvest batches with weight left, 1 package not "
        "departed, 65 unassigned UIDs"
    ) in (refused.violations[0].message)
    after_or = oregon.at_station(batch_created("B-LATE", 5))
    assert [v.rule_id for v in after_or.violations] == ["CLOSED-OUT"]
    assert after_or.violations[0].citation == (
        "OR CTS Requirements (1)(b), seedtrace record-soundness baseline"
    )
