"""Reconciliation of what we shipped: our outgoing transfers against Metrc's outgoing
manifests and BioTrack's manifests (docs/sync.md, Reconciliation). Called by
:mod:`server.statesync.reconcile`; reads only.

Ours: ``transfers`` with direction ``out`` (``transfer.manifested``, then ``departed``) and
their ``transfer_items`` (UID, grams or a count). Differences, subject ``transfer`` by our
manifest id:

- **Metrc** (``/transfers/v2/templates/outgoing``): a manifest matches ours when its ``Name``
  is our manifest id (the connector files it so). Ours on no Metrc manifest (``missing at
  Metrc``), Metrc's of no transfer here (``missing here``), the recipient's licence, the
  packages (labels against our UIDs), and what each package shipped (Metrc's
  ``ShippedQuantity`` in grams or units, against our item's quantity), and the estimated
  departure and arrival.
- **BioTrack** (``sync_manifest``): a manifest matches ours through the id the connector
  learnt when it filed it (``sync_objects`` kind ``manifest``); the items through the ids of
  our packages (kind ``package``). Ours with no such manifest (``missing at BioTrack``),
  BioTrack's we never filed (``missing here``), the recipient's licence, the packages and the
  approximate departure and arrival (BioTrack's manifest carries no quantities).

Neither public API records a departure or a receipt of a licensed transfer, so our
``manifested`` / ``departed`` status has nothing to be compared with there.
"""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from server.db.core import table_of
from server.db.tables import Transfer, TransferItem
from server.statesync.metrc_client import MetrcApi
from server.statesync.reconcile_product import Report
from server.statesync.reconcile_transfers import listed

__all__ = [
    "Outgoing",
    "Shipment",
    "amount",
    "biotrack_manifest_differences",
    "outgoing_differences",
    "read_outgoing",
]

TRANSFERS = table_of(Transfer)
ITEMS = table_of(TransferItem)


class Shipment(NamedTuple):
    """One manifest as compared: the recipient's licence, what each UID shipped (grams or a
    count; "" where the state lists no quantity), the estimated departure and arrival."""

    recipient: str | None
    items: dict[str, str]
    departs: datetime | None
    arrives: datetime | None


Outgoing = dict[str, Shipment]  # by our manifest id
FIX = "find which is right; correct it here (record.corrected) or at {system}"


def amount(value: object) -> str:
    """A quantity or price as compared: exact, without trailing zeros."""
    return format(Decimal(str(value)).normalize(), "f")


def read_outgoing(conn: Connection, licence: str) -> Outgoing:
    """Our outgoing transfers: the recipient's licence and what each UID shipped."""
    found: Outgoing = {
        r.manifest_id: Shipment(
            r.purchaser_licence, {}, _instant(r.estimated_departure), _instant(r.estimated_arrival)
        )
        for r in conn.execute(
            sa.select(
                TRANSFERS.c.manifest_id,
                TRANSFERS.c.purchaser_licence,
                TRANSFERS.c.estimated_departure,
                TRANSFERS.c.estimated_arrival,
            ).where(TRANSFERS.c.licence == licence, TRANSFERS.c.direction == "out")
        )
    }
    for r in conn.execute(
        sa.select(
            ITEMS.c.manifest_id, ITEMS.c.uid, ITEMS.c.quantity_grams, ITEMS.c.quantity_count
        ).where(ITEMS.c.licence == licence, ITEMS.c.direction == "out")
    ):
        if r.manifest_id in found:
            grams = r.quantity_grams
            found[r.manifest_id].items[r.uid] = amount(
                grams if grams is not None else r.quantity_count
            )
    return found


def _instant(value: object) -> datetime | None:
    """An aware instant from a stored datetime or ISO 8601 text; None if there is none or it
    gives no zone (comparing it would be a guess)."""
    if isinstance(value, datetime):
        found = value
    else:
        try:
            found = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    return found if found.tzinfo is not None else None


