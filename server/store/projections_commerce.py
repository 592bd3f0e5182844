"""Projections of packages, transfers and sales (see :mod:`server.store.projections`).

A package's life at its licensee: ``on_hand`` when created (or accepted from another
licensee), ``manifested`` once on an outgoing manifest, ``departed`` when the goods leave.
What the purchaser then does is recorded at the purchaser, as an incoming transfer.
"""

from collections.abc import Mapping
from decimal import Decimal

import sqlalchemy as sa

from schemas.commerce import (
    InvoiceAcknowledged,
    PackageCreated,
    Party,
    Quantity,
    SaleRecorded,
    TransferArrived,
    TransferDeparted,
    TransferManifested,
    TransferReceived,
)
from schemas.events import EventEnvelope
from server.compliance.rules.state import has_left
from server.db.core import table_of
from server.db.tables import HarvestBatch, Package, PackageSource, Sale, Tag, Transfer, TransferItem
from server.store.registry import projects
from server.store.rows import POSITION, inserts

PKG, SRC, TR, ITEM, SALE, H, T = (
    table_of(Package),
    table_of(PackageSource),
    table_of(Transfer),
    table_of(TransferItem),
    table_of(Sale),
    table_of(HarvestBatch),
    table_of(Tag),
)


def _quantity(q: Quantity) -> dict[str, Decimal | int | None]:
    """A quantity as columns: the total in grams (None for a count without a unit weight),
    the count, and the weight of one unit."""
    return {
        "quantity_grams": q.total_grams(),
        "quantity_count": q.count,
        "unit_weight_grams": None if q.unit_weight is None else q.unit_weight.in_grams(),
    }


@projects(PackageCreated)
def _package_created(
    conn: sa.Connection, event: EventEnvelope, p: PackageCreated, position: int
) -> None:
    lic, at = event.licence, event.occurred_at
    conn.execute(
        PKG.insert().values(
            licence=lic,
            uid=p.uid,
            source="created",
            category=p.category.value,
            strain=p.strain,
            for_processor=p.for_processor,
            location=p.location,
            status="on_hand",
            created_at=at,
            **_quantity(p.quantity),
        )
    )
    taken: dict[str, Decimal] = {}
    for source in p.sources:  # the same harvest batch named twice counts once, summed
        taken[source.harvest_batch] = taken.get(source.harvest_batch, Decimal(0)) + (
            source.weight.in_grams()
        )
    conn.execute(
        SRC.insert(),
        [
            {"licence": lic, "package_uid": p.uid, "harvest_batch": name, "weight_grams": grams}
            for name, grams in taken.items()
        ],
    )
    packaged = conn.execute(
        sa.select(
            H.c.name,
            H.c.packaged_grams,
            H.c.wet_weight_grams,
            H.c.dry_weight_grams,
            H.c.net_weight_grams,
        ).where(H.c.licence == lic, H.c.name.in_(taken))
    ).all()
    for name, already, wet, dry, net in packaged:  # summed in Python: exact decimal text
        now = already + taken[name]
        conn.execute(
            H.update()
            .where(H.c.licence == lic, H.c.name == name)
            .values(packaged_grams=now, has_left=has_left(wet, dry, net, now))
        )
    conn.execute(
        T.update()
        .where(T.c.licence == lic, T.c.uid == p.uid)
        .values(status="assigned", item_type="package", item_id=p.uid, assigned_at=at)
    )


def _parties(prefix: str, party: Party | None) -> dict[str, str | None]:
    return {
        f"{prefix}_name": None if party is None else party.name,
        f"{prefix}_address": None if party is None else party.address,
        f"{prefix}_licence": None if party is None else party.licence,
    }


def _add_transfer(
    conn: sa.Connection,
    event: EventEnvelope,
    key: tuple[str, str],
    status: str,
    values: Mapping[str, object],
) -> None:
    """A transfer of ``event``'s licensee, by ``key`` (its direction, "out" or "in", and its
    manifest id), recorded when ``event`` happened, in ``status``, with ``values``."""
    direction, manifest_id = key
    conn.execute(
        TR.insert().values(
            licence=event.licence,
            direction=direction,
            manifest_id=manifest_id,
            status=status,
            recorded_at=event.occurred_at,
            **values,
        )
    )


@projects(TransferManifested)
def _manifested(
    conn: sa.Connection, event: EventEnvelope, p: TransferManifested, position: int
) -> None:
    lic = event.licence
    manifest = {
        "transfer_date": p.transfer_date,
        "estimated_departure": p.estimated_departure,
        "estimated_arrival": p.estimated_arrival,
        "recorded_by": event.operator_id,
        "discount": p.discount,
        **_parties("seller", p.seller),
        **_parties("purchaser", p.purchaser),
        **_parties("distributor", p.distributor),
    }
    _add_transfer(conn, event, ("out", p.manifest_id), "manifested", manifest)
    conn.execute(
        ITEM.insert(),
        [
            {
                "licence": lic,
                "direction": "out",
                "manifest_id": p.manifest_id,
                "uid": item.uid,
                "category": item.category.value,
                "strain": item.strain,
                "description": item.description,
                "quantity_grams": item.quantity.total_grams(),
                "quantity_count": item.quantity.count,
                "price": item.price,
            }
            for item in p.items
        ],
    )
    conn.execute(
        PKG.update()
        .where(PKG.c.licence == lic, PKG.c.uid.in_([i.uid for i in p.items]))
        .values(status="manifested", manifest_id=p.manifest_id)
    )


