"""Reconciliation with Metrc after the harvest: packages and tags (docs/sync.md,
Reconciliation). Called by :func:`server.statesync.reconcile.reconcile_metrc`; reads only.

- **Packages** made here (``packages``, source ``created``) against Metrc's active and
  inactive packages by label: a package on one side only, and what it holds now (grams: what
  was packaged less what was sold, against Metrc's quantity).
- **Tags** (our UID ledger, ``tags``) against Metrc's available plant and package tags: a UID
  available here that Metrc does not list as available (used or voided there: using it would
  be refused), and a UID used here (on a plant or package) that Metrc still lists as
  available (the use never reached Metrc). A tag Metrc lists that we never received is not a
  difference here: it is a roll not yet received (TAG-RECEIPT-3BD).
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from server.db.core import table_of
from server.db.tables import Package, Sale, Tag
from server.statesync.metrc_client import MetrcApi

__all__ = ["Ours", "product_differences", "read_ours"]

# (kind, key, what, ours, theirs, fix) -> a Difference, with the queue's advice applied
Report = Callable[[str, str, str, str | None, str | None, str], None]
Ours = dict[str, Any]
PKG = table_of(Package)
SALE = table_of(Sale)
TAG = table_of(Tag)


def read_ours(conn: Connection, licence: str) -> Ours:
    """Our packages (with what is left after sales, exact grams) and our tag ledger."""
    packages: dict[str, Decimal] = {
        r.uid: r.quantity_grams
        for r in conn.execute(
            sa.select(PKG.c.uid, PKG.c.quantity_grams).where(
                PKG.c.licence == licence,
                PKG.c.source == "created",
                PKG.c.quantity_grams.is_not(None),
            )
        )
    }
    sold = conn.execute(
        sa.select(SALE.c.package_uid, SALE.c.quantity_grams).where(
            SALE.c.licence == licence, SALE.c.quantity_grams.is_not(None)
        )
    )
    for uid, grams in sold:
        if uid in packages:
            packages[uid] -= grams
    tags = {
        (r.tag_type, r.uid): r.status
        for r in conn.execute(
            sa.select(TAG.c.tag_type, TAG.c.uid, TAG.c.status).where(TAG.c.licence == licence)
        )
    }
    return {"packages": packages, "tags": tags}


def product_differences(
    api: MetrcApi,
    licence: str,
    ours: Ours,
    fetch_all: Callable[..., Any],
    report: Report,
) -> None:
    """Report every package and tag difference through ``report``."""
    fix = "find which is right; correct it here (record.corrected) or at Metrc"
    theirs = {
        p.label: p
        for active in (True, False)
        for p in fetch_all(api.packages, licence, active=active)
    }
    for uid, left in ours["packages"].items():
        package = theirs.get(uid)
        if package is None:
            report(
                "package",
                uid,
                "missing at Metrc",
                "present",
                None,
                "file it at Metrc (see its events' state calls), or correct our package",
            )
            continue
        if Decimal(left).normalize() != Decimal(package.quantity).normalize():
            report(
                "package",
                uid,
                "quantity (g)",
                str(Decimal(left).normalize()),
                str(Decimal(package.quantity).normalize()),
                fix,
            )
    for uid in theirs.keys() - ours["packages"].keys():
        if ("package", uid) in ours["tags"]:  # received from another licensee: not ours to make
            continue
        report(
            "package",
            uid,
            "missing here",
            None,
            "present",
            f"enter package {uid} here, or find why Metrc has it",
        )
    kinds: tuple[Literal["plant", "package"], ...] = ("plant", "package")
    for tag_type in kinds:
        available = {t.label for t in fetch_all(api.available_tags, licence, tag_type)}
        for (kind, uid), status in ours["tags"].items():
            if kind != tag_type:
                continue
            if status == "available" and uid not in available:
                report(
                    "tag",
                    uid,
                    "not available at Metrc",
                    "available",
                    "used or voided",
                    "find where Metrc used or voided it; do not use it here until that is settled",
                )
            elif status != "available" and uid in available:
                report(
                    "tag",
                    uid,
                    "still available at Metrc",
                    status,
                    "available",
                    "file its use at Metrc (see the events naming it), or correct our ledger",
                )
