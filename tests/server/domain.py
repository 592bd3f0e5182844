"""Payload builders for packages, transfers, sales and compliance records (floor events are in
:mod:`tests.server.floor`)."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.server.floor import LICENCE

PACKAGE_ROLL = "1A4FF0300000022000"  # + 6 digits
NOW = datetime.now(UTC)


def package_uid(n: int) -> str:
    return f"{PACKAGE_ROLL}{n:06d}"


def grams(value: str) -> dict[str, Any]:
    return {"weight": {"value": value, "unit": "g"}}


def package_tags_received(first: int, last: int) -> dict[str, Any]:
    return {
        "kind": "tags.received",
        "tag_type": "package",
        "first": package_uid(first),
        "last": package_uid(last),
    }


def package_created(
    uid: str,
    sources: list[tuple[str, str]],
    *,
    category: str = "flower",
    strain: str = "Blue Dream",
    quantity: dict[str, Any] | None = None,
    for_processor: bool = False,
) -> dict[str, Any]:
    """``sources``: (harvest batch, grams) pairs; the package holds their sum unless
    ``quantity`` says otherwise."""
    total = sum(float(g) for _, g in sources)
    return {
        "kind": "package.created",
        "uid": uid,
        "category": category,
        "strain": strain,
        "sources": [
            {"harvest_batch": hb, "weight": {"value": g, "unit": "g"}} for hb, g in sources
        ],
        "quantity": quantity if quantity is not None else grams(f"{total:g}"),
        "for_processor": for_processor,
        "location": "Vault",
    }


def party(licence: str, name: str = "Green Acres Farm") -> dict[str, str]:
    return {"name": name, "address": f"1 Farm Road ({licence})", "licence": licence}


def manifested(
    manifest_id: str,
    items: list[tuple[str, str]],
    *,
    category: str = "flower",
    strain: str = "Blue Dream",
    seller: str = LICENCE,
    purchaser: str = "C11-0000456-LIC",
    purchaser_name: str = "Coastal Distribution",
    prices: list[str] | None = None,
    discount: str | None = None,
    at: datetime = NOW,
) -> dict[str, Any]:
    """``items``: (package UID, grams) pairs; ``prices``: each item's price in US dollars
    (none given: no price, which SALES-INVOICE refuses in California). Manifested ``at``,
    for a departure an hour later and an arrival four hours later."""
    return {
        "kind": "transfer.manifested",
        "manifest_id": manifest_id,
        "seller": party(seller),
        "purchaser": party(purchaser, purchaser_name),
        "transfer_date": at.date().isoformat(),
        "estimated_departure": (at + timedelta(hours=1)).isoformat(),
        "estimated_arrival": (at + timedelta(hours=4)).isoformat(),
        "items": [
            {
                "uid": uid,
                "category": category,
                "strain": strain,
                "description": f"{strain} {category}, {g} g",
                "quantity": grams(g),
                **({} if prices is None else {"price": prices[n]}),
            }
            for n, (uid, g) in enumerate(items)
        ],
        **({} if discount is None else {"discount": discount}),
    }


def _at(moment: datetime | None) -> str:
    """``moment`` (default: now) as ISO 8601."""
    return (moment if moment is not None else datetime.now(UTC)).isoformat()


def departed(manifest_id: str, at: datetime | None = None) -> dict[str, Any]:
    return {
        "kind": "transfer.departed",
        "manifest_id": manifest_id,
        "departed_at": _at(at),
    }


def arrived(
    manifest_id: str,
    uids: list[str],
    seller: str = "CCL21-0009999",
    at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "kind": "transfer.arrived",
        "manifest_id": manifest_id,
        "seller": party(seller, "Hill Farm"),
        "arrived_at": _at(at),
        "uids": uids,
    }


def acknowledged(
    manifest_id: str,
    accepted: list[str] = (),  # type: ignore[assignment]
    rejected: list[tuple[str, str]] = (),  # type: ignore[assignment]
    signed_by: str = "R. Alvarez, receiving manager",
) -> dict[str, Any]:
    """The purchaser's signature on the invoice of ``manifest_id`` (CA 8401(i))."""
    return {
        "kind": "invoice.acknowledged",
        "manifest_id": manifest_id,
        "signed_by": signed_by,
        "signed_at": _at(None),
        "accepted": list(accepted),
        "rejected": [{"uid": u, "reason": r} for u, r in rejected],
    }


