"""Seasons with known diversion in them: how well the analytics find it (issue 19).

Generates seasons for many licensees through the real pipeline (every rule, projection and
deadline; in process, without MQTT), with labelled diversion injected into some harvest
batches and honest noise everywhere, runs the analytics' scheduled refresh as the server
would, and reports per kind of diversion the detection rate, the false-positive rate over
the honest batches and the time to detection, and the inventory projection's error.

A season, for every licensee on one calendar (days from the season's start), each licensee's
day's work starting at 07:00-09:59 in its timezone (11:00-13:59 on a late shift), a record
every 3-20 minutes:
  day 0   plant tags received, a batch of clones created and tagged;
  day 28  the plants flower;
  day 50  plants that failed are culled (``plant.destroyed``): one plant, with odds of 3 in 10;
  day 80  the refresh runs (the projection sees the plants due in 4 days);
  day 84  every plant is cut and weighed wet (scale readings to 0.01 g);
  day 94  stems weighed as waste, the batch weighed dry, 80 % of it packaged in three
          packages: 40 % kept in the vault, 25 % for a transfer, 15 % for retail sale;
  day 95  the transfer package goes to the next licensee on a manifest (manifested, departed;
          at the purchaser arrived and received at the weight it weighed); three retail sales
          of a fifth to a quarter of the sale package each;
  day 96  a physical audit weighs the kept package (inventory.audited); the refresh runs.
Besides, on days 14, 42 and 70, each licensee records some trim or failed product as waste
(no harvest batch) with even odds, in working hours.

Honest noise: each licensee grows its own strain at its own yield (normal, 550 g per plant,
sd 60 g across licensees), each plant varies (sd 8 %), each batch loses its own share of
water in drying (normal, 72 %, sd 1.5 points), stems are 8-12 % of the wet weight, an audit
weighs a package within 4 % of its recorded weight (normal, sd 1.5 %: moisture, under the 5 %
tolerance), a purchaser weighs a transfer within 1.5 % of the manifest (normal, sd 0.6 %:
moisture on the road, under the 2 % tolerance), and a licensee in five works a late shift.

Diversion (each injected into one season of a share of the licensees, labelled):
  skim-dry      part of the dried product leaves before the dry weighing (15 % of it);
  skim-wet      part of each plant leaves before it is weighed (25 % of its weight);
  typed-weights the crew types wet weights in, to the nearest 10 g, instead of reading them,
                and the dry weight too (honest dry weights come with the scale's reading);
  night-disposal four waste records made between 01:00 and 03:59 in the season's last weeks;
  pre-audit     five waste records of failed product in the days before the audit;
  audit-short   the audited package weighs 12 % less than recorded (product left it);
  diverted-transfer product leaves the season's transfer on the road: the purchaser weighs
                it 15 % short of the manifest;
  ghost-plants  after tagging its batch, the licensee tries to tag three more plants with
                UIDs from outside the rolls it received (the rules refuse them);
  phantom-destruction healthy plants recorded destroyed on day 50 (30 % of the batch, with a
                small waste weight each: the product leaves), against honest culling of at
                most one plant; culled-share-outlier names the plant batch once the licensee
                has five other batches to compare it with.

Usage:
  .venv/bin/python benchmarks/diversion.py [--licensees 30] [--seasons 6] [--plants 20]
      [--divert 0.3] [--seed 7] [--database-url URL]
A detection counts when a signal names what was diverted at the refresh of its season (time
to detection 0 seasons) or a later one: for the weight diversions, any signal naming the
harvest batch or the plant batch it grew from (phantom-destruction is one: the batch is
what the destroyed plants were taken from); for pre-audit and audit-short, any signal
naming the season's audit (``AUD-{season}`` or ``before AUD-{season}``); for
night-disposal, the licensee's odd-hours-disposal signal; for diverted-transfer, any signal
of the purchaser naming the manifest; for ghost-plants, the licensee's tag-not-received
signal. A false positive is the same for an honest batch, audit, transfer or licensee.
Figures are printed as a table; docs/analytics.md keeps a dated run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from schemas.acks import Ack, Outcome
from schemas.clock import ManualClock
from schemas.commerce import (
    ItemCategory,
    ManifestItem,
    Party,
    Quantity,
    ReceivedItem,
    SaleRecorded,
    TransferArrived,
    TransferDeparted,
    TransferManifested,
    TransferReceived,
)
from schemas.events import (
    DestroyMethod,
    HarvestBatchWeighed,
    Payload,
    PlantsTagged,
    TagsReceived,
    TagType,
    WasteRecorded,
    WeightType,
)
from schemas.records import AuditedLine, AuditItem, InventoryAudited, LocationAdded, LocationKind
from tests.api.seed import clones, composted, cut, flower_package, grams, reading, to_flower

PHANTOM = "phantom-destruction"
BATCH_KINDS = ("skim-dry", "skim-wet", "typed-weights", PHANTOM)
AUDIT_KINDS = ("pre-audit", "audit-short")
NIGHT = "night-disposal"
TRANSFER = "diverted-transfer"
GHOST = "ghost-plants"
KINDS = (*BATCH_KINDS[:3], NIGHT, *AUDIT_KINDS, TRANSFER, GHOST, PHANTOM)
ZONE = ZoneInfo("America/Los_Angeles")
STRAINS = ("Blue Dream", "Sour Diesel", "Gelato", "Wedding Cake")
OPERATOR = "op-season"
START = datetime(2025, 1, 6, 15, tzinfo=UTC)  # a Monday, mid-morning on the west coast
SEASON_DAYS = 100


@dataclass
class Grower:
    licence: str
    strain: str
    yield_g: float
    prefix: str
    late_shift: bool
    next_tag: int = 1


@dataclass
class Batch:
    """A thing a signal may name: a harvest batch, an audit, or a licensee's disposals."""

    licence: str
    name: str  # the signal subjects that name it, "|"-separated
    season: int
    kind: str | None  # the diversion injected, None for an honest one
    what: str = "batch"  # batch, audit, licensee
    signals: frozenset[str] | None = None  # only these kinds of signal count (None: any)
    detected_in: int | None = None  # the season whose refresh first named it
    by: set[str] = field(default_factory=set)  # the kinds of signal that named it


