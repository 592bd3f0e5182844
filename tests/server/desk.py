"""Payload builders for the compliance records (:mod:`tests.server.domain`'s, at the times a
test chooses), and a desk that feeds events to the deadline engine at chosen times on a real
database."""

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from schemas.events import EventEnvelope
from schemas.ids import new_event_id
from server.compliance.deadlines import DeadlineEngine, DeadlineSettings, sweep
from server.compliance.deadlines.store import NotificationPublic, list_notifications
from server.db.tables import EventLog, Licensee
from tests.server import domain
from tests.server.floor import Station, uid

LA = ZoneInfo("America/Los_Angeles")
CA_LICENCE = "CA-2002"  # tests/server/conftest.py registers it: CA, America/Los_Angeles
OR_LICENCE = "OR-1001"
SELLER = "CA-3003"  # of the transfers that arrive
LOG = EventLog.__table__  # type: ignore[attr-defined]
LIC = Licensee.__table__  # type: ignore[attr-defined]


def la(*args: int) -> datetime:
    """A Los Angeles wall-clock time, as an aware datetime."""
    return datetime(*args, tzinfo=LA)  # type: ignore[misc]


def scale(grams: str) -> dict[str, Any]:
    return {
        "device_id": "scale-1",
        "weight": {"value": grams, "unit": "g"},
        "stable": True,
        "raw_hex": "",
        "read_at": datetime(2026, 1, 1, tzinfo=UTC).isoformat(),
    }


def destroyed(plant_uid: str) -> dict[str, Any]:
    return {
        "kind": "plant.destroyed",
        "uid": plant_uid,
        "waste_weight": {"value": "250", "unit": "g"},
        "method": "grind_and_mix",
        "reason": "hermaphrodite",
    }


def retired(plant_uid: str) -> dict[str, Any]:
    return {"kind": "tag.retired", "uid": plant_uid, "reason": "plant destroyed"}


def weighed(harvest_batch: str, weight_type: str = "net") -> dict[str, Any]:
    return {
        "kind": "harvest_batch.weighed",
        "harvest_batch": harvest_batch,
        "weight_type": weight_type,
        "weight": {"value": "1200", "unit": "g"},
    }


def tags_ordered(quantity: int = 500) -> dict[str, Any]:
    return domain.tags_ordered(quantity, "PO-1")


def tags_received(first: int, last: int, delivered_at: datetime | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "kind": "tags.received",
        "tag_type": "plant",
        "first": uid(first),
        "last": uid(last),
    }
    if delivered_at is not None:
        payload["delivered_at"] = delivered_at.isoformat()
    return payload


def user_registered(user_id: str, role: str = "account_manager") -> dict[str, Any]:
    return domain.user_registered(user_id, role, "Ana Ruiz")


def training_registered(user_id: str, on: date) -> dict[str, Any]:
    return domain.training_registered(user_id, on.isoformat(), "CalCannabis track-and-trace")


def licence_updated(
    licensure_date: date | None = None, close_of_business: time | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {"kind": "licence.updated"}
    if licensure_date is not None:
        payload["licensure_date"] = licensure_date.isoformat()
    if close_of_business is not None:
        payload["close_of_business"] = close_of_business.isoformat()
    return payload


def arrived(manifest_id: str, uids: list[str], at: datetime) -> dict[str, Any]:
    return domain.arrived(manifest_id, uids, SELLER, at)


def received(
    manifest_id: str, accepted: list[str], rejected: tuple[str, ...] = ()
) -> dict[str, Any]:
    return {
        "kind": "transfer.received",
        "manifest_id": manifest_id,
        "accepted": [
            {"uid": u, "quantity": {"weight": {"value": "1", "unit": "kg"}}} for u in accepted
        ],
        "rejected": [{"uid": u, "reason": "damaged seal"} for u in rejected],
    }


def flagged(event_id: str, discovered_at: datetime) -> dict[str, Any]:
    return domain.record_flagged(event_id, discovered_at)


def corrected(event_id: str, discovered_at: datetime) -> dict[str, Any]:
    return domain.corrected(event_id, weighed("HB-1"), discovered_at)


def access_lost(at: datetime, station_id: str | None = None) -> dict[str, Any]:
    return domain.access_lost(at, station_id, "internet down")


def access_restored(lost_event_id: str, at: datetime, backlog: int) -> dict[str, Any]:
    return domain.access_restored(lost_event_id, at, backlog, "line repaired")


def discovered(at: datetime) -> dict[str, Any]:
    return domain.diversion_discovered([], at)


def reported(discovery_event_id: str, at: datetime) -> dict[str, Any]:
    return domain.diversion_reported(discovery_event_id, at)


def sale(package_uid: str, sold_at: datetime) -> dict[str, Any]:
    return domain.sale(package_uid, domain.grams("3.5"), "35.00", sold_at)


class Desk:
    """Feeds events of one station straight to the deadline engine, as the pipeline does after
    applying them (log row appended, then the engine on the same transaction), at a chosen
    ``received_at``; kinds the projections do not handle yet can be fed too."""

    def __init__(
        self,
        engine: Engine,
        licence: str = CA_LICENCE,
        settings: DeadlineSettings | None = None,
        station_id: str = "desk-1",
    ) -> None:
        self.engine = engine
        self.licence = licence
        self.station = Station(station_id, licence)
        self.deadlines = DeadlineEngine(settings)

    def send(
        self, payload: dict[str, Any], occurred_at: datetime, received_at: datetime | None = None
    ) -> tuple[EventEnvelope, list[Any]]:
        """Record the event (received at ``received_at``, default ``occurred_at``) and run the
        engine with that as the clock; returns the event and its notices."""
        at = occurred_at if received_at is None else received_at
        event = self.station.event(payload, occurred_at=occurred_at, event_id=new_event_id())
        with self.engine.begin() as conn:
            conn.execute(
                LOG.insert().values(
                    event_id=event.event_id,
                    licence=event.licence,
                    station_id=event.station_id,
                    sequence=event.sequence,
                    kind=event.kind,
                    operator_id=event.operator_id,
                    occurred_at=event.occurred_at,
                    received_at=at,
                    outcome="accepted",
                    violations="[]",
                    body=event.model_dump_json(),
                    body_sha256="0" * 64,
                )
            )
            notices = self.deadlines.after_event(conn, event, at, at)
        return event, notices

    def sweep(self, now: datetime) -> None:
        sweep(self.engine, now, self.deadlines.settings)

    def notifications(self, rule_id: str | None = None) -> list[NotificationPublic]:
        return list_notifications(self.engine, self.licence, rule_id=rule_id)

    def registered_on(self, moment: datetime) -> None:
        """Pretend the licensee was registered at ``moment`` (the sweep opens nothing before)."""
        with self.engine.begin() as conn:
            conn.execute(
                LIC.update().where(LIC.c.licence == self.licence).values(created_at=moment)
            )