def received(
    manifest_id: str,
    accepted: list[tuple[str, str]] = (),  # type: ignore[assignment]
    rejected: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    return {
        "kind": "transfer.received",
        "manifest_id": manifest_id,
        "accepted": [{"uid": u, "quantity": grams(g)} for u, g in accepted],
        "rejected": [{"uid": u, "reason": r} for u, r in rejected],
    }


def sale(
    package: str, quantity: dict[str, Any], price: str = "35.00", at: datetime | None = None
) -> dict[str, Any]:
    return {
        "kind": "sale.recorded",
        "package_uid": package,
        "quantity": quantity,
        "price": price,
        "sold_at": _at(at),
    }


def licence_updated(**fields: Any) -> dict[str, Any]:
    return {"kind": "licence.updated", **fields}


def closed_out() -> dict[str, Any]:
    return {"kind": "inventory.closed_out", "note": "Licence surrendered; inventory destroyed"}


def location_added(name: str, kind: str = "canopy") -> dict[str, Any]:
    return {
        "kind": "location.added",
        "name": name,
        "location_kind": kind,
        "premises": "1 Farm Road, Salinas CA",
    }


def user_registered(user_id: str, role: str = "user", name: str = "Jo Garcia") -> dict[str, Any]:
    return {"kind": "user.registered", "user_id": user_id, "full_name": name, "role": role}


def user_trained(user_id: str, on: str = "2024-06-03") -> dict[str, Any]:
    return {
        "kind": "user.trained",
        "user_id": user_id,
        "trained_on": on,
        "description": "Track-and-trace floor procedures",
        "trainer": "A. Chen (administrator)",
    }


def user_cancelled(user_id: str) -> dict[str, Any]:
    return {"kind": "user.cancelled", "user_id": user_id, "reason": "Left the company"}


def training_registered(
    user_id: str, on: str = "2024-01-18", course: str = "State account manager training"
) -> dict[str, Any]:
    return {
        "kind": "training.registered",
        "user_id": user_id,
        "course": course,
        "registered_on": on,
    }


def tags_ordered(quantity: int = 1000, reference: str = "PO-2024-117") -> dict[str, Any]:
    return {
        "kind": "tags.ordered",
        "tag_type": "plant",
        "quantity": quantity,
        "order_reference": reference,
    }


BROKER_DOWN = "Broker unreachable: connection refused"


def access_lost(
    lost_at: datetime, station_id: str | None = "harvest-1", cause: str = BROKER_DOWN
) -> dict[str, Any]:
    return {
        "kind": "access.lost",
        "lost_at": lost_at.isoformat(),
        "cause": cause,
        "station_id": station_id,
    }


def access_restored(
    lost_event_id: str, restored_at: datetime, backlog: int, cause: str = BROKER_DOWN
) -> dict[str, Any]:
    return {
        "kind": "access.restored",
        "lost_event_id": lost_event_id,
        "restored_at": restored_at.isoformat(),
        "cause": cause,
        "backlog": backlog,
    }


def record_flagged(event_id: str, discovered_at: datetime | None = None) -> dict[str, Any]:
    return {
        "kind": "record.flagged",
        "event_id": event_id,
        "problem": "Wet weight keyed against the wrong plant",
        "discovered_at": _at(discovered_at),
    }


def corrected(
    event_id: str, replacement: dict[str, Any], discovered_at: datetime | None = None
) -> dict[str, Any]:
    return {
        "kind": "record.corrected",
        "corrects": event_id,
        "reason": "Keyed in error",
        "discovered_at": _at(discovered_at),
        "replacement": replacement,
    }


def diversion_discovered(uids: list[str], at: datetime | None = None) -> dict[str, Any]:
    return {
        "kind": "diversion.discovered",
        "category": "theft",
        "discovered_at": _at(at),
        "description": "Packages missing from the vault at the morning count",
        "uids": uids,
    }


def diversion_reported(discovery_event_id: str, at: datetime | None = None) -> dict[str, Any]:
    return {
        "kind": "diversion.reported",
        "discovery_event_id": discovery_event_id,
        "reported_at": _at(at),
        "department_reference": "DCC-2024-5521",
        "law_enforcement_agency": "Salinas Police Department",
        "law_enforcement_reference": "SPD-24-118803",
    }


def reconciled(day: date | str = "2024-06-20") -> dict[str, Any]:
    return {"kind": "reconciliation.recorded", "business_date": str(day)}


def audited(package: str, expected: str, counted: str, audit_id: str = "AUD-1") -> dict[str, Any]:
    """A physical audit that weighed one package of flower."""
    return {
        "kind": "inventory.audited",
        "audit_id": audit_id,
        "audited_by": "OLCC inspector K. Lee",
        "moisture_tolerance_pct": "5",
        "lines": [
            {
                "item_type": "package",
                "item_id": package,
                "usable_cannabis": True,
                "expected_weight": {"value": expected, "unit": "g"},
                "counted_weight": {"value": counted, "unit": "g"},
            }
        ],
    }
