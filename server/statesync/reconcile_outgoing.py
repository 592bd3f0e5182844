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
  ``ShippedQuantity`` in grams or units, against our item's quantity).
- **BioTrack** (``sync_manifest``): a manifest matches ours through the id the connector
  learnt when it filed it (``sync_objects`` kind ``manifest``); the items through the ids of
  our packages (kind ``package``). Ours with no such manifest (``missing at BioTrack``),
  BioTrack's we never filed (``missing here``), the recipient's licence and the packages.

Neither public API records a departure or a receipt of a licensed transfer, so our
``manifested`` / ``departed`` status has nothing to be compared with there.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from server.db.core import table_of
from server.db.tables import Transfer, TransferItem
from server.statesync.metrc_client import MetrcApi
from server.statesync.reconcile_product import Report
from server.statesync.reconcile_transfers import listed

__all__ = [
    "Outgoing",
    "amount",
    "biotrack_manifest_differences",
    "outgoing_differences",
    "read_outgoing",
]

TRANSFERS = table_of(Transfer)
ITEMS = table_of(TransferItem)
# manifest id -> (recipient's licence, {UID: quantity as Metrc lists it: grams or a count})
Outgoing = dict[str, tuple[str | None, dict[str, str]]]
FIX = "find which is right; correct it here (record.corrected) or at {system}"


def amount(value: object) -> str:
    """A quantity or price as compared: exact, without trailing zeros."""
    return format(Decimal(str(value)).normalize(), "f")


def read_outgoing(conn: Connection, licence: str) -> Outgoing:
    """Our outgoing transfers: the recipient's licence and what each UID shipped."""
    found: Outgoing = {
        r.manifest_id: (r.purchaser_licence, {})
        for r in conn.execute(
            sa.select(TRANSFERS.c.manifest_id, TRANSFERS.c.purchaser_licence).where(
                TRANSFERS.c.licence == licence, TRANSFERS.c.direction == "out"
            )
        )
    }
    for r in conn.execute(
        sa.select(
            ITEMS.c.manifest_id, ITEMS.c.uid, ITEMS.c.quantity_grams, ITEMS.c.quantity_count
        ).where(ITEMS.c.licence == licence, ITEMS.c.direction == "out")
    ):
        if r.manifest_id in found:
            grams = r.quantity_grams
            found[r.manifest_id][1][r.uid] = amount(
                grams if grams is not None else r.quantity_count
            )
    return found


def _lines(transfer: Any) -> tuple[str | None, dict[str, str]]:
    """Metrc's manifest: its (first) recipient and what each label shipped."""
    recipient, shipped = None, {}
    for destination in transfer.destinations:
        recipient = recipient or destination.get("RecipientLicenseNumber")
        for line in destination.get("Packages") or []:
            quantity = line.get("ShippedQuantity")
            shipped[str(line.get("PackageLabel"))] = "" if quantity is None else amount(quantity)
    return recipient, shipped


def _compare(
    report: Report,
    manifest: str,
    system: str,
    ours: tuple[str | None, dict[str, str]],
    theirs: tuple[str | None, dict[str, str]],
    *,
    quantities: bool,
) -> None:
    fix = FIX.format(system=system)
    if ours[0] != theirs[0]:
        report("transfer", manifest, "recipient's licence", ours[0], theirs[0], fix)
    if ours[1].keys() != theirs[1].keys():
        report("transfer", manifest, "packages", listed(set(ours[1])), listed(set(theirs[1])), fix)
    if not quantities:
        return
    for uid in ours[1].keys() & theirs[1].keys():
        if theirs[1][uid] not in ("", ours[1][uid]):
            report("transfer", manifest, f"quantity of {uid}", ours[1][uid], theirs[1][uid], fix)


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
        _compare(report, manifest, "Metrc", mine, _lines(transfer), quantities=True)
    for name in theirs.keys() - ours.keys():
        transfer = theirs[name]
        report(
            "transfer",
            name,
            "missing here",
            None,
            f"manifest {transfer.manifest_number} to {_lines(transfer)[0]}",
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
        _compare(
            report,
            manifest,
            "BioTrack",
            mine,
            (found.get("vendor_license"), items),
            quantities=False,
        )
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
