"""Inventory now: plants by phase and room, batches against the 100-plant limit, harvest
batches with their weights, and packages on the premises.

Read from the projections (current state). Immature plants are not tagged one by one: they
are the untagged count of their batch less its seeds and tissue cultures that are not plants
yet (``batches.untagged_count - unsprouted_count``), shown in the batch's room. BATCH-MAX-100
counts those, so that is a batch's "against the limit" figure; the seeds and cultures are
shown beside it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from server.compliance.rules.calendar import JURISDICTIONS
from server.compliance.rules.catalogue import CATALOGUE, pack
from server.compliance.rules.cultivation import BATCH_LIMIT
from server.db import tables
from server.db.among import among
from server.db.core import table_of
from server.db.tables import Batch, HarvestBatch, Licensee, Package, Plant
from server.reads.columns import columns_of

B = table_of(Batch)
P = table_of(Plant)
H = table_of(HarvestBatch)
LIC = table_of(Licensee)
PK = table_of(Package)
NET_WEIGHT_RULE = "NET-WEIGHT-60D"

NEAR_LIMIT = 90  # shown as a warning from here on (BATCH_LIMIT is the rule's own)
CAP = 200  # batches and harvest batches listed on the page, the most urgent first

IMMATURE = B.c.untagged_count - B.c.unsprouted_count
# The partial indexes' predicates as they are written in them (server.db.tables): SQLite uses
# a partial index only for a query that names its predicate, literally (no bound 0).
HOLDING = sa.text(tables.HOLDING)
HAS_LEFT = sa.text(tables.HAS_LEFT)
NO_NET = sa.text(tables.NO_NET)


def _net_weight_days() -> int:
    """NET-WEIGHT-60D's limit in calendar days, as the catalogue states it."""
    deadline = CATALOGUE[NET_WEIGHT_RULE].deadline
    if deadline is None:
        raise RuntimeError(f"{NET_WEIGHT_RULE} has lost its deadline in the catalogue")
    return deadline.amount


NET_WEIGHT_DAYS = _net_weight_days()
LIVE_PHASES = ("immature", "vegetative", "flowering")


@dataclass(frozen=True, slots=True)
class RoomCount:
    licence: str
    location: str
    phase: str
    plants: int


@dataclass(frozen=True, slots=True)
class BatchRow:
    licence: str
    batch_id: str
    strain: str
    origin: str
    location: str
    immature: int  # untagged plants still counted in the batch: what the limit applies to
    unsprouted: int  # seeds or tissue cultures in the batch, not plants yet
    tagged: int
    destroyed: int
    initial: int
    created_at: datetime

    @property
    def limit(self) -> int:
        return BATCH_LIMIT

    @property
    def level(self) -> str:
        """``over`` / ``near`` / ``ok``: how close the batch is to BATCH-MAX-100."""
        if self.immature > BATCH_LIMIT:
            return "over"
        return "near" if self.immature >= NEAR_LIMIT else "ok"


@dataclass(frozen=True, slots=True)
class HarvestRow:
    licence: str
    name: str
    strain: str
    location: str | None
    plants: int
    wet_grams: Decimal
    dry_grams: Decimal | None
    net_grams: Decimal | None
    waste_grams: Decimal
    first_harvest_at: datetime
    net_weight_rule: bool = False  # NET-WEIGHT-60D is in the licensee's pack (CA, not OR)

    @property
    def net_due_at(self) -> datetime | None:
        """NET-WEIGHT-60D: when the net weight is due (calendar days, so plain UTC arithmetic),
        or None where the rule does not apply."""
        if not self.net_weight_rule:
            return None
        return self.first_harvest_at + timedelta(days=NET_WEIGHT_DAYS)


@dataclass(frozen=True, slots=True)
class PackageRow:
    licence: str
    uid: str
    category: str | None
    strain: str | None
    grams: Decimal | None
    count: int | None
    location: str | None
    status: str  # on_hand | manifested (on an outgoing manifest)
    manifest_id: str | None


@dataclass(frozen=True, slots=True)
class Inventory:
    rooms: list[RoomCount]
    phase_totals: dict[str, int]
    batches: list[BatchRow]  # the shown, most urgent, of the batches holding plants
    harvests: list[HarvestRow]  # the shown, most urgent, of the open harvest batches
    packages: list[PackageRow]
    batches_total: int  # batches holding plants, all of them (exact)
    over_limit: int  # of those, over BATCH-MAX-100 (exact)
    harvests_total: int  # open harvest batches, all of them (exact)


