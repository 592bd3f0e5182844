"""Packages, transfers and sales: what leaves a harvest batch and, later, the premises.

Quantities follow WEIGHT-UNITS (OR Reconciliation (1)(c),(e); CA 8401(e)(1), 8405(d)(5)):
seeds, usable cannabis and concentrates by weight; cannabinoid products by unit count plus
the weight of one unit. The schema accepts either shape of :class:`Quantity`; the rule decides
which shape a category needs, so a mismatch is rejected with the rule's ID, not as a schema
error.

A transfer is recorded in steps, each an event:

1. ``transfer.manifested``: the seller records the manifest before the goods leave
   (TRANSFER-MANIFEST, CA 8405(a),(d)): seller, purchaser and distributor with names,
   addresses and licence numbers; the date; estimated departure and arrival; each item's UID,
   category, strain, description and weight or count.
2. ``transfer.departed``: the actual departure.
3. ``transfer.arrived``: at the purchaser, the goods are at the door (TRANSFER-RECEIPT-24H's
   24 hours start here, CA 8405(b)).
4. ``transfer.received``: the purchaser accepts or rejects each item.

The seller's **invoice** (SALES-INVOICE, CA 8401) is the manifest: its number is the manifest
ID, and each item carries its ``price`` (the cost to the purchaser) and the manifest an
optional ``discount`` off the total. ``invoice.acknowledged`` records, at the seller, the
purchaser's signed acceptance or rejection of each item (CA 8401(i)).
"""

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.ids import BatchId, LicenceNumber, Name, TagUid, Text
from schemas.times import Day, Instant
from schemas.weights import Weight

# A package holds product of at most this many harvest batches (a mixed lot for a processor).
MAX_PACKAGE_SOURCES = 50
MAX_MANIFEST_ITEMS = 500

ManifestId = BatchId


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ItemCategory(StrEnum):
    """What an item is, as a manifest describes it (CA 8405(d)(4): plant, flower, leaf, shake,
    kief, pre-roll), plus the other forms the texts weigh or count."""

    SEED = "seed"
    IMMATURE_PLANT = "immature_plant"
    FLOWER = "flower"
    LEAF = "leaf"
    SHAKE = "shake"
    KIEF = "kief"
    PRE_ROLL = "pre_roll"
    CONCENTRATE = "concentrate"
    CANNABINOID_PRODUCT = "cannabinoid_product"


# Categories counted in units, each unit weighed (WEIGHT-UNITS); every other one by weight.
COUNTED_CATEGORIES = frozenset({ItemCategory.CANNABINOID_PRODUCT, ItemCategory.PRE_ROLL})


class Quantity(_Model):
    """How much: a ``weight``, or a ``count`` of units each weighing ``unit_weight``."""

    weight: Weight | None = None
    count: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    unit_weight: Weight | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> "Quantity":
        if self.weight is not None:
            if self.count is not None or self.unit_weight is not None:
                raise ValueError("give either weight, or count with unit_weight, not both")
        elif self.count is None:
            raise ValueError("give weight, or count with unit_weight")
        return self

    def total_grams(self) -> Decimal | None:
        """The total weight in grams, exact; None for a count without a unit weight."""
        if self.weight is not None:
            return self.weight.in_grams()
        if self.count is None or self.unit_weight is None:
            return None
        return self.unit_weight.in_grams() * self.count


class PackageSource(_Model):
    """Product taken from one harvest batch into a package (PRODUCT-FROM-HARVEST)."""

    harvest_batch: Name
    weight: Weight


class PackageCreated(_Model):
    """Product from one or more harvest batches put in a package with its own package UID.

    Only identical items go in one package (PACKAGE-IDENTICAL, OR UID Tags (2)): one category,
    one strain, unless ``for_processor`` marks a mixed lot going to a processor.
    """

    kind: Literal["package.created"] = "package.created"
    uid: TagUid
    category: ItemCategory
    strain: Name
    sources: Annotated[list[PackageSource], Field(min_length=1, max_length=MAX_PACKAGE_SOURCES)]
    quantity: Quantity
    for_processor: bool = False
    location: Name | None = None


class Party(_Model):
    """A licensee on a manifest or invoice: name, address and licence number."""

    name: Name
    address: Text
    licence: LicenceNumber


# US dollars and cents.
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


class ManifestItem(_Model):
    """One package on a manifest. ``price``: what the purchaser pays for it, in US dollars,
    before the manifest's discount (CA 8401(f); SALES-INVOICE asks for it in California)."""

    uid: TagUid
    category: ItemCategory
    strain: Name
    description: Text
    quantity: Quantity
    price: Money | None = None


