"""Reconciliation with BioTrack: inventory (docs/sync.md, Reconciliation). Called by
:func:`server.statesync.reconcile.reconcile_biotrack`; reads only.

BioTrack's inventory (``sync_inventory`` from the first transaction: every item the licence
ever had, with what it holds now) against ours:

- **Packages** made here (``packages``, source ``created``, in grams) against the BioTrack
  item the connector made for each (``sync_objects`` kind ``package``): an item on one side
  only (a type 28 item we know nothing of is ``missing here``), and what it holds (grams
  packaged less grams sold, against the item's ``quantity``).
- **Cured flower** of each harvest batch whose dry weight is recorded here: its flower lots at
  BioTrack (type 6 items made by ``plant_cure`` from the batch's plants, by ``plantid``)
  together against the dry weight less what was packaged from it (``harvest_batches``). A
  flower lot of a plant that is in none of our harvest batches is ``missing here``.

Waste items (type 27) and other material (type 9) are not compared: seedtrace keeps waste as
weighed events (compared with the plants' destruction), not as inventory.
"""

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from server.statesync.reconcile_product import Report, read_ours

__all__ = ["FLOWER_LOT", "PACKAGED", "inventory_differences", "read_inventory"]

FLOWER_LOT, PACKAGED = 6, 28
Ours = dict[str, Any]


def read_inventory(conn: Connection, licence: str) -> Ours:
    """Our packages (grams left, BioTrack id) and harvest batches (cured flower left, the
    BioTrack ids of their plants)."""
    ids: dict[str, str] = dict(
        conn.execute(
            sa.text(
                "SELECT key, state_id FROM sync_objects WHERE licence = :l "
                "AND system = 'biotrack' AND kind = 'package'"
            ),
            {"l": licence},
        ).all()
    )
    plants_of = {
        key: [str(p[1]) for p in json_loads(data).get("plants", [])]
        for key, data in conn.execute(
            sa.text(
                "SELECT key, data FROM sync_objects WHERE licence = :l "
                "AND system = 'biotrack' AND kind = 'harvest'"
            ),
            {"l": licence},
        )
    }
    harvests = {
        r.name: (None if r.dry is None else Decimal(r.dry) - Decimal(r.packaged))
        for r in conn.execute(
            sa.text(
                "SELECT name, dry_weight_grams AS dry, packaged_grams AS packaged "
                "FROM harvest_batches WHERE licence = :l"
            ),
            {"l": licence},
        )
    }
    packages = read_ours(conn, licence)["packages"]
    return {"packages": packages, "ids": ids, "harvests": harvests, "plants": plants_of}


def json_loads(text: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(text)
    return found


def _g(value: Decimal) -> str:
    return format(value.normalize(), "f")


def inventory_differences(
    ours: Ours, items: list[dict[str, Any]], report: Report, advice: Callable[[str, str], str]
) -> None:
    """Report every inventory difference through ``report``; ``advice(key, fix)`` is the
    fix, or the queue's word when an event about ``key`` still waits."""
    theirs = {str(i["id"]): i for i in items}
    fix = "find which is right; correct it here (record.corrected) or at BioTrack"
    known = set(ours["ids"].values())
    for uid, left in ours["packages"].items():
        item = theirs.get(str(ours["ids"].get(uid)))
        if item is None:
            report(
                "package",
                uid,
                "missing at BioTrack",
                "present",
                None,
                advice(uid, "file it at BioTrack (see its events' state calls), or correct it"),
            )
            continue
        held = Decimal(str(item["quantity"]))
        if held.normalize() != Decimal(left).normalize():
            report("package", uid, "quantity (g)", _g(Decimal(left)), _g(held), advice(uid, fix))
    for state_id, item in theirs.items():
        if item.get("inventorytype") == PACKAGED and state_id not in known:
            report(
                "package",
                state_id,
                "missing here",
                None,
                f"{item.get('productname')}, {_g(Decimal(str(item['quantity'])))} g",
                f"enter package {state_id} here, or find why BioTrack has it",
            )
    harvest_of = {plant: name for name, plants in ours["plants"].items() for plant in plants}
    lots: dict[str, Decimal] = {}
    for state_id, item in theirs.items():
        if item.get("inventorytype") != FLOWER_LOT:
            continue
        name = harvest_of.get(str(item.get("plantid")))
        if name is None:
            report(
                "lot",
                state_id,
                "missing here",
                None,
                f"{_g(Decimal(str(item['quantity'])))} g of cured flower of plant "
                f"{item.get('plantid')}",
                "find which harvest batch it belongs to; enter that harvest here",
            )
            continue
        lots[name] = lots.get(name, Decimal(0)) + Decimal(str(item["quantity"]))
    for name, left in ours["harvests"].items():
        if left is None or name not in ours["plants"]:
            continue  # no dry weight here yet, or the harvest never reached BioTrack
        if name not in lots:
            report(
                "harvest",
                name,
                "cured flower missing at BioTrack",
                _g(left),
                None,
                advice(name, "file its dry weight at BioTrack (see its events' state calls)"),
            )
        elif lots[name].normalize() != left.normalize():
            report(
                "harvest",
                name,
                "cured flower left (g)",
                _g(left),
                _g(lots[name]),
                advice(name, fix),
            )
