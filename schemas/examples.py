"""Example messages, one envelope per payload kind, built through the models so they are valid.

:mod:`schemas.generate` puts them in the AsyncAPI document; ``docs/mqtt.md`` and the contract
tests use them too.
"""

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Final

from pydantic import BaseModel

from schemas.acks import CONTRACT_CITATION, Ack, ContractRule, Outcome, Violation
from schemas.commerce import (
    InvoiceAcknowledged,
    ItemCategory,
    ManifestItem,
    PackageCreated,
    PackageSource,
    Party,
    Quantity,
    ReceivedItem,
    RejectedItem,
    SaleRecorded,
    TransferArrived,
    TransferDeparted,
    TransferManifested,
    TransferReceived,
)
from schemas.events import (
    DestroyMethod,
    HarvestBatchWeighed,
    PlantBatchCreated,
    PlantDestroyed,
    PlantHarvested,
    PlantOrigin,
    PlantPhase,
    PlantsGerminated,
    PlantsMoved,
    PlantsPhaseChanged,
    PlantsTagged,
    RecordCorrected,
    ScaleReading,
    TagRetired,
    TagsReceived,
    TagType,
    WasteRecorded,
    WeightType,
)
from schemas.records import (
    AccessLost,
    AccessRestored,
    AuditedLine,
    AuditItem,
    DiversionCategory,
    DiversionDiscovered,
    DiversionReported,
    InventoryAudited,
    InventoryClosedOut,
    LicenceStatus,
    LicenceType,
    LicenceUpdated,
    LocationAdded,
    LocationKind,
    ReconciliationRecorded,
    RecordFlagged,
    Role,
    TagsOrdered,
    TrainingRegistered,
    UserCancelled,
    UserRegistered,
    UserTrained,
)
from schemas.status import StationState, StationStatus
from schemas.weights import Unit, Weight

LICENCE, STATION = "CCL21-0001234", "harvest-1"
AT = datetime(2024, 6, 20, 14, 5, tzinfo=UTC)
EVENT_ID = "01903a4e-5c00-7a3d-8f21-6b0c2d4e{:04x}"
_UID = "1A4FF0100000022000000123"
_PACKAGE_UID = "1A4FF0300000022000000456"
_READING = ScaleReading(
    device_id="scale-1",
    weight=Weight(value=Decimal("812.4"), unit=Unit.G),
    stable=True,
    raw_hex="532053202020203831322e3420670d0a",
    read_at=AT,
)
_HARVEST = PlantHarvested(
    uid=_UID, harvest_batch="H-2024-06-A", wet_weight=_READING.weight, scale_reading=_READING
)
_SELLER = Party(name="Green Acres Farm", address="1 Farm Road, Salinas CA", licence=LICENCE)
_BUYER = Party(
    name="Coastal Distribution", address="9 Harbor Way, Oakland CA", licence="C11-0000456-LIC"
)
_POUND = Quantity(weight=Weight(value=Decimal("1"), unit=Unit.LB))