@projects(TransferDeparted)
def _departed(
    conn: sa.Connection, event: EventEnvelope, p: TransferDeparted, position: int
) -> None:
    lic = event.licence
    conn.execute(
        TR.update()
        .where(TR.c.licence == lic, TR.c.direction == "out", TR.c.manifest_id == p.manifest_id)
        .values(status="departed", departed_at=p.departed_at)
    )
    conn.execute(
        PKG.update()
        .where(
            PKG.c.licence == lic, PKG.c.manifest_id == p.manifest_id, PKG.c.status == "manifested"
        )
        .values(status="departed")
    )


@projects(TransferArrived)
def _arrived(conn: sa.Connection, event: EventEnvelope, p: TransferArrived, position: int) -> None:
    lic = event.licence
    arrival = {"arrived_at": p.arrived_at, **_parties("seller", p.seller)}
    _add_transfer(conn, event, ("in", p.manifest_id), "arrived", arrival)
    conn.execute(
        ITEM.insert(),
        [
            {"licence": lic, "direction": "in", "manifest_id": p.manifest_id, "uid": uid}
            for uid in p.uids
        ],
    )


@projects(TransferReceived)
def _received(
    conn: sa.Connection, event: EventEnvelope, p: TransferReceived, position: int
) -> None:
    lic, key = event.licence, (ITEM.c.licence == event.licence, ITEM.c.direction == "in")
    for accepted in p.accepted:
        conn.execute(
            ITEM.update()
            .where(*key, ITEM.c.manifest_id == p.manifest_id, ITEM.c.uid == accepted.uid)
            .values(
                decision="accepted",
                received_grams=accepted.quantity.total_grams(),
                received_count=accepted.quantity.count,
            )
        )
    for rejected in p.rejected:
        conn.execute(
            ITEM.update()
            .where(*key, ITEM.c.manifest_id == p.manifest_id, ITEM.c.uid == rejected.uid)
            .values(decision="rejected", reject_reason=rejected.reason)
        )
    _take_into_stock(conn, event, p)
    undecided = conn.execute(
        sa.select(sa.func.count()).where(
            *key, ITEM.c.manifest_id == p.manifest_id, ITEM.c.decision.is_(None)
        )
    ).scalar_one()
    if undecided == 0:
        conn.execute(
            TR.update()
            .where(TR.c.licence == lic, TR.c.direction == "in", TR.c.manifest_id == p.manifest_id)
            .values(status="received")
        )


@projects(InvoiceAcknowledged)
def _acknowledged(
    conn: sa.Connection, event: EventEnvelope, p: InvoiceAcknowledged, position: int
) -> None:
    """The purchaser's signature on an outgoing transfer's invoice (CA 8401(i)): each item's
    receipt or rejection, and who signed, when, and who recorded it (the latest signature when
    the purchaser acknowledges the items in parts)."""
    lic = event.licence
    key = (ITEM.c.licence == lic, ITEM.c.direction == "out", ITEM.c.manifest_id == p.manifest_id)
    for uid in p.accepted:
        conn.execute(ITEM.update().where(*key, ITEM.c.uid == uid).values(decision="accepted"))
    for rejected in p.rejected:
        conn.execute(
            ITEM.update()
            .where(*key, ITEM.c.uid == rejected.uid)
            .values(decision="rejected", reject_reason=rejected.reason)
        )
    conn.execute(
        TR.update()
        .where(TR.c.licence == lic, TR.c.direction == "out", TR.c.manifest_id == p.manifest_id)
        .values(
            purchaser_signed_by=p.signed_by,
            purchaser_signed_at=p.signed_at,
            purchaser_signature_recorded_by=event.operator_id,
        )
    )


def _take_into_stock(conn: sa.Connection, event: EventEnvelope, p: TransferReceived) -> None:
    """Accepted items become packages on hand; a package of ours coming back (rejected by
    its purchaser and returned) is on hand again."""
    lic = event.licence
    uids = [a.uid for a in p.accepted]
    if not uids:
        return
    ours = set(
        conn.execute(
            sa.select(PKG.c.uid).where(PKG.c.licence == lic, PKG.c.uid.in_(uids))
        ).scalars()
    )
    if ours:
        conn.execute(
            PKG.update()
            .where(PKG.c.licence == lic, PKG.c.uid.in_(ours))
            .values(status="on_hand", manifest_id=None)
        )
    new = [a for a in p.accepted if a.uid not in ours]
    if new:
        conn.execute(
            PKG.insert(),
            [
                {
                    "licence": lic,
                    "uid": a.uid,
                    "source": "received",
                    "for_processor": False,
                    "status": "on_hand",
                    "created_at": event.occurred_at,
                    **_quantity(a.quantity),
                }
                for a in new
            ],
        )


inserts(
    SaleRecorded,
    SALE,
    ("package_uid", "price", "sold_at"),
    {"position": POSITION},
    derived=lambda p: {
        "quantity_grams": p.quantity.total_grams(),
        "quantity_count": p.quantity.count,
    },
)