def _distinct_items(uids: list[str]) -> None:
    seen: set[str] = set()
    for uid in uids:
        if uid in seen:
            raise ValueError(f"UID {uid} is listed twice")
        seen.add(uid)


class TransferManifested(_Model):
    """The seller records a transfer's manifest, before the goods leave (CA 8405(a),(d))."""

    kind: Literal["transfer.manifested"] = "transfer.manifested"
    manifest_id: ManifestId
    seller: Party
    purchaser: Party
    distributor: Party | None = None
    transfer_date: Day
    estimated_departure: Instant
    estimated_arrival: Instant
    items: Annotated[list[ManifestItem], Field(min_length=1, max_length=MAX_MANIFEST_ITEMS)]
    discount: Money | None = None  # US dollars off the items' total (CA 8401(f))

    @model_validator(mode="after")
    def _consistent(self) -> "TransferManifested":
        _distinct_items([i.uid for i in self.items])
        if self.estimated_arrival < self.estimated_departure:
            raise ValueError("estimated_arrival is before estimated_departure")
        if self.discount is not None:
            prices = [i.price for i in self.items]
            if any(p is None for p in prices):
                raise ValueError("a discount needs a price on every item")
            total = sum((p for p in prices if p is not None), Decimal(0))
            if self.discount > total:
                raise ValueError(f"discount {self.discount} is more than the total {total}")
        return self

    def total(self) -> Decimal | None:
        """What the purchaser pays, in US dollars: the items' prices less the discount; None
        when an item has no price."""
        prices = [i.price for i in self.items]
        if any(p is None for p in prices):
            return None
        gross = sum((p for p in prices if p is not None), Decimal(0))
        return gross - (self.discount or Decimal(0))


class TransferDeparted(_Model):
    """The goods of a manifest left the seller's premises (the actual departure)."""

    kind: Literal["transfer.departed"] = "transfer.departed"
    manifest_id: ManifestId
    departed_at: Instant


class TransferArrived(_Model):
    """Goods from another licensee arrived at the purchaser (TRANSFER-RECEIPT-24H starts)."""

    kind: Literal["transfer.arrived"] = "transfer.arrived"
    manifest_id: ManifestId
    seller: Party
    arrived_at: Instant
    uids: Annotated[list[TagUid], Field(min_length=1, max_length=MAX_MANIFEST_ITEMS)]


class ReceivedItem(_Model):
    uid: TagUid
    quantity: Quantity


class RejectedItem(_Model):
    uid: TagUid
    reason: Text


class TransferReceived(_Model):
    """The purchaser accepts or rejects each item of an arrived transfer (CA 8405(b))."""

    kind: Literal["transfer.received"] = "transfer.received"
    manifest_id: ManifestId
    accepted: Annotated[list[ReceivedItem], Field(max_length=MAX_MANIFEST_ITEMS)] = []
    rejected: Annotated[list[RejectedItem], Field(max_length=MAX_MANIFEST_ITEMS)] = []

    @model_validator(mode="after")
    def _something(self) -> "TransferReceived":
        uids = [i.uid for i in self.accepted] + [i.uid for i in self.rejected]
        if not uids:
            raise ValueError("accept or reject at least one item")
        _distinct_items(uids)
        return self


class InvoiceAcknowledged(_Model):
    """The purchaser's signed acknowledgement of an outgoing transfer's invoice, recorded by
    the seller: who signed for the purchaser, when, and each item received or rejected (CA
    8401(i)). The items named must be on the manifest, each acknowledged once."""

    kind: Literal["invoice.acknowledged"] = "invoice.acknowledged"
    manifest_id: ManifestId
    signed_by: Name  # the purchaser or its designated representative
    signed_at: Instant
    accepted: Annotated[list[TagUid], Field(max_length=MAX_MANIFEST_ITEMS)] = []
    rejected: Annotated[list[RejectedItem], Field(max_length=MAX_MANIFEST_ITEMS)] = []

    @model_validator(mode="after")
    def _something(self) -> "InvoiceAcknowledged":
        uids = [*self.accepted, *(i.uid for i in self.rejected)]
        if not uids:
            raise ValueError("acknowledge receipt or rejection of at least one item")
        _distinct_items(uids)
        return self


class SaleRecorded(_Model):
    """A retail sale from a package: amount, price and when (RETAIL-SALES-EOD, OR
    Reconciliation (4)). ``price`` is the total charged, in US dollars, after discounts."""

    kind: Literal["sale.recorded"] = "sale.recorded"
    package_uid: TagUid
    quantity: Quantity
    price: Money
    sold_at: Instant