@dataclass
class Report:
    batches: list[Batch] = field(default_factory=list)
    projected: list[tuple[Decimal, Decimal, Decimal, Decimal]] = field(default_factory=list)
    events: int = 0
    refresh_s: list[float] = field(default_factory=list)


def cents(value: float) -> Decimal:
    return Decimal(str(round(value, 2)))


class Season:
    """Drives every grower through the seasons on one clock."""

    def __init__(self, url: str, opts: argparse.Namespace) -> None:
        from server.db.engine import make_engine, migrate

        self.opts = opts
        self.rng = random.Random(opts.seed)
        self.clock = ManualClock(START - timedelta(days=30))
        self.engine = make_engine(url)
        migrate(self.engine)
        self.report = Report()
        self.growers = [
            Grower(
                f"OR-{1000 + n}",
                STRAINS[n % len(STRAINS)],
                self.rng.gauss(550, 60),
                f"1A4FF0{n:04d}000000",
                self.rng.random() < 0.2,
            )
            for n in range(opts.licensees)
        ]
        for g in self.growers:
            self._register(g)

    def _register(self, g: Grower) -> None:
        from server.ingest.users import register_user
        from server.store.licensees import add_licensee

        add_licensee(
            self.engine,
            licence=g.licence,
            name=f"Season Farms {g.licence}",
            jurisdiction="OR",
            timezone="America/Los_Angeles",
            now=self.clock.now(),
        )
        trained = date(2024, 11, 1)
        register_user(
            self.engine,
            g.licence,
            "am-season",
            "Season Manager",
            "account_manager",
            trained,
            "State",
            clock=self.clock,
        )
        register_user(
            self.engine,
            g.licence,
            OPERATOR,
            "Season Operator",
            "user",
            trained,
            "Season Manager",
            operator_id="am-season",
            clock=self.clock,
        )
        for name, kind in (
            ("Veg", LocationKind.ROOM),
            ("Flower 1", LocationKind.CANOPY),
            ("Dry Room", LocationKind.DRYING_ROOM),
            ("Vault", LocationKind.STORAGE),
        ):
            self.record(g, LocationAdded(name=name, location_kind=kind, premises="1 Farm Road"))

    def attempt(self, g: Grower, payload: Payload) -> Ack:
        from server.ingest.submit import submit

        self.clock.advance(timedelta(minutes=self.rng.uniform(3, 20)))
        self.report.events += 1
        return submit(self.engine, g.licence, OPERATOR, payload, clock=self.clock)

    def record(self, g: Grower, payload: Payload) -> None:
        ack = self.attempt(g, payload)
        if ack.outcome is not Outcome.ACCEPTED:
            raise RuntimeError(f"{g.licence}: {payload.kind} refused: {ack.violations}")

    def at(self, season: int, day: int, hour: int = 7, minute: int = 0) -> None:
        """The clock to ``hour``:``minute`` local time (the growers' timezone) of that day."""
        day_of = (START + timedelta(days=season * SEASON_DAYS + day)).date()
        local = datetime.combine(day_of, datetime.min.time(), ZONE).replace(hour=hour)
        self.clock.set((local + timedelta(minutes=minute)).astimezone(UTC))

    def shift(self, g: Grower, season: int, day: int) -> None:
        """The clock to when ``g`` starts the day's work (its records then come 3-20 minutes
        apart): 07:00-09:59, or 11:00-13:59 on a late shift."""
        first = 11 if g.late_shift else 7
        self.at(season, day, self.rng.randrange(first, first + 3), self.rng.randrange(0, 60))

    def refresh(self, season: int) -> None:
        from server.analytics.refresh import refresh

        began = time.perf_counter()
        refresh(self.engine, self.clock.now())
        self.report.refresh_s.append(time.perf_counter() - began)

    def run(self) -> Report:
        diverted = self._plan()
        # A licensee's disposals at night, and its refused tags: one case per licensee each.
        for kind, subject, what, signal in (
            (NIGHT, "destruction and waste", "licensee", "odd-hours-disposal"),
            (GHOST, "TAG-PROVISIONED", "tags", "tag-not-received"),
        ):
            for g in self.growers:
                when = [s for (lic, s), k in diverted.items() if lic == g.licence and k == kind]
                self.report.batches.append(
                    Batch(
                        g.licence,
                        subject,
                        when[0] if when else 0,
                        kind if when else None,
                        what,
                        frozenset({signal}),
                    )
                )
        for season in range(self.opts.seasons):
            self._season(season, diverted)
        return self.report

    def _plan(self) -> dict[tuple[str, int], str]:
        """(licence, season) -> the kind of diversion, for a share of the growers; never in
        the first two seasons, so every grower has some history of its own."""
        plan: dict[tuple[str, int], str] = {}
        chosen = self.rng.sample(self.growers, round(len(self.growers) * self.opts.divert))
        for n, g in enumerate(chosen):
            season = self.rng.randrange(min(2, self.opts.seasons - 1), self.opts.seasons)
            plan[(g.licence, season)] = KINDS[n % len(KINDS)]
        return plan

    def _waste(self, g: Grower, grams_: Decimal, reason: str, location: str = "Vault") -> None:
        self.record(
            g,
            WasteRecorded(
                location=location,
                weight=grams(grams_),
                method=DestroyMethod.COMPOST,
                reason=reason,
            ),
        )

    def _season(self, season: int, diverted: dict[tuple[str, int], str]) -> None:
        plants: dict[str, list[str]] = {}
        for g in self.growers:
            self.shift(g, season, 0)
            uids = [f"{g.prefix}{g.next_tag + i:08d}" for i in range(self.opts.plants)]
            g.next_tag += self.opts.plants
            plants[g.licence] = uids
            batch = f"B-{season}"
            self.record(g, TagsReceived(tag_type=TagType.PLANT, first=uids[0], last=uids[-1]))
            self.record(g, clones(batch, len(uids), strain=g.strain))
            self.record(g, PlantsTagged(batch_id=batch, uids=uids))
            if diverted.get((g.licence, season)) == GHOST:
                self._ghosts(g, batch, season)
        self._odd_jobs(season, 14)
        for g in self.growers:
            self.shift(g, season, 28)
            self.record(g, to_flower(plants[g.licence]))
        self._odd_jobs(season, 42)
        self._cull(season, diverted, plants)
        self._odd_jobs(season, 70)
        self._night(season, diverted)
        self.at(season, 80, 18)
        self.refresh(season)
        projected = self._projected()
        wet_of: dict[str, Decimal] = {}
        for g in self.growers:
            self.shift(g, season, 84)
            kind = diverted.get((g.licence, season))
            name = f"HB-{season}"
            weight_kind = kind if kind in BATCH_KINDS else None
            # Named by its harvest batch or by the plant batch it grew from (culled-share).
            subjects = f"{name}|B-{season}"
            self.report.batches.append(Batch(g.licence, subjects, season, weight_kind))
            total = Decimal(0)
            for uid in plants[g.licence]:
                grown = max(50.0, self.rng.gauss(g.yield_g, g.yield_g * 0.08))
                if kind == "skim-wet":
                    grown *= 0.75
                read = cents(grown)
                if kind == "typed-weights":
                    read = Decimal(round(grown, -1))
                total += read
                self.record(g, cut(uid, name, read, self.clock.now()))
            wet_of[g.licence] = total
        self._compare(projected, wet_of)
        packages: dict[str, tuple[str, Decimal]] = {}  # kept for the audit
        shipped: dict[str, tuple[str, Decimal]] = {}
        sold: dict[str, tuple[str, Decimal]] = {}
        for g in self.growers:
            kind = diverted.get((g.licence, season))
            if kind == "pre-audit":  # failed product, destroyed in the days before the count
                for day in (91, 92, 93, 94, 95):
                    self.shift(g, season, day)
                    self._waste(g, cents(self.rng.uniform(40, 120)), "Failed product, moldy")
            self.shift(g, season, 94)
            name = f"HB-{season}"
            wet = wet_of[g.licence]
            stems = cents(float(wet) * self.rng.uniform(0.08, 0.12))
            loss = self.rng.gauss(0.72, 0.015)
            dry = cents(max(1.0, float(wet - stems) - float(wet) * loss))
            if kind == "skim-dry":
                dry = cents(float(dry) * 0.85)
            self.record(
                g,
                WasteRecorded(
                    harvest_batch=name,
                    location="Dry Room",
                    weight=grams(stems),
                    method=DestroyMethod.COMPOST,
                    reason="Stems and fan leaves",
                ),
            )
            # On the station's scale; typed in, to the nearest 10 g, by a crew typing weights.
            typed = kind == "typed-weights"
            if typed:
                dry = Decimal(round(float(dry), -1))
            self.record(
                g,
                HarvestBatchWeighed(
                    harvest_batch=name,
                    weight_type=WeightType.DRY,
                    weight=grams(dry),
                    scale_reading=None if typed else reading(dry, self.clock.now()),
                ),
            )
            uids = [f"{g.prefix}{g.next_tag + i:08d}" for i in range(3)]
            g.next_tag += 3
            self.record(g, TagsReceived(tag_type=TagType.PACKAGE, uids=uids))
            made = []
            for uid, share in zip(uids, (0.40, 0.25, 0.15), strict=True):
                packaged = cents(float(dry) * share)
                self.record(g, flower_package(uid, name, packaged, strain=g.strain))
                made.append((uid, packaged))
            packages[g.licence], shipped[g.licence], sold[g.licence] = made
        for n, g in enumerate(self.growers):
            self.shift(g, season, 95)
            buyer = self.growers[(n + 1) % len(self.growers)]
            self._ship(season, g, buyer, shipped[g.licence], diverted.get((g.licence, season)))
            self._sell(g, *sold[g.licence])
        self._audit(season, diverted, packages)
        self.at(season, 96, 18)
        self.refresh(season)
        self._detect(season)

    def _ghosts(self, g: Grower, batch: str, season: int) -> None:
        """Three more plants tagged with UIDs from outside the rolls received: refused."""
        ghosts = [f"{g.prefix[:10]}999999{season * 10 + i:08d}" for i in range(3)]
        ack = self.attempt(g, PlantsTagged(batch_id=batch, uids=ghosts))
        if "TAG-PROVISIONED" not in {v.rule_id for v in ack.violations}:
            raise RuntimeError(f"{g.licence}: ghost tags not refused as such: {ack}")

    def _cull(
        self, season: int, diverted: dict[tuple[str, int], str], plants: dict[str, list[str]]
    ) -> None:
        """Day 50: honest culling (one plant, odds of 3 in 10), or phantom destruction (30 %
        of the batch); the destroyed plants are not harvested."""
        for g in self.growers:
            mine = plants[g.licence]
            if diverted.get((g.licence, season)) == PHANTOM:
                count = round(len(mine) * 0.3)
            else:
                count = 1 if self.rng.random() < 0.3 else 0
            if count == 0:
                continue
            self.shift(g, season, 50)
            for uid in self.rng.sample(mine, count):
                waste = cents(self.rng.uniform(80, 250))
                self.record(g, composted(uid, waste, "Hermaphrodite, culled"))
                mine.remove(uid)

    def _ship(
        self,
        season: int,
        seller: Grower,
        buyer: Grower,
        item: tuple[str, Decimal],
        kind: str | None,
    ) -> None:
        """``item`` (UID, grams) from ``seller`` to ``buyer`` on a manifest, received at the
        weight the buyer weighs: moisture noise, or 15 % short for a diverted transfer."""
        uid, sent = item
        manifest = f"M-{season}-{seller.licence}"
        self.report.batches.append(
            Batch(buyer.licence, manifest, season, kind if kind == TRANSFER else None, "transfer")
        )
        seller_party = Party(
            name=f"Farm {seller.licence}", address="1 Farm Road", licence=seller.licence
        )
        now = self.clock.now()
        self.record(
            seller,
            TransferManifested(
                manifest_id=manifest,
                seller=seller_party,
                purchaser=Party(
                    name=f"Farm {buyer.licence}", address="1 Farm Road", licence=buyer.licence
                ),
                transfer_date=now.date(),
                estimated_departure=now + timedelta(minutes=30),
                estimated_arrival=now + timedelta(hours=3),
                items=[
                    ManifestItem(
                        uid=uid,
                        category=ItemCategory.FLOWER,
                        strain=seller.strain,
                        description=f"{seller.strain} flower",
                        quantity=Quantity(weight=grams(sent)),
                    )
                ],
            ),
        )
        self.record(seller, TransferDeparted(manifest_id=manifest, departed_at=self.clock.now()))
        self.clock.advance(timedelta(hours=2))
        self.record(
            buyer,
            TransferArrived(
                manifest_id=manifest, seller=seller_party, arrived_at=self.clock.now(), uids=[uid]
            ),
        )
        noise = max(-0.015, min(0.015, self.rng.gauss(0, 0.006)))
        got = cents(float(sent) * (0.85 if kind == TRANSFER else 1 + noise))
        self.record(
            buyer,
            TransferReceived(
                manifest_id=manifest,
                accepted=[ReceivedItem(uid=uid, quantity=Quantity(weight=grams(got)))],
            ),
        )

    def _sell(self, g: Grower, uid: str, held: Decimal) -> None:
        """Three retail sales from the sale package, a fifth to a quarter of it each."""
        for _ in range(3):
            amount = cents(float(held) * self.rng.uniform(0.2, 0.25))
            self.clock.advance(timedelta(minutes=self.rng.uniform(10, 60)))
            self.record(
                g,
                SaleRecorded(
                    package_uid=uid,
                    quantity=Quantity(weight=grams(amount)),
                    price=cents(float(amount) * 9),
                    sold_at=self.clock.now(),
                ),
            )

    def _odd_jobs(self, season: int, day: int) -> None:
        """Honest waste outside harvests: trim or failed product, with even odds."""
        for g in self.growers:
            if self.rng.random() < 0.5:
                self.shift(g, season, day)
                self._waste(g, cents(self.rng.uniform(20, 150)), "Trim and failed product")

    def _night(self, season: int, diverted: dict[tuple[str, int], str]) -> None:
        """Four waste records between 01:00 and 03:59, days 72-79, for night-disposal."""
        for g in self.growers:
            if diverted.get((g.licence, season)) != NIGHT:
                continue
            for day in self.rng.sample(range(72, 80), 4):
                self.at(season, day, self.rng.randrange(1, 4), self.rng.randrange(0, 50))
                self._waste(g, cents(self.rng.uniform(40, 120)), "Trim", location="Flower 1")

    def _audit(
        self,
        season: int,
        diverted: dict[tuple[str, int], str],
        packages: dict[str, tuple[str, Decimal]],
    ) -> None:
        """Each licensee's audit of the season's package, day 96 in working hours."""
        for g in self.growers:
            kind = diverted.get((g.licence, season))
            audit_id = f"AUD-{season}"
            self.report.batches.append(
                Batch(
                    g.licence,
                    f"{audit_id}|before {audit_id}",
                    season,
                    kind if kind in AUDIT_KINDS else None,
                    "audit",
                )
            )
            uid, packaged = packages[g.licence]
            noise = max(-0.04, min(0.04, self.rng.gauss(0, 0.015)))
            found = cents(float(packaged) * (1 + noise))
            if kind == "audit-short":
                found = cents(float(packaged) * 0.88)
            self.shift(g, season, 96)
            self.record(
                g,
                InventoryAudited(
                    audit_id=audit_id,
                    audited_by="OLCC inspector",
                    moisture_tolerance_pct=Decimal(5),
                    lines=[
                        AuditedLine(
                            item_type=AuditItem.PACKAGE,
                            item_id=uid,
                            usable_cannabis=True,
                            expected_weight=grams(packaged),
                            counted_weight=grams(found),
                        )
                    ],
                ),
            )

    def _projected(self) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
        """Each grower's first projected week (expected, low, high), as the refresh stored."""
        import sqlalchemy as sa

        from server.analytics.tables import PROJECTIONS

        today = self.clock.now().date()
        found: dict[str, tuple[Decimal, Decimal, Decimal]] = {}
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(PROJECTIONS).where(
                    PROJECTIONS.c.made_on == today, PROJECTIONS.c.week_start == today
                )
            )
            for r in rows:
                found[r.licence] = (r.expected_grams, r.low_grams, r.high_grams)
        return found

    def _compare(
        self, projected: dict[str, tuple[Decimal, Decimal, Decimal]], wet: dict[str, Decimal]
    ) -> None:
        for licence, (expected, low, high) in projected.items():
            if expected > 0:
                self.report.projected.append((expected, low, high, wet[licence]))

    def _detect(self, season: int) -> None:
        import sqlalchemy as sa

        from server.analytics.tables import SIGNALS

        named: dict[tuple[str, str], set[str]] = {}
        with self.engine.connect() as conn:
            for r in conn.execute(sa.select(SIGNALS.c.licence, SIGNALS.c.subject, SIGNALS.c.kind)):
                named.setdefault((r.licence, r.subject), set()).add(r.kind)
        for batch in self.report.batches:
            kinds = set().union(
                *(named.get((batch.licence, subject), set()) for subject in batch.name.split("|"))
            )
            if batch.signals is not None:
                kinds &= batch.signals
            if not kinds or season < batch.season:
                continue
            if batch.detected_in is None:
                batch.detected_in = season
            batch.by |= kinds