PAYLOAD_EXAMPLES: Final[list[BaseModel]] = [
    PlantBatchCreated(
        batch_id="B-2024-017",
        origin=PlantOrigin.CLONE,
        count=48,
        strain="Blue Dream",
        location="Propagation room",
        mother_uid="1A4FF0100000022000000007",
    ),
    PlantsGerminated(batch_id="B-2024-018", count=60),
    PlantsTagged(batch_id="B-2024-017", uids=[_UID, "1A4FF0100000022000000124"]),
    PlantsPhaseChanged(uids=[_UID], phase=PlantPhase.FLOWERING, location="Flower room 2"),
    PlantsMoved(uids=[_UID], location="Flower room 3"),
    _HARVEST,
    HarvestBatchWeighed(
        harvest_batch="H-2024-06-A",
        weight_type=WeightType.DRY,
        weight=Weight(value=Decimal("3.25"), unit=Unit.LB),
    ),
    PlantDestroyed(
        batch_id="B-2024-017",
        count=3,
        waste_weight=Weight(value=Decimal("41.0"), unit=Unit.G),
        method=DestroyMethod.GRIND_AND_MIX,
        reason="Root rot",
    ),
    WasteRecorded(
        harvest_batch="H-2024-06-A",
        location="Trim room",
        weight=Weight(value=Decimal("1.2"), unit=Unit.KG),
        method=DestroyMethod.COMPOST,
        reason="Stems and fan leaves",
    ),
    TagsReceived(
        tag_type=TagType.PLANT,
        first="1A4FF0100000022000000100",
        last="1A4FF0100000022000000199",
        delivered_at=AT,
    ),
    TagRetired(uid="1A4FF0100000022000000124", reason="Tag damaged"),
    PackageCreated(
        uid=_PACKAGE_UID,
        category=ItemCategory.FLOWER,
        strain="Blue Dream",
        sources=[PackageSource(harvest_batch="H-2024-06-A", weight=_POUND.weight)],
        quantity=_POUND,
        location="Vault",
    ),
    TransferManifested(
        manifest_id="M-2024-0042",
        seller=_SELLER,
        purchaser=_BUYER,
        transfer_date=date(2024, 6, 21),
        estimated_departure=datetime(2024, 6, 21, 16, 0, tzinfo=UTC),
        estimated_arrival=datetime(2024, 6, 21, 19, 30, tzinfo=UTC),
        items=[
            ManifestItem(
                uid=_PACKAGE_UID,
                category=ItemCategory.FLOWER,
                strain="Blue Dream",
                description="Blue Dream flower, 1 lb bag",
                quantity=_POUND,
                price=Decimal("1200.00"),
            )
        ],
        discount=Decimal("50.00"),
    ),
    TransferDeparted(
        manifest_id="M-2024-0042", departed_at=datetime(2024, 6, 21, 16, 12, tzinfo=UTC)
    ),
    TransferArrived(
        manifest_id="M-2024-0042",
        seller=_SELLER,
        arrived_at=datetime(2024, 6, 21, 19, 40, tzinfo=UTC),
        uids=[_PACKAGE_UID],
    ),
    TransferReceived(
        manifest_id="M-2024-0042",
        accepted=[ReceivedItem(uid=_PACKAGE_UID, quantity=_POUND)],
        rejected=[RejectedItem(uid="1A4FF0300000022000000457", reason="Seal broken")],
    ),
    InvoiceAcknowledged(
        manifest_id="M-2024-0042",
        signed_by="R. Alvarez, receiving manager",
        signed_at=datetime(2024, 6, 21, 19, 55, tzinfo=UTC),
        accepted=[_PACKAGE_UID],
    ),
    SaleRecorded(
        package_uid=_PACKAGE_UID,
        quantity=Quantity(weight=Weight(value=Decimal("3.5"), unit=Unit.G)),
        price=Decimal("35.00"),
        sold_at=AT,
    ),
    LicenceUpdated(
        licence_type=LicenceType.PRODUCER,
        status=LicenceStatus.ACTIVE,
        close_of_business=time(18, 0),
        licensure_date=date(2024, 1, 15),
    ),
    InventoryClosedOut(note="Licence surrendered; all inventory destroyed and recorded"),
    LocationAdded(
        name="Flower room 2", location_kind=LocationKind.CANOPY, premises="1 Farm Road, Salinas CA"
    ),
    UserRegistered(user_id="j.garcia", full_name="Jo Garcia", role=Role.USER),
    UserTrained(
        user_id="j.garcia",
        trained_on=date(2024, 6, 3),
        description="Track-and-trace floor procedures: tagging, harvest, waste",
        trainer="A. Chen (administrator)",
    ),
    TrainingRegistered(
        user_id="a.chen",
        course="CDFA CCTT-Metrc account manager training",
        registered_on=date(2024, 1, 18),
    ),
    UserCancelled(user_id="j.garcia", reason="Left the company"),
    TagsOrdered(tag_type="plant", quantity=1000, order_reference="PO-2024-117"),
    AccessLost(lost_at=AT, cause="Broker unreachable: connection refused", station_id=STATION),
    AccessRestored(
        lost_event_id=EVENT_ID.format(0xFFF0),
        restored_at=datetime(2024, 6, 20, 15, 40, tzinfo=UTC),
        cause="Broker unreachable: connection refused",
        backlog=37,
    ),
    RecordFlagged(
        event_id=EVENT_ID.format(0xFFF1),
        problem="Wet weight keyed against the wrong plant",
        discovered_at=AT,
    ),
    DiversionDiscovered(
        category=DiversionCategory.THEFT,
        discovered_at=AT,
        description="Two packages missing from the vault at the morning count",
        uids=[_PACKAGE_UID],
    ),
    DiversionReported(
        discovery_event_id=EVENT_ID.format(0xFFF2),
        reported_at=AT,
        department_reference="DCC-2024-5521",
        law_enforcement_agency="Salinas Police Department",
        law_enforcement_reference="SPD-24-118803",
    ),
    ReconciliationRecorded(business_date=date(2024, 6, 20)),
    InventoryAudited(
        audit_id="AUD-2024-06-20",
        audited_by="OLCC inspector K. Lee",
        moisture_tolerance_pct=Decimal("5"),
        lines=[
            AuditedLine(
                item_type=AuditItem.PACKAGE,
                item_id=_PACKAGE_UID,
                usable_cannabis=True,
                expected_weight=Weight(value=Decimal("453.6"), unit=Unit.G),
                counted_weight=Weight(value=Decimal("431.2"), unit=Unit.G),
            ),
            AuditedLine(item_type=AuditItem.PLANT, item_id=_UID, expected_count=1, counted_count=1),
        ],
    ),
    RecordCorrected(
        corrects=EVENT_ID.format(0xFFF1),
        reason="Wet weight keyed against the wrong plant",
        discovered_at=AT,
        replacement=_HARVEST,
    ),
]
_ACK_ID = EVENT_ID.format(1)
ACK_EXAMPLES: Final[dict[str, Ack]] = {
    "accepted": Ack(event_id=_ACK_ID, sequence=1, outcome=Outcome.ACCEPTED, received_at=AT),
    "rejected": Ack(
        event_id=_ACK_ID,
        sequence=1,
        outcome=Outcome.REJECTED,
        violations=[
            Violation(
                rule_id=ContractRule.SCHEMA_INVALID.value,
                citation=CONTRACT_CITATION,
                message="the event does not match the contract: occurred_at: Input should have "
                "timezone info",
                field="occurred_at",
            )
        ],
        received_at=AT,
    ),
    "duplicate": Ack(
        event_id=_ACK_ID,
        sequence=1,
        outcome=Outcome.DUPLICATE,
        original_outcome=Outcome.ACCEPTED,
        received_at=AT,
    ),
}
STATUS_EXAMPLES: Final[dict[str, StationStatus]] = {
    "online": StationStatus(
        state=StationState.ONLINE,
        at=AT,
        software_version="0.1.0",
        outbox_depth=0,
        outbox_capacity=100_000,
        last_ack_at=AT,
        devices={"scale-1": "ok", "reader-1": "ok"},
    ),
    "offline (last will)": StationStatus(state=StationState.OFFLINE, at=AT),
}
