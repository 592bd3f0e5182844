"""An in-memory :class:`~server.compliance.rules.state.StateView` and event builders, so rules are
tested as the pure functions they are: no database.

``MemoryState()`` starts as an OR licensee with two trained users (``maria.lopez``, a user, and
``a.chen``, the account manager); tests add what a case needs to its dictionaries.
"""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from schemas.acks import Violation
from schemas.events import EventEnvelope
from schemas.ids import new_event_id
from server.compliance.rules import REGISTRY
from server.compliance.rules.catalogue import CATALOGUE
from server.compliance.rules.state import (
    BatchState,
    HarvestBatchState,
    InventoryLeft,
    LicenceState,
    LocationState,
    LoggedEvent,
    OutageState,
    PackageState,
    PlantState,
    TagState,
    TransferState,
    UserState,
)

LICENCE = "OR-1001"
WORKER, MANAGER = "maria.lopez", "a.chen"
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
TRAINED = date(2024, 2, 1)


def plant_uid(n: int) -> str:
    return f"1A4FF0100000022000{n:06d}"


def package_uid(n: int) -> str:
    return f"1A4FF0300000022000{n:06d}"


def _users() -> dict[str, UserState]:
    return {
        WORKER: UserState(WORKER, "Maria Lopez", "user", TRAINED, None),
        MANAGER: UserState(MANAGER, "Ana Chen", "account_manager", TRAINED, None),
    }


@dataclass
class MemoryState:
    licence_state: LicenceState = field(default_factory=lambda: LicenceState(LICENCE, "OR"))
    batches: dict[str, BatchState] = field(default_factory=dict)
    plant_rows: dict[str, PlantState] = field(default_factory=dict)
    tag_rows: dict[str, TagState] = field(default_factory=dict)
    harvest_rows: dict[str, HarvestBatchState] = field(default_factory=dict)
    package_rows: dict[str, PackageState] = field(default_factory=dict)
    users: dict[str, UserState] = field(default_factory=_users)
    locations: dict[str, LocationState] = field(default_factory=dict)
    transfers: dict[tuple[str, str], TransferState] = field(default_factory=dict)
    losses: list[OutageState] = field(default_factory=list)
    log: dict[str, LoggedEvent] = field(default_factory=dict)
    received: datetime | None = NOW  # when the event being checked reached the server
    left: InventoryLeft = field(default_factory=InventoryLeft)  # inventory on the books

    # --- builders -----------------------------------------------------------------------

    def add_tags(self, *uids: str, tag_type: str = "plant") -> None:
        for uid in uids:
            self.tag_rows[uid] = TagState(uid, tag_type, "available", None, None)

    def add_plants(self, *uids: str, phase: str = "vegetative", batch: str = "B-1") -> None:
        for uid in uids:
            self.plant_rows[uid] = PlantState(uid, batch, "Blue Dream", phase, None)
            self.tag_rows[uid] = TagState(uid, "plant", "assigned", "plant", uid)

    def add_harvest(
        self, name: str, grams: str, strain: str = "Blue Dream", packaged: str = "0"
    ) -> None:
        self.harvest_rows[name] = HarvestBatchState(
            name, strain, 3, Decimal(grams), None, None, Decimal(packaged)
        )

    def add_package(
        self, uid: str, status: str = "on_hand", category: str | None = "flower"
    ) -> None:
        strain = None if category is None else "Blue Dream"
        source = "received" if category is None else "created"
        manifest = None if status == "on_hand" else "M-0"
        self.package_rows[uid] = PackageState(uid, source, category, strain, status, manifest)
        self.tag_rows[uid] = TagState(uid, "package", "assigned", "package", uid)

    # --- StateView ----------------------------------------------------------------------

    def batch(self, batch_id: str) -> BatchState | None:
        return self.batches.get(batch_id)

    def plant(self, uid: str) -> PlantState | None:
        return self.plant_rows.get(uid)

    def tag(self, uid: str) -> TagState | None:
        return self.tag_rows.get(uid)

    def harvest_batch(self, name: str) -> HarvestBatchState | None:
        return self.harvest_rows.get(name)

    def plants(self, uids: Collection[str]) -> dict[str, PlantState]:
        return {u: self.plant_rows[u] for u in uids if u in self.plant_rows}

    def tags(self, uids: Collection[str]) -> dict[str, TagState]:
        return {u: self.tag_rows[u] for u in uids if u in self.tag_rows}

    def harvest_batches(self, names: Collection[str]) -> dict[str, HarvestBatchState]:
        return {n: self.harvest_rows[n] for n in names if n in self.harvest_rows}

    def packages(self, uids: Collection[str]) -> dict[str, PackageState]:
        return {u: self.package_rows[u] for u in uids if u in self.package_rows}

    def licence(self) -> LicenceState:
        return self.licence_state

    def user(self, user_id: str) -> UserState | None:
        return self.users.get(user_id)

    def location(self, name: str) -> LocationState | None:
        return self.locations.get(name)

    def transfer(self, direction: str, manifest_id: str) -> TransferState | None:
        return self.transfers.get((direction, manifest_id))

    def outage(self, lost_event_id: str) -> OutageState | None:
        return next((o for o in self.losses if o.lost_event_id == lost_event_id), None)

    def outages(self, at: datetime) -> list[OutageState]:
        return [
            o
            for o in self.losses
            if o.restored_at is None
            or (o.backlog is not None and o.entered < o.backlog)
            or o.lost_at <= at <= o.restored_at
        ]

    def logged_event(self, event_id: str) -> LoggedEvent | None:
        return self.log.get(event_id)

    def received_at(self) -> datetime | None:
        return self.received

    def inventory_left(self) -> InventoryLeft:
        return self.left


def event(
    payload: dict[str, Any],
    *,
    operator: str = WORKER,
    station: str = "harvest-1",
    at: datetime = NOW,
    licence: str = LICENCE,
) -> EventEnvelope:
    return EventEnvelope.model_validate(
        {
            "event_id": new_event_id(),
            "licence": licence,
            "station_id": station,
            "operator_id": operator,
            "sequence": 1,
            "occurred_at": at,
            "payload": payload,
        }
    )


def check(rule_id: str, state: MemoryState, ev: EventEnvelope) -> list[Violation]:
    """What one rule says about ``ev`` in ``state`` (nothing when the kind is not its own)."""
    rule = REGISTRY[rule_id]
    return rule.violations(state, ev) if ev.kind in rule.kinds else []


def rejected(found: list[Violation], rule_id: str, *words: str) -> None:
    """``found`` is one or more violations of ``rule_id``, each with a jurisdiction's catalogue
    citation at the end of the message, and some message says every one of ``words``."""
    entry = CATALOGUE[rule_id]
    cited = {entry.cite(j) for j in entry.jurisdictions}  # the licensee's own: test_citations
    assert found, f"{rule_id} found nothing wrong"
    for v in found:
        assert v.rule_id == rule_id, v
        assert v.citation in cited, (v, cited)
        assert v.message.endswith(f"({v.citation})"), v.message
    text = " | ".join(v.message for v in found)
    for word in words:
        assert word in text, f"{word!r} not in {text!r}"