def summarise(report: Report, opts: argparse.Namespace, seconds: float) -> None:
    print(
        f"{opts.licensees} licensees x {opts.seasons} seasons x {opts.plants} plants, "
        f"{opts.divert:.0%} diverted once, seed {opts.seed}: {report.events} events through the "
        f"pipeline in {seconds:.0f} s"
    )
    print()
    print("| diversion | batches | detected | detection rate | seasons to detection (mean) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for kind in KINDS:
        mine = [b for b in report.batches if b.kind == kind]
        caught = [b for b in mine if b.detected_in is not None]
        delay = [b.detected_in - b.season for b in caught if b.detected_in is not None]
        rate = len(caught) / len(mine) if mine else float("nan")
        mean = statistics.mean(delay) if delay else float("nan")
        print(f"| {kind} | {len(mine)} | {len(caught)} | {rate:.0%} | {mean:.1f} |")
    for what, plural in (
        ("batch", "batches"),
        ("audit", "audits"),
        ("transfer", "transfers (the purchaser's signals)"),
        ("licensee", "licensees (odd-hours-disposal)"),
        ("tags", "licensees (tag-not-received)"),
    ):
        honest = [b for b in report.batches if b.kind is None and b.what == what]
        named = [b for b in honest if b.detected_in is not None]
        rate = len(named) / len(honest) if honest else float("nan")
        print(
            f"False positives: {len(named)} of {len(honest)} honest {plural} named by a signal "
            f"({rate:.1%})."
        )
    flagged = [b for b in report.batches if b.kind is None and b.detected_in is not None]
    print()
    for kind in KINDS:
        seen = sorted({k for b in report.batches if b.kind == kind for k in b.by})
        print(f"{kind} was named by: {', '.join(seen) or 'nothing'}")
    wrong: dict[str, int] = {}
    for b in flagged:
        for k in b.by:
            wrong[k] = wrong.get(k, 0) + 1
    print(f"Honest cases named, by signal: {wrong or 'none'}")
    if report.projected:
        errors = [abs(actual - expected) / actual for expected, _, _, actual in report.projected]
        within = sum(1 for _, low, high, actual in report.projected if low <= actual <= high)
        print(
            f"Projection (the week of harvest, made 4 days before): {len(report.projected)} "
            f"licensee-weeks, mean absolute error {statistics.mean(errors):.1%} of the harvest, "
            f"{within} of {len(report.projected)} ({within / len(report.projected):.0%}) within "
            "the stated interval."
        )
    if report.refresh_s:
        print(
            f"Refresh of all {opts.licensees} licensees: median "
            f"{statistics.median(report.refresh_s):.2f} s, "
            f"largest {max(report.refresh_s):.2f} s (grows with each season's record)."
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--licensees", type=int, default=30)
    parser.add_argument("--seasons", type=int, default=6)
    parser.add_argument("--plants", type=int, default=20)
    parser.add_argument(
        "--divert", type=float, default=0.3, help="share of licensees diverting once"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--database-url", default=None, help="default: SQLite in a temporary folder"
    )
    opts = parser.parse_args()
    if opts.seasons < 3:
        parser.error("--seasons must be at least 3: diversion starts in the third")
    with tempfile.TemporaryDirectory() as tmp:
        url = opts.database_url or f"sqlite:///{tmp}/season.db"
        began = time.perf_counter()
        report = Season(url, opts).run()
        summarise(report, opts, time.perf_counter() - began)


if __name__ == "__main__":
    main()
