"""Physical inventory audit: counted weights and counts against the system's inventory
(AUDIT-VARIANCE; OR Inventory Audits; CA 8408).

Each counted line names an item and what was found: a ``count`` and/or a ``weight``. What the
system expects:

- ``plant`` (UID): 1 while vegetative or flowering, else 0;
- ``batch`` (batch id): its untagged immature plants;
- ``harvest_batch`` (name): the latest recorded weight (net, else dry, else wet) less what went
  into packages, in grams;
- ``package`` (UID): its weight (and unit count for counted products) while on the premises;
  0 once departed.

A weight variance of **usable cannabis** (harvest batches; packages of flower, leaf or shake)
within the moisture tolerance, as a percentage of the expected weight, is normal moisture
variation and not a violation (``within_moisture_tolerance``); any other variance is. Lines are
matched by item; an item the system does not know is reported as such, and, for every item type
the audit counted, an item the system holds that was not counted is reported as missing.

A comparison records nothing by itself; :func:`as_events` turns one into the
``inventory.audited`` events that record it (the licensee's manager records them through the
ingest, so the analytics can follow audit variances).
"""

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.ids import Name
from schemas.records import MAX_AUDITED_LINES, AuditedLine, AuditItem, InventoryAudited
from schemas.weights import Unit, Weight
from server.db.core_tables import BATCHES as B
from server.db.core_tables import HARVEST_BATCHES as H
from server.db.core_tables import PACKAGES as PK
from server.db.core_tables import PLANTS as P
from server.reads.inventory import LIVE_PHASES, harvest_remaining, packaged_grams

USABLE_CATEGORIES = frozenset({"flower", "leaf", "shake"})
MAX_AUDIT_LINES = 10_000
PERCENT = Decimal("0.01")


