"""Typed rows and answers of the Metrc v2 API, as the client sends and reads them.

Field names are Python's (``snake_case``); on the wire they are Metrc's (``PascalCase``, by an
alias generator), so ``PlantHarvest(plant=..., harvest_name=...)`` is sent as
``{"Plant": ..., "HarvestName": ...}``. Weights are exact ``Decimal`` and go out as JSON
numbers; units are Metrc's words (``Grams``, ``Ounces``, ...).

Answers keep every field Metrc sent (``extra="allow"``), the named ones typed: what is not
named here is still there, so nothing the state returned is lost (SECONDARY-SYNC, OAR 845-025
CTS Requirements (7): preserve the original data). ``WriteResult.raw`` is the answer's body,
byte for byte as text.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_pascal

__all__ = [
    "Harvest",
    "HarvestFinish",
    "HarvestPackage",
    "HarvestPackageIngredient",
    "HarvestWaste",
    "HarvestWasteRecord",
    "ItemCreate",
    "LocationCreate",
    "MetrcItem",
    "MetrcLocation",
    "MetrcUnit",
    "Named",
    "OutgoingTransfer",
    "Package",
    "Page",
    "Plant",
    "PlantBatch",
    "PlantBatchDestroy",
    "PlantBatchGrowthPhase",
    "PlantBatchPlanting",
    "PlantDestroy",
    "PlantGrowthPhase",
    "PlantHarvest",
    "PlantLocation",
    "PlantWaste",
    "PlantWasteRecord",
    "ReceiptLine",
    "SalesReceipt",
    "SalesReceiptRecord",
    "Tag",
    "Transfer",
    "TransferDestination",
    "TransferPackage",
    "WriteResult",
]

MetrcUnit = Literal["Milligrams", "Grams", "Kilograms", "Ounces", "Pounds"]
GrowthPhase = Literal["Vegetative", "Flowering"]


class _Row(BaseModel):
    """A row of a write body."""

    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True, frozen=True)


class _Answer(BaseModel):
    """An object Metrc returned: named fields typed, every other field kept as it came."""

    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True, extra="allow")

    id: int
    last_modified: datetime | None = None


# -- rows we send -----------------------------------------------------------------------------


class PlantBatchPlanting(_Row):
    name: str
    type: Literal["Seed", "Clone"]
    count: int
    strain: str
    location: str
    actual_date: date


class PlantBatchGrowthPhase(_Row):
    """Tag ``count`` plants of a batch from ``starting_tag`` on, counting up the tag roll."""

    name: str
    count: int
    starting_tag: str
    growth_phase: GrowthPhase
    new_location: str
    growth_date: date


class PlantGrowthPhase(_Row):
    label: str
    growth_phase: GrowthPhase
    new_location: str
    growth_date: date


class PlantLocation(_Row):
    label: str
    location: str
    actual_date: date


class PlantHarvest(_Row):
    """One plant's wet weight into the harvest named ``harvest_name`` (made if new)."""

    plant: str
    weight: Decimal
    unit_of_weight: MetrcUnit
    drying_location: str
    harvest_name: str
    actual_date: date


class PlantDestroy(_Row):
    label: str
    waste_method_name: str
    waste_material_mixed: str
    waste_reason_name: str
    reason_note: str
    waste_weight: Decimal
    waste_unit_of_measure_name: MetrcUnit
    actual_date: date


class PlantBatchDestroy(_Row):
    plant_batch: str
    count: int
    waste_method_name: str
    waste_material_mixed: str
    waste_reason_name: str
    reason_note: str
    waste_weight: Decimal
    waste_unit_of_measure: MetrcUnit
    actual_date: date


class PlantWaste(_Row):
    waste_method_name: str
    mixed_material: str
    waste_weight: Decimal
    unit_of_measure_name: MetrcUnit
    reason_name: str
    note: str | None = None
    waste_date: date
    location_name: str
    plant_labels: list[str] = []


class HarvestWaste(_Row):
    id: int
    waste_type: str
    waste_weight: Decimal
    unit_of_weight: MetrcUnit
    actual_date: date


