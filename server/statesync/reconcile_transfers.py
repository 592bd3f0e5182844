"""Reconciliation with Metrc: incoming transfers (docs/sync.md, Reconciliation). Called by
:func:`server.statesync.reconcile.reconcile_metrc`; reads only.

Our incoming transfers (``transfers`` with direction ``in``: goods another licensee sent us,
recorded on arrival) against Metrc's ``/transfers/v2/incoming`` for the licence. A transfer of
ours matches Metrc's when our manifest id is its ``ManifestNumber`` (the number printed on
Metrc's manifest) or its ``Name`` (the shipper's own manifest id, which seedtrace files as the
name). Differences:

- ours, not at Metrc (``missing at Metrc``): a licensed transfer travels on a Metrc manifest;
  the shipper never filed it, or filed it to another licence;
- Metrc's, not here (``missing here``), once its estimated arrival has passed: it should have
  arrived; before that it is on its way, not a difference;
- the shipper's licence, or the packages (labels on Metrc's manifest for our licence against
  the UIDs we recorded as arrived), that differ.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from server.db.core import table_of
from server.db.tables import Transfer, TransferItem
from server.statesync.metrc_client import MetrcApi
from server.statesync.reconcile_product import Report

__all__ = ["incoming_differences", "listed", "read_incoming"]

TRANSFERS = table_of(Transfer)
ITEMS = table_of(TransferItem)
Incoming = dict[str, tuple[str, set[str]]]  # manifest id -> (shipper's licence, UIDs)


def read_incoming(conn: Connection, licence: str) -> Incoming:
    """Our incoming transfers: the shipper's licence and the UIDs that arrived, by manifest."""
    found: Incoming = {
        r.manifest_id: (r.seller_licence, set())
        for r in conn.execute(
            sa.select(TRANSFERS.c.manifest_id, TRANSFERS.c.seller_licence).where(
                TRANSFERS.c.licence == licence, TRANSFERS.c.direction == "in"
            )
        )
    }
    for manifest, uid in conn.execute(
        sa.select(ITEMS.c.manifest_id, ITEMS.c.uid).where(
            ITEMS.c.licence == licence, ITEMS.c.direction == "in"
        )
    ):
        if manifest in found:
            found[manifest][1].add(uid)
    return found


def _labels(transfer: Any, licence: str) -> set[str]:
    return {
        str(line.get("PackageLabel"))
        for destination in transfer.destinations
        if destination.get("RecipientLicenseNumber") in (None, licence)
        for line in destination.get("Packages") or []
    }


def _arrival(transfer: Any) -> datetime | None:
    """The latest estimated arrival on Metrc's manifest; None if it gives none we can read."""
    found = []
    for destination in transfer.destinations:
        text = destination.get("EstimatedArrivalDateTime")
        try:
            found.append(datetime.fromisoformat(str(text)))
        except ValueError:
            continue
    aware = [t for t in found if t.tzinfo is not None]
    return max(aware) if aware else None


def listed(labels: set[str]) -> str:
    """Labels or UIDs, sorted, comma-separated; ``none`` for none."""
    return ", ".join(sorted(labels)) or "none"


def incoming_differences(
    api: MetrcApi,
    licence: str,
    ours: Incoming,
    now: datetime,
    fetch_all: Callable[..., Any],
    report: Report,
) -> None:
    """Report every incoming-transfer difference through ``report``."""
    theirs = list(fetch_all(api.incoming_transfers, licence))
    matched: set[int] = set()
    for manifest, (shipper, uids) in ours.items():
        found = [(i, t) for i, t in enumerate(theirs) if manifest in (t.manifest_number, t.name)]
        if not found:
            report(
                "transfer",
                manifest,
                "missing at Metrc",
                "arrived here",
                None,
                f"ask the shipper ({shipper}) to file the manifest at Metrc to this licence; "
                "a licensed transfer travels on a Metrc manifest",
            )
            continue
        index, transfer = found[0]
        matched.add(index)
        fix = "find which is right with the shipper; correct it here (record.corrected)"
        if transfer.shipper_facility_license_number != shipper:
            report(
                "transfer",
                manifest,
                "shipper's licence",
                shipper,
                transfer.shipper_facility_license_number,
                fix,
            )
        labels = _labels(transfer, licence)
        if labels != uids:
            report("transfer", manifest, "packages", listed(uids), listed(labels), fix)
    for index, transfer in enumerate(theirs):
        due = _arrival(transfer)
        if index in matched or due is None or due > now:
            continue  # recorded here, or still on its way
        report(
            "transfer",
            transfer.name or transfer.manifest_number,
            "missing here",
            None,
            f"manifest {transfer.manifest_number} from {transfer.shipper_facility_license_number}",
            f"it was due at {due.isoformat()}: record its arrival here (transfer.arrived) "
            "once it comes, or settle with the shipper why it did not",
        )