class Counted(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_type: AuditItem
    item_id: Name  # UID, batch id or harvest batch name
    count: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    weight: Weight | None = None

    @model_validator(mode="after")
    def _something(self) -> "Counted":
        if self.count is None and self.weight is None:
            raise ValueError("give the count, the weight, or both")
        return self


class AuditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    counted: Annotated[list[Counted], Field(min_length=1, max_length=MAX_AUDIT_LINES)]

    @model_validator(mode="after")
    def _distinct(self) -> "AuditIn":
        seen: set[tuple[str, str]] = set()
        for line in self.counted:
            key = (line.item_type.value, line.item_id)
            if key in seen:
                raise ValueError(f"{line.item_type.value} {line.item_id} is counted twice")
            seen.add(key)
        return self


class Finding(StrEnum):
    MATCH = "match"
    WITHIN_MOISTURE_TOLERANCE = "within_moisture_tolerance"
    VARIANCE = "variance"  # AUDIT-VARIANCE
    UNKNOWN_ITEM = "unknown_item"  # counted, but the system has no such item
    NOT_COUNTED = "not_counted"  # the system holds it, the audit did not find it


class AuditLine(BaseModel):
    item_type: AuditItem
    item_id: str
    usable_cannabis: bool
    expected_count: int | None
    counted_count: int | None
    expected_grams: Decimal | None
    counted_grams: Decimal | None
    variance_count: int | None  # counted - expected
    variance_grams: Decimal | None  # counted - expected
    variance_pct: Decimal | None  # of the expected weight, 2 decimals
    finding: Finding


class AuditResult(BaseModel):
    moisture_tolerance_pct: Decimal
    lines: list[AuditLine]
    violations: int  # lines that are AUDIT-VARIANCE violations


class _Expected(BaseModel):
    count: int | None
    grams: Decimal | None
    usable: bool
    on_hand: bool  # whether an uncounted item is missing


Expectations = dict[tuple[AuditItem, str], _Expected]


def expected(conn: sa.Connection, licence: str, types: set[AuditItem]) -> Expectations:
    """What the system holds of the item types an audit counts."""
    found: Expectations = {}
    if AuditItem.PLANT in types:
        for uid, phase in conn.execute(sa.select(P.c.uid, P.c.phase).where(P.c.licence == licence)):
            live = phase in LIVE_PHASES
            found[(AuditItem.PLANT, uid)] = _Expected(
                count=1 if live else 0, grams=None, usable=False, on_hand=live
            )
    if AuditItem.BATCH in types:
        for batch_id, n in conn.execute(
            sa.select(B.c.batch_id, B.c.untagged_count).where(B.c.licence == licence)
        ):
            found[(AuditItem.BATCH, batch_id)] = _Expected(
                count=n, grams=None, usable=False, on_hand=n > 0
            )
    if AuditItem.HARVEST_BATCH in types:
        taken = packaged_grams(conn, licence)
        for row in conn.execute(
            sa.select(
                H.c.name, H.c.wet_weight_grams, H.c.dry_weight_grams, H.c.net_weight_grams
            ).where(H.c.licence == licence)
        ).mappings():
            _, grams = harvest_remaining(row, taken)
            found[(AuditItem.HARVEST_BATCH, row["name"])] = _Expected(
                count=None, grams=grams, usable=True, on_hand=grams > 0
            )
    if AuditItem.PACKAGE in types:
        for row in conn.execute(
            sa.select(
                PK.c.uid, PK.c.category, PK.c.status, PK.c.quantity_grams, PK.c.quantity_count
            ).where(PK.c.licence == licence)
        ).mappings():
            here = row["status"] != "departed"
            found[(AuditItem.PACKAGE, row["uid"])] = _Expected(
                count=(row["quantity_count"] or 0) if here else 0,
                grams=(row["quantity_grams"] if here else Decimal(0)),
                usable=row["category"] in USABLE_CATEGORIES,
                on_hand=here,
            )
    return found


def compare(
    conn: sa.Connection, licence: str, audit: AuditIn, tolerance_pct: Decimal
) -> AuditResult:
    """Every counted line against the system, then what the system holds but was not counted."""
    types = {c.item_type for c in audit.counted}
    system = expected(conn, licence, types)
    lines = [
        _line(c.item_type, c.item_id, system.get((c.item_type, c.item_id)), c, tolerance_pct)
        for c in audit.counted
    ]
    counted = {(c.item_type, c.item_id) for c in audit.counted}
    lines += [
        _line(item_type, item_id, exp, None, tolerance_pct)
        for (item_type, item_id), exp in sorted(system.items())
        if exp.on_hand and (item_type, item_id) not in counted
    ]
    bad = {Finding.VARIANCE, Finding.UNKNOWN_ITEM, Finding.NOT_COUNTED}
    return AuditResult(
        moisture_tolerance_pct=tolerance_pct,
        lines=lines,
        violations=sum(1 for line in lines if line.finding in bad),
    )


# What an item the system does not know is expected to be: nothing, so no variance is computed.
_UNKNOWN = _Expected(count=None, grams=None, usable=False, on_hand=False)


def _line(
    item_type: AuditItem,
    item_id: str,
    exp: _Expected | None,
    c: Counted | None,
    tolerance_pct: Decimal,
) -> AuditLine:
    """One item's line: what was counted of it (``c``; None: it was not counted, so all that
    is expected of it is missing) against what the system expects (``exp``; None: an item the
    system does not know)."""
    count = None if c is None else c.count
    grams = None if c is None or c.weight is None else c.weight.in_grams()
    known = _UNKNOWN if exp is None else exp
    pct = None
    if c is None:
        d_count = None if known.count is None else -known.count
        d_grams = None if known.grams is None else -known.grams
        if known.grams is not None:
            pct = Decimal(-100).quantize(PERCENT)
    else:
        d_count = None if count is None or known.count is None else count - known.count
        d_grams = None if grams is None or known.grams is None else grams - known.grams
        if d_grams is not None and known.grams is not None and known.grams != 0:
            pct = (d_grams * 100 / known.grams).quantize(PERCENT)
    if exp is None:
        finding = Finding.UNKNOWN_ITEM
    elif c is None:
        finding = Finding.NOT_COUNTED
    elif d_count in (None, 0) and d_grams in (None, 0):
        finding = Finding.MATCH
    elif d_count in (None, 0) and exp.usable and pct is not None and abs(pct) <= tolerance_pct:
        finding = Finding.WITHIN_MOISTURE_TOLERANCE
    else:
        finding = Finding.VARIANCE
    return AuditLine(
        item_type=item_type,
        item_id=item_id,
        usable_cannabis=known.usable,
        expected_count=known.count,
        counted_count=count,
        expected_grams=known.grams,
        counted_grams=grams,
        variance_count=d_count,
        variance_grams=d_grams,
        variance_pct=pct,
        finding=finding,
    )


MICROGRAM = Decimal("0.000001")  # the contract's finest weight (6 decimal places of a gram)


def _to_microgram(grams: Decimal) -> Decimal:
    """``grams`` as it is when it has at most 6 decimals (450 stays 450), else rounded."""
    rounded = grams.quantize(MICROGRAM)
    return grams if rounded == grams else rounded


def as_events(
    audit: AuditIn, result: AuditResult, audit_id: str, audited_by: str
) -> list[InventoryAudited]:
    """``result`` (the comparison of ``audit``) as the ``inventory.audited`` events recording
    it, :data:`~schemas.records.MAX_AUDITED_LINES` lines each. A counted weight is recorded
    as it was entered; an expected weight in grams, to the microgram (the contract's
    precision: a pound's exact grams have more decimals)."""
    entered = {(c.item_type, c.item_id): c.weight for c in audit.counted}
    lines = [
        AuditedLine(
            item_type=line.item_type,
            item_id=line.item_id,
            usable_cannabis=line.usable_cannabis,
            expected_count=line.expected_count,
            counted_count=line.counted_count,
            expected_weight=None
            if line.expected_grams is None
            else Weight(value=_to_microgram(line.expected_grams), unit=Unit.G),
            counted_weight=entered.get((line.item_type, line.item_id)),
        )
        for line in result.lines
    ]
    chunks = [lines[i : i + MAX_AUDITED_LINES] for i in range(0, len(lines), MAX_AUDITED_LINES)]
    return [
        InventoryAudited(
            audit_id=audit_id,
            part=n,
            parts=len(chunks),
            audited_by=audited_by,
            moisture_tolerance_pct=result.moisture_tolerance_pct,
            lines=chunk,
        )
        for n, chunk in enumerate(chunks, start=1)
    ]
