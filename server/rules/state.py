"""What rules may know of the current state: a read-only view, and the records it returns.

The ingest pipeline passes a database-backed view (:mod:`server.store.state`); tests pass an
in-memory one. Weights are grams, exact.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True, slots=True)
class BatchState:
    batch_id: str
    strain: str
    untagged_count: int
    tagged_count: int


@dataclass(frozen=True, slots=True)
class PlantState:
    uid: str
    batch_id: str
    strain: str
    phase: str
    harvest_batch: str | None


@dataclass(frozen=True, slots=True)
class TagState:
    uid: str
    tag_type: str  # plant | package
    status: str  # available | assigned | retired
    item_type: str | None
    item_id: str | None


@dataclass(frozen=True, slots=True)
class HarvestBatchState:
    name: str
    strain: str
    plant_count: int
    wet_weight_grams: Decimal
    dry_weight_grams: Decimal | None
    net_weight_grams: Decimal | None


class StateView(Protocol):
    """Current state of one licensee."""

    def batch(self, batch_id: str) -> BatchState | None: ...

    def plant(self, uid: str) -> PlantState | None: ...

    def tag(self, uid: str) -> TagState | None: ...

    def harvest_batch(self, name: str) -> HarvestBatchState | None: ...