# What each row shows, selected under the row's own field names (server.reads.columns).
PACKAGE_COLUMNS = columns_of(
    PK, PackageRow, source={"grams": PK.c.quantity_grams, "count": PK.c.quantity_count}
)
BATCH_COLUMNS = columns_of(
    B,
    BatchRow,
    source={
        "immature": B.c.untagged_count - B.c.unsprouted_count,
        "unsprouted": B.c.unsprouted_count,
        "tagged": B.c.tagged_count,
        "destroyed": B.c.destroyed_count,
        "initial": B.c.initial_count,
    },
)
HARVEST_COLUMNS = columns_of(
    H,
    HarvestRow,
    skip={"net_weight_rule"},
    source={
        "plants": H.c.plant_count,
        "wet_grams": H.c.wet_weight_grams,
        "dry_grams": H.c.dry_weight_grams,
        "net_grams": H.c.net_weight_grams,
    },
)


def packages(conn: sa.Connection, licences: Sequence[str]) -> list[PackageRow]:
    """Packages still on the premises (on hand, or manifested and not yet departed)."""
    rows = conn.execute(
        sa.select(*PACKAGE_COLUMNS)
        .where(among(PK.c.licence, licences), PK.c.status != "departed")
        .order_by(PK.c.licence, PK.c.status, PK.c.uid)
    ).mappings()
    return [PackageRow(**r) for r in rows]


def plants_by_room(conn: sa.Connection, licences: Sequence[str]) -> list[RoomCount]:
    """Live plants per licence, room and phase: tagged ones counted through
    ``ix_plants_licence_phase`` (the live plants only, not every plant the licensee harvested
    or destroyed), untagged ones from the batches that hold some (``ix_batches_holding``).
    Their sum per phase is the latest ``plant_phase_days`` row (:mod:`server.reads.phases`);
    the rooms are not in it, so they are counted here: bounded by the licensees' live plants,
    not by their history."""
    lic = list(licences)
    tagged = conn.execute(
        sa.select(P.c.licence, P.c.location, P.c.phase, sa.func.count())
        .where(P.c.licence.in_(lic), P.c.phase.in_(LIVE_PHASES))
        .group_by(P.c.licence, P.c.location, P.c.phase)
    ).all()
    immature = conn.execute(
        sa.select(B.c.licence, B.c.location, sa.func.sum(IMMATURE))
        .where(B.c.licence.in_(lic), HOLDING, IMMATURE > 0)
        .group_by(B.c.licence, B.c.location)
    ).all()
    rows = [RoomCount(r[0], r[1], r[2], int(r[3])) for r in tagged]
    rows += [RoomCount(r[0], r[1], "immature", int(r[2])) for r in immature]
    order = {phase: i for i, phase in enumerate(LIVE_PHASES)}
    return sorted(rows, key=lambda r: (r.licence, r.location, order[r.phase]))


def batches(
    conn: sa.Connection, licences: Sequence[str], limit: int | None = None
) -> list[BatchRow]:
    """The batches that still hold plants, seeds or cultures (untagged items), nearest
    BATCH-MAX-100 first (then the most untagged items, licence, batch), at most ``limit``
    (None: all of them). Read through ``ix_batches_holding``: bounded by the batches holding
    something now, not by every batch the licensees ever started; the emptied ones (every item
    tagged or destroyed) are in the API's batch list."""
    stmt = (
        sa.select(*BATCH_COLUMNS)
        .where(among(B.c.licence, licences), HOLDING)
        .order_by(IMMATURE.desc(), B.c.untagged_count.desc(), B.c.licence, B.c.batch_id)
    )
    rows = conn.execute(stmt if limit is None else stmt.limit(limit)).mappings()
    return [BatchRow(**r) for r in rows]


def batch_counts(conn: sa.Connection, licences: Sequence[str]) -> tuple[int, int]:
    """(batches holding plants, seeds or cultures; of those, over BATCH-MAX-100): exact
    counts, one statement over the same index as :func:`batches`."""
    total, over = conn.execute(
        sa.select(sa.func.count(), sa.func.count().filter(IMMATURE > BATCH_LIMIT)).where(
            among(B.c.licence, licences), HOLDING
        )
    ).one()
    return int(total), int(over)


