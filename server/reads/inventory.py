"""A licensee's current inventory, by item and state, on the premises and in transit.

Read from the projections (the current state, not a past one):

=================  ==================  =====================================================
item               state               what is counted / weighed
=================  ==================  =====================================================
immature_plants    untagged            batches' untagged plants (count)
plant              vegetative,         tagged live plants (count), from the latest
                   flowering           ``plant_phase_days`` row (:mod:`.phases`)
harvest_batch      wet, dried          harvest batches with something left: the latest
                                       recorded weight (net, else dry, else wet) less what
                                       went into packages (grams)
package:<cat>      on_hand,            packages by category (count, grams; counted products
                   manifested          add their unit count)
package:<cat>      departed            in transit: left on a manifest of ours
transfer_in        arrived             in transit: goods of another licensee at our door,
                                       not yet accepted or rejected (count of UIDs)
=================  ==================  =====================================================

Weights are exact grams (:class:`~decimal.Decimal`).
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from pydantic import BaseModel

from server.db.core_tables import BATCHES as B
from server.db.core_tables import HARVEST_BATCHES as H
from server.db.core_tables import PACKAGE_SOURCES as PS
from server.db.core_tables import PACKAGES as PK
from server.db.core_tables import TRANSFER_ITEMS as TI
from server.db.core_tables import TRANSFERS as TX
from server.db.tables import HOLDING
from server.reads import phases

LIVE_PHASES = ("vegetative", "flowering")


class InventoryLine(BaseModel):
    item: str
    state: str
    count: int  # items (plants, packages, batches, UIDs)
    units: int | None  # units inside counted packages (pre-rolls, cannabinoid products)
    weight_grams: Decimal | None


@dataclass
class _Sum:
    count: int = 0
    units: int | None = None
    grams: Decimal | None = None

    def add(self, count: int = 1, units: int | None = None, grams: Decimal | None = None) -> None:
        self.count += count
        if units is not None:
            self.units = units if self.units is None else self.units + units
        if grams is not None:
            self.grams = grams if self.grams is None else self.grams + grams


def _lines(sums: dict[tuple[str, str], _Sum]) -> list[InventoryLine]:
    return [
        InventoryLine(item=item, state=state, count=s.count, units=s.units, weight_grams=s.grams)
        for (item, state), s in sorted(sums.items())
        if s.count > 0
    ]


def packaged_grams(conn: sa.Connection, licence: str) -> dict[str, Decimal]:
    """Grams taken from each harvest batch into packages (summed exactly, in Python)."""
    taken: dict[str, Decimal] = defaultdict(Decimal)
    for name, grams in conn.execute(
        sa.select(PS.c.harvest_batch, PS.c.weight_grams).where(PS.c.licence == licence)
    ):
        taken[name] += grams
    return taken


def harvest_remaining(row: sa.RowMapping, taken: dict[str, Decimal]) -> tuple[str, Decimal]:
    """(state, grams left) of one harvest batch: the latest recorded weight less packages."""
    latest = row["net_weight_grams"]
    if latest is None:
        latest = row["dry_weight_grams"]
    state = "wet" if latest is None else "dried"
    base = row["wet_weight_grams"] if latest is None else latest
    return state, base - taken.get(row["name"], Decimal(0))


def current(conn: sa.Connection, licence: str) -> tuple[list[InventoryLine], list[InventoryLine]]:
    """(on the premises, in transit) for ``licence`` now."""
    here: dict[tuple[str, str], _Sum] = defaultdict(_Sum)
    away: dict[tuple[str, str], _Sum] = defaultdict(_Sum)
    # Only the batches holding something add to the sum: read through ix_batches_holding,
    # not every batch the licensee ever started (the predicate as the index writes it).
    untagged = conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(B.c.untagged_count), 0)).where(
            B.c.licence == licence, sa.text(HOLDING)
        )
    ).scalar_one()
    here[("immature_plants", "untagged")].add(int(untagged))
    live = phases.live_plants(conn, [licence])[licence]  # one probe, not a count of plants
    for phase in LIVE_PHASES:
        here[("plant", phase)].add(live[phase])
    taken = packaged_grams(conn, licence)
    for row in conn.execute(
        sa.select(H.c.name, H.c.wet_weight_grams, H.c.dry_weight_grams, H.c.net_weight_grams).where(
            H.c.licence == licence
        )
    ).mappings():
        state, grams = harvest_remaining(row, taken)
        if grams > 0:
            here[("harvest_batch", state)].add(grams=grams)
    for row in conn.execute(
        sa.select(PK.c.category, PK.c.status, PK.c.quantity_grams, PK.c.quantity_count).where(
            PK.c.licence == licence
        )
    ).mappings():
        key = (f"package:{row['category'] or 'received'}", row["status"])
        target = away if row["status"] == "departed" else here
        target[key].add(units=row["quantity_count"], grams=row["quantity_grams"])
    arrived = conn.execute(
        sa.select(sa.func.count())
        .select_from(
            TI.join(
                TX,
                sa.and_(
                    TX.c.licence == TI.c.licence,
                    TX.c.direction == TI.c.direction,
                    TX.c.manifest_id == TI.c.manifest_id,
                ),
            )
        )
        .where(TX.c.licence == licence, TX.c.direction == "in", TX.c.status == "arrived")
    ).scalar_one()
    away[("transfer_in", "arrived")].add(int(arrived))
    return _lines(here), _lines(away)
