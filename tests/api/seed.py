"""A licensee's floor, recorded through the real pipeline, for the API tests to read.

Each licensee gets UIDs with its own prefix, so one licensee's ids never exist at the other:
asking for them across licensees must answer 404 because of scoping, not by accident.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.clock import Clock
from schemas.commerce import (
    ItemCategory,
    ManifestItem,
    PackageCreated,
    PackageSource,
    Party,
    Quantity,
    TransferManifested,
)
from schemas.events import (
    DestroyMethod,
    HarvestBatchWeighed,
    Payload,
    PlantBatchCreated,
    PlantDestroyed,
    PlantHarvested,
    PlantOrigin,
    PlantPhase,
    PlantsPhaseChanged,
    PlantsTagged,
    ScaleReading,
    TagsReceived,
    TagType,
    WasteRecorded,
    WeightType,
)
from schemas.records import AccessLost, LocationAdded, LocationKind, RecordFlagged, TagsOrdered
from schemas.weights import Unit, Weight
from server.db.notifications import Notification
from server.ingest.pipeline import CONSOLE_STATION
from tests.api.people import record


@dataclass(frozen=True)
class Floor:
    """The ids of what :func:`seed_floor` recorded for one licensee."""

    licence: str
    uids: list[str]  # plant tags received; the first three are plants
    package_uids: list[str]  # received; the first is packaged and on a manifest
    batch_id: str
    harvest_batch: str
    manifest_id: str
    event_ids: list[str]  # in order; the last two are the access loss and the flag
    notification_id: int  # the licensee's first notification

    @property
    def access_loss(self) -> str:
        return self.event_ids[-2]

    @property
    def plants(self) -> list[str]:
        return self.uids[:3]


N = Notification.__table__  # type: ignore[attr-defined]


def room_of(licence: str) -> str:
    """A location only this licensee has."""
    return f"Room {licence}"


def station_of(licence: str) -> str:
    return f"dry-room-{licence}"


def uid_of(prefix: str, n: int) -> str:
    return f"{prefix}{n:08d}"


def grams(value: str | Decimal) -> Weight:
    return Weight(value=Decimal(value), unit=Unit.G)


def reading(value: str | Decimal, at: datetime) -> ScaleReading:
    return ScaleReading(
        device_id="scale-1", weight=grams(value), stable=True, raw_hex="", read_at=at
    )


def clones(batch_id: str, count: int, strain: str = "Blue Dream") -> PlantBatchCreated:
    """A batch of ``count`` clones started in Veg."""
    return PlantBatchCreated(
        batch_id=batch_id, origin=PlantOrigin.CLONE, count=count, strain=strain, location="Veg"
    )


def to_flower(uids: list[str]) -> PlantsPhaseChanged:
    """``uids`` moved to flowering, in Flower 1."""
    return PlantsPhaseChanged(uids=uids, phase=PlantPhase.FLOWERING, location="Flower 1")


def cut(uid: str, harvest_batch: str, value: str | Decimal, at: datetime) -> PlantHarvested:
    """Plant ``uid`` harvested into ``harvest_batch`` at ``value`` g wet, as the scale read it
    (stable) at ``at``."""
    return PlantHarvested(
        uid=uid,
        harvest_batch=harvest_batch,
        wet_weight=grams(value),
        scale_reading=reading(value, at),
    )


def composted(uid: str, waste: str | Decimal, reason: str) -> PlantDestroyed:
    """Plant ``uid`` destroyed for ``reason``, its ``waste`` g composted."""
    return PlantDestroyed(
        uid=uid, waste_weight=grams(waste), method=DestroyMethod.COMPOST, reason=reason
    )


def flower_package(
    uid: str, harvest_batch: str, weight: str | Decimal, strain: str = "Blue Dream"
) -> PackageCreated:
    """Package ``uid``: ``weight`` g of ``strain`` flower from ``harvest_batch``, in the Vault."""
    return PackageCreated(
        uid=uid,
        category=ItemCategory.FLOWER,
        strain=strain,
        sources=[PackageSource(harvest_batch=harvest_batch, weight=grams(weight))],
        quantity=Quantity(weight=grams(weight)),
        location="Vault",
    )


def seller_party(licence: str) -> Party:
    return Party(name="Seller", address="1 Farm Road", licence=licence)


def flower_manifest(
    manifest_id: str,
    sold_by: str,
    bought_by: str,
    uid: str,
    weight: str,
    price: Decimal | None,
    leaves: datetime,
    arrives: datetime,
) -> TransferManifested:
    """Manifest ``manifest_id`` from ``sold_by`` to ``bought_by`` (licences) of the one flower
    package ``uid`` of ``weight`` g at ``price`` (None: no cost stated), leaving and arriving
    at the given times (the transfer date is the day it leaves)."""
    return TransferManifested(
        manifest_id=manifest_id,
        seller=seller_party(sold_by),
        purchaser=Party(name="Buyer", address="2 Shop Street", licence=bought_by),
        transfer_date=leaves.date(),
        estimated_departure=leaves,
        estimated_arrival=arrives,
        items=[
            ManifestItem(
                uid=uid,
                category=ItemCategory.FLOWER,
                strain="Blue Dream",
                description=f"Blue Dream flower, {weight} g",
                quantity=Quantity(weight=grams(weight)),
                price=price,
            )
        ],
    )


def seed_floor(
    engine: Engine,
    licence: str,
    prefix: str,
    clock: Clock,
    operator: str,
) -> Floor:
    """Four locations, tags, a batch of 10, three tagged plants flowering, two harvested into
    a weighed harvest batch, one destroyed, some trim waste (from a station), a package on an
    outgoing manifest, a tag order (flagged as wrong), and a loss of access still open.
    ``prefix``: 16 characters [0-9A-Z]."""
    assert len(prefix) == 16
    now = clock.now()
    uids = [uid_of(prefix, n) for n in range(1, 11)]
    package_uids = [uid_of(prefix, n) for n in range(101, 104)]
    batch_id, harvest, manifest = f"B-{licence}", f"HB-{licence}", f"M-{licence}"
    events: list[Payload] = [
        *(
            LocationAdded(name=name, location_kind=kind, premises="1 Farm Road")
            for name, kind in (
                ("Veg", LocationKind.ROOM),
                ("Flower 1", LocationKind.CANOPY),
                ("Dry Room", LocationKind.DRYING_ROOM),
                ("Vault", LocationKind.STORAGE),
                (room_of(licence), LocationKind.OTHER),
            )
        ),
        TagsReceived(tag_type=TagType.PLANT, first=uids[0], last=uids[-1]),
        TagsReceived(tag_type=TagType.PACKAGE, uids=package_uids),
        clones(batch_id, 10),
        PlantsTagged(batch_id=batch_id, uids=uids[:3]),
        to_flower(uids[:3]),
        cut(uids[0], harvest, "1200.5", now),
        cut(uids[1], harvest, "999.5", now),
        HarvestBatchWeighed(harvest_batch=harvest, weight_type=WeightType.DRY, weight=grams("550")),
        composted(uids[2], "300", "Mould"),
        WasteRecorded(
            harvest_batch=harvest,
            location="Dry Room",
            weight=grams("120"),
            method=DestroyMethod.GRIND_AND_MIX,
            reason="Stems and fan leaves",
        ),
        flower_package(package_uids[0], harvest, "100"),
        flower_manifest(
            manifest,
            licence,
            "C10-0000001-LIC",
            package_uids[0],
            "100",
            Decimal("250.00"),  # the invoice's cost (SALES-INVOICE, CA 8401(f))
            leaves=now + timedelta(hours=1),
            arrives=now + timedelta(hours=3),
        ),
        TagsOrdered(tag_type="plant", quantity=500, order_reference=f"PO-{licence}"),
        AccessLost(lost_at=now - timedelta(minutes=5), cause="Internet outage"),
    ]
    ids = []
    for payload in events:
        # The waste comes from a station of this licensee's own, the rest from the console.
        station = station_of(licence) if isinstance(payload, WasteRecorded) else CONSOLE_STATION
        ids.append(record(engine, licence, operator, payload, clock, station))
    # The tag order's quantity was mistyped: flagged, which opens CORRECTION-3BD.
    flag = RecordFlagged(event_id=ids[-2], problem="Quantity mistyped", discovered_at=now)
    ids.append(record(engine, licence, operator, flag, clock))
    with engine.connect() as conn:
        first = conn.execute(
            sa.select(sa.func.min(N.c.id)).where(N.c.licence == licence)
        ).scalar_one()
    return Floor(licence, uids, package_uids, batch_id, harvest, manifest, ids, first)