def _net_weight_rule(conn: sa.Connection, licences: Sequence[str]) -> set[str]:
    """The licences whose jurisdiction's pack has NET-WEIGHT-60D."""
    found = conn.execute(
        sa.select(LIC.c.licence, LIC.c.jurisdiction).where(among(LIC.c.licence, licences))
    )
    return {lic for lic, j in found if j in JURISDICTIONS and NET_WEIGHT_RULE in pack(j)}


def harvests(conn: sa.Connection, licences: Sequence[str]) -> list[HarvestRow]:
    """Every harvest batch of the licensees, newest first: the reconciliation sheet's (it
    grows with their history; the inventory page reads :func:`open_harvests`)."""
    net_rule = _net_weight_rule(conn, licences)
    rows = conn.execute(
        sa.select(*HARVEST_COLUMNS)
        .where(among(H.c.licence, licences))
        .order_by(H.c.first_harvest_at.desc(), H.c.name)
    ).mappings()
    return [HarvestRow(**r, net_weight_rule=r["licence"] in net_rule) for r in rows]


def _open(licences: Sequence[str], net_rule: set[str]) -> sa.ColumnElement[bool]:
    """A harvest batch is open while it has grams left to package (``has_left``) or, where the
    pack has NET-WEIGHT-60D, its net weight is not recorded (the rule is open for it). Each
    arm names its partial index's predicate and its own licences (``net_rule`` is a subset of
    ``licences``), so PostgreSQL reads the two indexes into one bitmap: with the licences
    outside the OR it read the whole table (a Parallel Seq Scan) for 500 licensees."""
    left = sa.and_(among(H.c.licence, licences), HAS_LEFT)
    if not net_rule:
        return left
    return sa.or_(left, sa.and_(among(H.c.licence, sorted(net_rule)), NO_NET))


def open_harvests(
    conn: sa.Connection, licences: Sequence[str], limit: int | None = None
) -> tuple[list[HarvestRow], int]:
    """(the open harvest batches, most urgent first, at most ``limit``; how many are open in
    all, exactly). Most urgent: those whose NET-WEIGHT-60D net weight is still due, by due
    date (the first harvest + 60 calendar days, so by first harvest), then the others by
    first harvest; then licence and name. Read through ``ix_harvest_batches_left`` and
    ``ix_harvest_batches_no_net``: bounded by the open batches, not by every batch the
    licensees ever harvested; the finished ones are in the API's harvest batch list."""
    net_rule = _net_weight_rule(conn, licences)
    where = _open(licences, net_rule)
    order: list[sa.ColumnElement[Any]] = [H.c.first_harvest_at, H.c.licence, H.c.name]
    if net_rule:  # the net weights due first
        due = sa.and_(H.c.net_weight_grams.is_(None), H.c.licence.in_(sorted(net_rule)))
        order.insert(0, sa.case((due, 0), else_=1))
    stmt = sa.select(*HARVEST_COLUMNS).where(where).order_by(*order)
    rows = conn.execute(stmt if limit is None else stmt.limit(limit)).mappings()
    shown = [HarvestRow(**r, net_weight_rule=r["licence"] in net_rule) for r in rows]
    total = conn.execute(sa.select(sa.func.count()).select_from(H).where(where)).scalar_one()
    return shown, int(total)


def inventory(engine: Engine, licences: Sequence[str], cap: int = CAP) -> Inventory:
    """What a compliance manager acts on now: the live plants by room, the ``cap`` most
    urgent batches holding plants and open harvest batches with the exact number of each, and
    the packages on the premises."""
    with engine.connect() as conn:
        rooms = plants_by_room(conn, licences)
        totals = dict.fromkeys(LIVE_PHASES, 0)
        for r in rooms:
            totals[r.phase] += r.plants
        held, over = batch_counts(conn, licences)
        shown, open_total = open_harvests(conn, licences, cap)
        return Inventory(
            rooms,
            totals,
            batches(conn, licences, cap),
            shown,
            packages(conn, licences),
            batches_total=held,
            over_limit=over,
            harvests_total=open_total,
        )
