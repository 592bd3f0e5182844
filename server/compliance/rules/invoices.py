"""SALES-INVOICE (CA 8401): a sale or transport to another licensee has an invoice with every
field 8401 lists. seedtrace's invoice is the manifest (``transfer.manifested``): the parties,
the date, the number (the manifest ID), each item's weight or count, strain, category and
description come with it already (TRANSFER-MANIFEST); this rule asks for what only the invoice
needs, the cost to the purchaser (8401(f)). The signatures (8401(h),(i)) are the manifest's
recording user and the purchaser's ``invoice.acknowledged``."""

from collections.abc import Iterator

from schemas.commerce import TransferManifested
from schemas.events import EventEnvelope
from server.compliance.rules.base import rule_on
from server.compliance.rules.state import StateView


@rule_on(
    "SALES-INVOICE",
    summary="A transfer to another licensee is invoiced: every item of its manifest carries "
    "its cost to the purchaser (8401(f)); the manifest carries the other 8401 fields.",
)
def sales_invoice(state: StateView, event: EventEnvelope, p: TransferManifested) -> Iterator[str]:
    unpriced = [i.uid for i in p.items if i.price is None]
    if unpriced:
        shown = ", ".join(unpriced[:5]) + (
            f" and {len(unpriced) - 5} more" if len(unpriced) > 5 else ""
        )
        yield (
            f"Manifest {p.manifest_id} is the invoice of this transfer and must show the cost to "
            f"the purchaser of every item: give a price (US dollars) for {shown}"
        )
