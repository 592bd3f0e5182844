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

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from server.compliance.rules.calendar import JURISDICTIONS
from server.compliance.rules.catalogue import CATALOGUE, pack
from server.compliance.rules.cultivation import BATCH_LIMIT
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
    batches: list[BatchRow]
    harvests: list[HarvestRow]
    packages: list[PackageRow]


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
        .where(PK.c.licence.in_(list(licences)), PK.c.status != "departed")
        .order_by(PK.c.licence, PK.c.status, PK.c.uid)
    ).mappings()
    return [PackageRow(**r) for r in rows]


def plants_by_room(conn: sa.Connection, licences: Sequence[str]) -> list[RoomCount]:
    """Live plants per licence, room and phase: tagged ones counted through
    ``ix_plants_licence_phase`` (the live plants only, not every plant the licensee harvested
    or destroyed), untagged ones from the batches. Their sum per phase is the latest
    ``plant_phase_days`` row (:mod:`server.reads.phases`); the rooms are not in it, so they
    are counted here: bounded by the licensees' live plants, not by their history."""
    lic = list(licences)
    tagged = conn.execute(
        sa.select(P.c.licence, P.c.location, P.c.phase, sa.func.count())
        .where(P.c.licence.in_(lic), P.c.phase.in_(LIVE_PHASES))
        .group_by(P.c.licence, P.c.location, P.c.phase)
    ).all()
    plants = B.c.untagged_count - B.c.unsprouted_count
    immature = conn.execute(
        sa.select(B.c.licence, B.c.location, sa.func.sum(plants))
        .where(B.c.licence.in_(lic), plants > 0)
        .group_by(B.c.licence, B.c.location)
    ).all()
    rows = [RoomCount(r[0], r[1], r[2], int(r[3])) for r in tagged]
    rows += [RoomCount(r[0], r[1], "immature", int(r[2])) for r in immature]
    order = {phase: i for i, phase in enumerate(LIVE_PHASES)}
    return sorted(rows, key=lambda r: (r.licence, r.location, order[r.phase]))


def batches(conn: sa.Connection, licences: Sequence[str]) -> list[BatchRow]:
    rows = conn.execute(
        sa.select(*BATCH_COLUMNS)
        .where(B.c.licence.in_(list(licences)))
        .order_by(
            (B.c.untagged_count - B.c.unsprouted_count).desc(),
            B.c.untagged_count.desc(),
            B.c.licence,
            B.c.batch_id,
        )
    ).mappings()
    return [BatchRow(**r) for r in rows]


def _net_weight_rule(conn: sa.Connection, licences: Sequence[str]) -> set[str]:
    """The licences whose jurisdiction's pack has NET-WEIGHT-60D."""
    found = conn.execute(
        sa.select(LIC.c.licence, LIC.c.jurisdiction).where(LIC.c.licence.in_(list(licences)))
    )
    return {lic for lic, j in found if j in JURISDICTIONS and NET_WEIGHT_RULE in pack(j)}


def harvests(conn: sa.Connection, licences: Sequence[str]) -> list[HarvestRow]:
    net_rule = _net_weight_rule(conn, licences)
    rows = conn.execute(
        sa.select(*HARVEST_COLUMNS)
        .where(H.c.licence.in_(list(licences)))
        .order_by(H.c.first_harvest_at.desc(), H.c.name)
    ).mappings()
    return [HarvestRow(**r, net_weight_rule=r["licence"] in net_rule) for r in rows]


def inventory(engine: Engine, licences: Sequence[str]) -> Inventory:
    with engine.connect() as conn:
        rooms = plants_by_room(conn, licences)
        totals = dict.fromkeys(LIVE_PHASES, 0)
        for r in rooms:
            totals[r.phase] += r.plants
        return Inventory(
            rooms,
            totals,
            batches(conn, licences),
            harvests(conn, licences),
            packages(conn, licences),
        )
