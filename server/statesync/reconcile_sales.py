"""Reconciliation of BioTrack's sales with ours (docs/sync.md, Reconciliation). Called by
:func:`server.statesync.reconcile.reconcile_biotrack`; reads only.

Ours: ``sales`` (one ``sale.recorded`` each: a package, grams or a count of units, a price in
US dollars). BioTrack's: ``sync_sale`` from the first transaction. The connector files each
sale with our event id as BioTrack's ``external_id``, so a sale matches by it. Differences,
subject ``sale`` by our event id (BioTrack's sale id for one we do not know):

- ours with no BioTrack sale (``missing at BioTrack``), BioTrack's with no sale here
  (``missing here``: sold at BioTrack by hand, or by another system);
- the package (BioTrack's item against the id the connector learnt for our package), the
  quantity (grams, or units) and the price that differ.
"""

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from server.db.core import table_of
from server.db.tables import EventLog, Sale
from server.statesync.reconcile_product import Report

__all__ = ["OurSale", "read_sales", "sale_differences"]

SALES = table_of(Sale)
LOG = table_of(EventLog)
OurSale = tuple[str, str, str]  # package UID, quantity (grams or units), price (US $)
FIX = "find which is right; correct it here (record.corrected) or at BioTrack"


def _amount(value: object) -> str:
    return format(Decimal(str(value)).normalize(), "f")


def read_sales(conn: Connection, licence: str) -> dict[str, OurSale]:
    """Our sales by the id of the event that recorded each."""
    rows = conn.execute(
        sa.select(
            LOG.c.event_id,
            SALES.c.package_uid,
            SALES.c.quantity_grams,
            SALES.c.quantity_count,
            SALES.c.price,
        )
        .join(LOG, LOG.c.position == SALES.c.position)
        .where(SALES.c.licence == licence)
    )
    return {
        r.event_id: (
            r.package_uid,
            _amount(r.quantity_grams if r.quantity_grams is not None else r.quantity_count),
            _amount(r.price),
        )
        for r in rows
    }


def sale_differences(
    ours: dict[str, OurSale],
    package_ids: dict[str, str],
    sales: list[dict[str, Any]],
    report: Report,
) -> None:
    """Report every sale difference; ``package_ids``: BioTrack's ids of our packages."""
    uid_of = {state_id: uid for uid, state_id in package_ids.items()}
    theirs = {str(s.get("external_id")): s for s in sales if s.get("external_id") is not None}
    for event_id, (uid, quantity, price) in ours.items():
        sale = theirs.get(event_id)
        if sale is None:
            report(
                "sale",
                event_id,
                "missing at BioTrack",
                f"{quantity} of {uid}",
                None,
                "file it at BioTrack (see its event's state calls), or correct our sale",
            )
            continue
        lines = sale.get("items") or [{}]
        line = lines[0]
        barcode = str(line.get("barcodeid"))
        if uid_of.get(barcode) != uid or len(lines) != 1:
            listed = ", ".join(uid_of.get(str(x.get("barcodeid")), "?") for x in lines)
            report("sale", event_id, "package", uid, listed, FIX)
        if _amount(line.get("quantity", 0)) != quantity:
            report("sale", event_id, "quantity", quantity, _amount(line.get("quantity", 0)), FIX)
        if _amount(line.get("price", 0)) != price:
            report("sale", event_id, "price ($)", price, _amount(line.get("price", 0)), FIX)
    for sale in sales:
        if str(sale.get("external_id")) in ours:
            continue
        sold = ", ".join(
            f"{_amount(x.get('quantity', 0))} of "
            f"{uid_of.get(str(x.get('barcodeid')), x.get('barcodeid'))}"
            for x in sale.get("items") or []
        )
        report(
            "sale",
            str(sale.get("sale_id")),
            "missing here",
            None,
            sold or "present",
            "record the sale here (sale.recorded), or find why BioTrack has it",
        )
