"""Transfers received at another weight than the seller manifested (pure: no database).

A package weighs what its manifest says when it leaves the seller; the purchaser weighs it on
receipt (``transfer.received``, each accepted item's quantity). Dried flower gains or loses a
little moisture on the road, so a difference within :data:`TOLERANCE` of the manifested weight
is ordinary. Beyond it, weight left (or was added to) the package between the two weighings,
or one of them is wrong. The signal is the purchaser's (its receipt is the record that
differs) and names the seller.

Only the seller's manifest says what was sent: when the seller is not a licensee in this
system, its manifest is not here (the purchaser's ``transfer.arrived`` carries the UIDs
only) and nothing is compared.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from server.analytics.signals import Signal

TOLERANCE = Decimal("0.02")  # of the manifested weight: moisture on the road
SHOWN = 5  # items listed in an explanation; the rest are counted


@dataclass(frozen=True, slots=True)
class Receipt:
    """One transfer as received: the seller's manifested grams and the purchaser's received
    grams per UID (items counted without a unit weight are left out: they have no grams),
    and the purchaser's events behind it (arrival, receipt), in log order."""

    manifest_id: str
    seller: str  # the seller's licence
    manifested: Mapping[str, Decimal]
    received: Mapping[str, Decimal]
    event_ids: tuple[str, ...]


def received_off(licence: str, receipt: Receipt) -> Signal | None:
    """Flag ``receipt`` when an accepted item's received weight differs from its manifested
    weight by more than :data:`TOLERANCE` of the latter; subject: the manifest ID; score: the
    grams those items differ by, summed as absolute values."""
    off: list[tuple[str, Decimal, Decimal]] = []
    for uid, got in receipt.received.items():
        sent = receipt.manifested.get(uid)
        if sent is None or sent == 0:
            continue
        if abs(got - sent) > TOLERANCE * sent:
            off.append((uid, sent, got))
    if not off:
        return None
    lines = [
        f"{uid}: {sent} g manifested, {got} g received "
        f"({abs(got - sent) * 100 / sent:.1f} % {'less' if got < sent else 'more'})"
        for uid, sent, got in off[:SHOWN]
    ]
    more = f" and {len(off) - SHOWN} more" if len(off) > SHOWN else ""
    grams = sum((abs(got - sent) for _, sent, got in off), Decimal(0))
    return Signal(
        "received-weight-off",
        licence,
        receipt.manifest_id,
        grams,
        f"Transfer {receipt.manifest_id} from {receipt.seller} was received at another weight "
        f"than the seller manifested, beyond the {TOLERANCE * 100:.0f} % moisture can "
        f"explain: {'; '.join(lines)}{more}. {grams} g in all: weight may have left the "
        "packages on the way, or one of the weighings is wrong.",
        receipt.event_ids,
    )