class HarvestFinish(_Row):
    id: int
    actual_date: date


class HarvestPackageIngredient(_Row):
    """Give ``harvest_id`` or ``harvest_name``."""

    harvest_id: int | None = None
    harvest_name: str | None = None
    weight: Decimal
    unit_of_weight: MetrcUnit


class HarvestPackage(_Row):
    tag: str
    location: str
    item: str
    unit_of_weight: MetrcUnit
    ingredients: list[HarvestPackageIngredient]
    actual_date: date
    note: str | None = None


class TransferPackage(_Row):
    package_label: str
    gross_weight: Decimal | None = None
    wholesale_price: Decimal | None = None


class TransferDestination(_Row):
    recipient_license_number: str
    transfer_type_name: str
    planned_route: str
    estimated_departure_date_time: datetime
    estimated_arrival_date_time: datetime
    packages: list[TransferPackage]


class OutgoingTransfer(_Row):
    """A manifest: where each of its packages goes, and when."""

    name: str
    destinations: list[TransferDestination]


class ReceiptLine(_Row):
    package_label: str
    quantity: Decimal
    unit_of_measure: str
    total_amount: Decimal


class SalesReceipt(_Row):
    sales_date_time: datetime
    sales_customer_type: Literal["Consumer", "Patient", "Caregiver", "ExternalPatient"]
    transactions: list[ReceiptLine]
    external_receipt_number: str | None = None


class LocationCreate(_Row):
    name: str
    location_type_name: str


class ItemCreate(_Row):
    """A product the facility packages (``POST /items/v2``): a package names its item."""

    item_category: str
    name: str
    unit_of_measure: str  # Grams (weighed) or Each (counted)
    strain: str | None = None


# -- answers we read --------------------------------------------------------------------------


class WriteResult(BaseModel):
    """What a write answered: the ids of what it made or changed, and the body as sent."""

    model_config = ConfigDict(frozen=True)

    ids: list[int]
    warnings: Any = None
    raw: str


class PlantBatch(_Answer):
    name: str
    type: str
    count: int
    untracked_count: int
    tracked_count: int
    destroyed_count: int
    strain_name: str
    location_name: str


class Plant(_Answer):
    label: str
    state: str
    growth_phase: str
    plant_batch_name: str
    location_name: str
    harvest_id: int | None = None
    harvested_wet_weight: Decimal | None = None


class Harvest(_Answer):
    name: str
    drying_location_name: str
    plant_count: int
    total_wet_weight: Decimal
    current_weight: Decimal
    total_waste_weight: Decimal
    total_packaged_weight: Decimal
    unit_of_weight_name: str
    is_finished: bool


class Package(_Answer):
    label: str
    item_name: str
    quantity: Decimal
    unit_of_measure_name: str
    location_name: str
    source_harvest_names: str
    is_in_transit: bool


class Transfer(_Answer):
    name: str
    manifest_number: str
    shipper_facility_license_number: str
    destinations: list[dict[str, Any]]


class SalesReceiptRecord(_Answer):
    receipt_number: str
    sales_date_time: datetime
    total_price: Decimal
    total_packages: int
    transactions: list[dict[str, Any]]
    external_receipt_number: str | None = None


class MetrcLocation(_Answer):
    name: str
    location_type_name: str


class MetrcItem(_Answer):
    name: str
    product_category_name: str
    unit_of_measure_name: str
    strain_name: str | None = None


class Tag(_Answer):
    label: str
    tag_type_name: str
    status_name: str


class PlantWasteRecord(_Answer):
    waste_weight: Decimal


class HarvestWasteRecord(_Answer):
    harvest_id: int
    harvest_name: str
    waste_type_name: str
    waste_weight: Decimal


class Named(BaseModel):
    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True, extra="allow")

    name: str


T = TypeVar("T", bound=BaseModel)


class Page(BaseModel, Generic[T]):
    """One page of a list: ``data``, and where it sits among ``total`` objects."""

    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True, extra="allow")

    data: list[T]
    total: int
    page: int
    page_size: int
    total_pages: int
