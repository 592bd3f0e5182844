"""Reconciliation of the state's sales with ours: BioTrack's sales and Metrc's sales receipts
(docs/sync.md, Reconciliation). Called by :mod:`server.statesync.reconcile`; reads only.

Ours: ``sales`` (one ``sale.recorded`` each: a package, grams or a count of units, a price in
US dollars). The state's: BioTrack's ``sync_sale`` from the first transaction, Metrc's
``/sales/v2/receipts/active``. The connector files each sale with our event id (BioTrack's
``external_id``, Metrc's ``ExternalReceiptNumber``), so a sale matches by it. Differences,
subject ``sale`` by our event id (the state's sale or receipt number for one we do not know):

- ours with no sale at the state (``missing at ...``), the state's with no sale here
  (``missing here``: sold at the state by hand, or by another system);
- the package (at BioTrack: its item against the id the connector learnt for our package;
  at Metrc: the label), the quantity (grams, or units) and the price that differ.
"""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from server.db.core import table_of
from server.db.tables import EventLog, Sale
from server.statesync.reconcile_outgoing import amount
from server.statesync.reconcile_product import Report

__all__ = [
    "OurSale",
    "StateSale",
    "biotrack_sales",
    "metrc_sales",
    "read_sales",
    "sale_differences",
]

SALES = table_of(Sale)
LOG = table_of(EventLog)
OurSale = tuple[str, str, str]  # package UID, quantity (grams or units), price (US $)


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
            amount(r.quantity_grams if r.quantity_grams is not None else r.quantity_count),
            amount(r.price),
        )
        for r in rows
    }


# A state's sale, as compared: its id there, our event id it was filed with (or None), and
# its lines (our package UID, or the state's item id where we know none; quantity; price).
StateSale = tuple[str, str | None, list[tuple[str, str, str]]]


def biotrack_sales(sales: list[dict[str, Any]], package_ids: dict[str, str]) -> list[StateSale]:
    """BioTrack's ``sync_sale`` rows; ``package_ids``: BioTrack's ids of our packages."""
    uid_of = {state_id: uid for uid, state_id in package_ids.items()}
    found: list[StateSale] = []
    for sale in sales:
        lines = [
            (
                uid_of.get(str(x.get("barcodeid")), f"BioTrack item {x.get('barcodeid')}"),
                amount(x.get("quantity", 0)),
                amount(x.get("price", 0)),
            )
            for x in sale.get("items") or []
        ]
        external = sale.get("external_id")
        found.append((str(sale.get("sale_id")), None if external is None else str(external), lines))
    return found


def metrc_sales(receipts: list[Any]) -> list[StateSale]:
    """Metrc's sales receipts (:class:`server.statesync.metrc_models.SalesReceiptRecord`)."""
    return [
        (
            r.receipt_number,
            r.external_receipt_number,
            [
                (
                    str(x.get("PackageLabel")),
                    amount(x.get("Quantity", 0)),
                    amount(x.get("TotalAmount", 0)),
                )
                for x in r.transactions
            ],
        )
        for r in receipts
    ]


def sale_differences(
    ours: dict[str, OurSale], sales: list[StateSale], system: str, report: Report
) -> None:
    """Report every difference between our sales and the state's (``system``: its name)."""
    fix = f"find which is right; correct it here (record.corrected) or at {system}"
    theirs = {external: (key, lines) for key, external, lines in sales if external is not None}
    for event_id, (uid, quantity, price) in ours.items():
        found = theirs.get(event_id)
        if found is None:
            report(
                "sale",
                event_id,
                f"missing at {system}",
                f"{quantity} of {uid}",
                None,
                f"file it at {system} (see its event's state calls), or correct our sale",
            )
            continue
        lines = found[1]
        if [line[0] for line in lines] != [uid]:
            report("sale", event_id, "package", uid, ", ".join(x[0] for x in lines), fix)
            continue
        if lines[0][1] != quantity:
            report("sale", event_id, "quantity", quantity, lines[0][1], fix)
        if lines[0][2] != price:
            report("sale", event_id, "price ($)", price, lines[0][2], fix)
    for key, external, lines in sales:
        if external is not None and external in ours:
            continue
        report(
            "sale",
            key,
            "missing here",
            None,
            ", ".join(f"{q} of {uid}" for uid, q, _price in lines) or "present",
            f"record the sale here (sale.recorded), or find why {system} has it",
        )
