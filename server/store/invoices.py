"""The sales invoice of a transfer to another licensee (SALES-INVOICE, CA 8401), read from the
outgoing transfer's projection rows.

Where each field of 8401 comes from:

- (a), (b) seller and purchaser: name, business address, licence number (the manifest);
- (c) date of the transfer (the manifest's ``transfer_date``);
- (d) invoice number: the manifest ID (unique per seller: TRANSFER-MANIFEST refuses a repeat);
- (e) weight (grams, exact) or count of each item;
- (f) cost to the purchaser: each item's price, the discount and the total (US dollars);
- (g) description of each item with its strain and category;
- (h) the seller's signature: the user who recorded the manifest, with the time;
- (i) the purchaser's signature: ``invoice.acknowledged`` (who signed, when, each item
  received or rejected, and who recorded it).

:attr:`Invoice.missing` names the fields a particular invoice still lacks (an Oregon manifest
need not carry prices; the purchaser may not have signed yet), so a printed invoice never
looks complete when it is not.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from schemas.commerce import Party
from server.db.among import among
from server.db.core_tables import LICENSEES as LIC
from server.db.core_tables import TRANSFER_ITEMS as ITEM
from server.db.core_tables import TRANSFERS as TR
from server.db.core_tables import USERS


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    uid: str
    category: str
    strain: str
    description: str
    grams: Decimal | None
    count: int | None
    price: Decimal | None  # US dollars
    decision: str | None  # accepted | rejected, once the purchaser signed
    reject_reason: str | None


@dataclass(frozen=True, slots=True)
class Signature:
    """Who signed (``name``, and the seedtrace user who recorded it) and when."""

    name: str
    signed_at: datetime
    recorded_by: str | None


@dataclass(frozen=True, slots=True)
class Invoice:
    licence: str
    jurisdiction: str
    timezone: str  # the premises' IANA zone: times are shown in it
    number: str  # the manifest ID
    transfer_date: date | None
    status: str  # manifested | departed
    seller: Party
    purchaser: Party | None
    distributor: Party | None
    lines: tuple[InvoiceLine, ...]
    discount: Decimal | None
    seller_signature: Signature | None
    purchaser_signature: Signature | None

    @property
    def subtotal(self) -> Decimal | None:
        """The items' prices added up; None when an item has no price."""
        if any(line.price is None for line in self.lines):
            return None
        return sum((line.price for line in self.lines if line.price is not None), Decimal(0))

    @property
    def total(self) -> Decimal | None:
        """The cost to the purchaser after the discount; None when an item has no price."""
        sub = self.subtotal
        return None if sub is None else sub - (self.discount or Decimal(0))

    @property
    def missing(self) -> list[str]:
        """The 8401 fields this invoice does not have yet, in words."""
        out: list[str] = []
        unpriced = [line.uid for line in self.lines if line.price is None]
        if unpriced:
            out.append(f"8401(f) cost to the purchaser: no price for {', '.join(unpriced)}")
        if self.purchaser_signature is None:
            out.append("8401(i) the purchaser's signature (receipt or rejection): not yet recorded")
        else:
            open_lines = [line.uid for line in self.lines if line.decision is None]
            if open_lines:
                out.append(
                    f"8401(i) receipt or rejection not yet recorded for {', '.join(open_lines)}"
                )
        return out


def money(amount: Decimal | None) -> str:
    """US dollars as printed: ``$1,200.00``; a blank amount as ``not given``."""
    return "not given" if amount is None else f"${amount:,.2f}"


def quantity(line: InvoiceLine) -> str:
    """8401(e): the count of units, or the weight in grams (exact, as stored)."""
    weight = None if line.grams is None else f"{line.grams.normalize():f} g"
    if line.count is not None:
        return f"{line.count} units" + ("" if weight is None else f", {weight} in all")
    return weight if weight is not None else "not given"


def _party(name: str | None, address: str | None, licence: str | None) -> Party | None:
    if name is None or address is None or licence is None:
        return None
    return Party(name=name, address=address, licence=licence)


def _signer(conn: sa.Connection, licence: str, user_id: str | None) -> str | None:
    """The roster's full name of ``user_id`` with the id, or the id alone."""
    if user_id is None:
        return None
    name = conn.execute(
        sa.select(USERS.c.full_name).where(USERS.c.licence == licence, USERS.c.user_id == user_id)
    ).scalar_one_or_none()
    return user_id if name is None else f"{name} ({user_id})"


def invoice(conn: sa.Connection, licence: str, manifest_id: str) -> Invoice | None:
    """The invoice of ``licence``'s outgoing transfer ``manifest_id``; None if there is none."""
    row = (
        conn.execute(
            sa.select(TR, LIC.c.jurisdiction, LIC.c.timezone)
            .join(LIC, LIC.c.licence == TR.c.licence)
            .where(
                TR.c.licence == licence, TR.c.direction == "out", TR.c.manifest_id == manifest_id
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    items = conn.execute(
        sa.select(ITEM)
        .where(
            ITEM.c.licence == licence, ITEM.c.direction == "out", ITEM.c.manifest_id == manifest_id
        )
        .order_by(ITEM.c.uid)
    ).mappings()
    lines = tuple(
        InvoiceLine(
            i["uid"],
            i["category"] or "",
            i["strain"] or "",
            i["description"] or "",
            i["quantity_grams"],
            i["quantity_count"],
            i["price"],
            i["decision"],
            i["reject_reason"],
        )
        for i in items
    )
    seller_signer = _signer(conn, licence, row["recorded_by"])
    purchaser = None
    if row["purchaser_signed_by"] is not None and row["purchaser_signed_at"] is not None:
        purchaser = Signature(
            row["purchaser_signed_by"],
            row["purchaser_signed_at"],
            _signer(conn, licence, row["purchaser_signature_recorded_by"]),
        )
    seller = _party(row["seller_name"], row["seller_address"], row["seller_licence"])
    assert seller is not None  # an outgoing transfer's manifest names its seller
    return Invoice(
        licence=licence,
        jurisdiction=row["jurisdiction"],
        timezone=row["timezone"],
        number=manifest_id,
        transfer_date=row["transfer_date"],
        status=row["status"],
        seller=seller,
        purchaser=_party(row["purchaser_name"], row["purchaser_address"], row["purchaser_licence"]),
        distributor=_party(
            row["distributor_name"], row["distributor_address"], row["distributor_licence"]
        ),
        lines=lines,
        discount=row["discount"],
        seller_signature=None
        if seller_signer is None
        else Signature(seller_signer, row["recorded_at"], row["recorded_by"]),
        purchaser_signature=purchaser,
    )


def invoice_numbers(conn: sa.Connection, licences: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(licence, manifest ID, status) of every outgoing transfer of ``licences``, newest first."""
    rows = conn.execute(
        sa.select(TR.c.licence, TR.c.manifest_id, TR.c.status)
        .where(among(TR.c.licence, licences), TR.c.direction == "out")
        .order_by(TR.c.recorded_at.desc(), TR.c.manifest_id)
    )
    return [(r[0], r[1], r[2]) for r in rows]