def _metrc(transfer: Any) -> Shipment:
    """Metrc's manifest: its (first) recipient and times, and what each label shipped."""
    first: dict[str, Any] = transfer.destinations[0] if transfer.destinations else {}
    shipped = {}
    for destination in transfer.destinations:
        for line in destination.get("Packages") or []:
            quantity = line.get("ShippedQuantity")
            shipped[str(line.get("PackageLabel"))] = "" if quantity is None else amount(quantity)
    return Shipment(
        first.get("RecipientLicenseNumber"),
        shipped,
        _instant(first.get("EstimatedDepartureDateTime")),
        _instant(first.get("EstimatedArrivalDateTime")),
    )


def _text(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


def _compare(
    report: Report,
    manifest: str,
    system: str,
    ours: Shipment,
    theirs: Shipment,
) -> None:
    fix = FIX.format(system=system)
    if ours.recipient != theirs.recipient:
        report("transfer", manifest, "recipient's licence", ours.recipient, theirs.recipient, fix)
    if ours.items.keys() != theirs.items.keys():
        report(
            "transfer",
            manifest,
            "packages",
            listed(set(ours.items)),
            listed(set(theirs.items)),
            fix,
        )
    for uid in ours.items.keys() & theirs.items.keys():
        if theirs.items[uid] not in ("", ours.items[uid]):
            report(
                "transfer", manifest, f"quantity of {uid}", ours.items[uid], theirs.items[uid], fix
            )
    for what, here, there in (
        ("estimated departure", ours.departs, theirs.departs),
        ("estimated arrival", ours.arrives, theirs.arrives),
    ):
        if here is not None and there is not None and here != there:
            report("transfer", manifest, what, _text(here), _text(there), fix)


def outgoing_differences(
    api: MetrcApi, licence: str, ours: Outgoing, fetch_all: Callable[..., Any], report: Report
) -> None:
    """Report every difference between our outgoing transfers and Metrc's manifests."""
    theirs = {t.name: t for t in fetch_all(api.outgoing_transfers, licence)}
    for manifest, mine in ours.items():
        transfer = theirs.get(manifest)
        if transfer is None:
            report(
                "transfer",
                manifest,
                "missing at Metrc",
                "manifested here",
                None,
                "file the manifest at Metrc (see its event's state calls) before it leaves",
            )
            continue
        _compare(report, manifest, "Metrc", mine, _metrc(transfer))
    for name in theirs.keys() - ours.keys():
        transfer = theirs[name]
        report(
            "transfer",
            name,
            "missing here",
            None,
            f"manifest {transfer.manifest_number} to {_metrc(transfer).recipient}",
            "record the transfer here (transfer.manifested), or find why Metrc has it",
        )


def biotrack_manifest_differences(
    conn_ids: tuple[dict[str, str], dict[str, str]],
    ours: Outgoing,
    manifests: list[dict[str, Any]],
    report: Report,
) -> None:
    """Report every difference between our outgoing transfers and BioTrack's manifests;
    ``conn_ids``: BioTrack's ids of our manifests and of our packages, by our id."""
    manifest_ids, package_ids = conn_ids
    uid_of = {state_id: uid for uid, state_id in package_ids.items()}
    theirs = {str(m["manifest_id"]): m for m in manifests}
    mine_of = {state_id: manifest for manifest, state_id in manifest_ids.items()}
    for manifest, mine in ours.items():
        found = theirs.get(str(manifest_ids.get(manifest)))
        if found is None:
            report(
                "transfer",
                manifest,
                "missing at BioTrack",
                "manifested here",
                None,
                "file the manifest at BioTrack (see its event's state calls) before it leaves",
            )
            continue
        items = {uid_of.get(str(i), f"BioTrack item {i}"): "" for i in found.get("items", [])}
        shipment = Shipment(
            found.get("vendor_license"),
            items,
            _instant(found.get("approximate_departure")),
            _instant(found.get("approximate_arrival")),
        )
        _compare(report, manifest, "BioTrack", mine, shipment)
    for state_id, found in theirs.items():
        if state_id in mine_of:
            continue
        report(
            "transfer",
            state_id,
            "missing here",
            None,
            f"manifest {state_id} to {found.get('vendor_license')}",
            "record the transfer here (transfer.manifested), or find why BioTrack has it",
        )
