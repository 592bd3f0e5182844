"""The BioTrack simulator's inventory actions: packaging, manifests and sales.

Shaped after BioTrack's inventory API (same envelope, nonces and transaction ids as the plant
actions, :mod:`server.statesync.biotrack_actions`):

- ``inventory_convert``: take ``remove_quantity`` (``remove_quantity_uom``) from each source
  item of ``data`` (``[{barcodeid, remove_quantity, remove_quantity_uom}]``) and make one new
  item of ``derivative_type`` (28: usable cannabis) holding ``derivative_quantity``
  (``derivative_quantity_uom``) and, for packaged units, ``derivative_units``, named
  ``derivative_product``; answers ``barcode_id`` [the new item]. A source with less than
  asked is refused (5); the new item may not hold more than was taken (1). A source emptied
  is inactive.
- ``inventory_manifest``: a manifest of items to another licence: ``stop_overview``
  ``[{stop_number, vendor_license, approximate_departure, approximate_arrival,
  approximate_route}]`` (one stop here) and ``data`` ``[{barcodeid, stop_number}]``; answers
  ``manifest_id`` (16 digits). An item already on an open manifest is refused (5): a repeated
  manifest is not made twice.
- ``sale_dispense``: a sale from items: ``data`` ``[{barcodeid, quantity, uom?, price}]``
  (``uom`` absent: a count of units), ``sale_time`` (unix seconds), ``external_id``?; lowers
  each item's quantity and answers ``sale_id``. **Not idempotent without a nonce**: the same
  request again sells again, as BioTrack does.

Weights are kept exactly in grams.
"""

from decimal import Decimal
from typing import Any

from server.statesync.biotrack_actions import (
    Act,
    ActionError,
    _field,
    _grams,
    _insert,
    _int,
    _save,
)
from server.statesync.simstore import SimObject

__all__ = ["INVENTORY_ACTIONS", "USABLE"]

USABLE = 28  # usable cannabis (packaged)
DERIVATIVE_TYPES = (USABLE,)


def _g(value: Decimal) -> str:
    """A quantity as people write it: ``50``, ``3.5`` (not ``50.0``, ``5E+1``)."""
    return format(value.normalize(), "f")


def _rows(body: dict[str, Any]) -> list[dict[str, Any]]:
    rows = _field(body, "data")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise ActionError(1, "data must be a non-empty list of objects")
    return rows


def _item(a: Act, barcode: object) -> SimObject:
    if not isinstance(barcode, str) or not barcode:
        raise ActionError(1, f"barcodeid must be an inventory identifier; got {barcode!r}")
    item = a.store.find(a.licence, "inventory", barcode)
    if item is None:
        raise ActionError(4, f"inventory item {barcode} does not exist at licence {a.licence}")
    return item


def _take(a: Act, item: SimObject, grams: Decimal) -> None:
    held = Decimal(str(item.data["quantity"]))
    if grams > held:
        raise ActionError(
            5, f"inventory item {item.key} holds {_g(held)} g; {_g(grams)} g were asked"
        )
    item.data["quantity"] = held - grams
    _save(a, item, active=item.data["quantity"] > 0)


def inventory_convert(a: Act, body: dict[str, Any]) -> dict[str, Any]:
    derivative = _int(body, "derivative_type", minimum=1)
    if derivative not in DERIVATIVE_TYPES:
        raise ActionError(1, f"derivative_type must be one of {DERIVATIVE_TYPES}; got {derivative}")
    product = str(_field(body, "derivative_product"))
    made = _grams(body, "derivative_quantity", "derivative_quantity_uom")
    taken = Decimal(0)
    strains = set()
    for row in _rows(body):
        item = _item(a, row.get("barcodeid"))
        grams = _grams(row, "remove_quantity", "remove_quantity_uom")
        _take(a, item, grams)
        taken += grams
        strains.add(item.data.get("strain", ""))
    if made > taken:
        raise ActionError(
            1, f"derivative_quantity {_g(made)} g is more than the {_g(taken)} g taken"
        )
    units = (
        None if body.get("derivative_units") is None else _int(body, "derivative_units", minimum=1)
    )
    barcode = a.new_barcode()
    data = {
        "id": barcode,
        "inventorytype": derivative,
        "units": units,
        "strain": " / ".join(sorted(s for s in strains if s)),
        "productname": product,
        "quantity": made,
        "uom": "g",
        "plantid": None,
        "location": a.licence,
        "sources": [str(r["barcodeid"]) for r in _rows(body)],
    }
    _insert(a, "inventory", barcode, data)
    return {"barcode_id": [barcode]}


def inventory_manifest(a: Act, body: dict[str, Any]) -> dict[str, Any]:
    stops = _field(body, "stop_overview")
    if not isinstance(stops, list) or len(stops) != 1 or not isinstance(stops[0], dict):
        raise ActionError(1, "stop_overview must be a list of one stop")
    stop = stops[0]
    recipient = str(_field(stop, "vendor_license"))
    if recipient == a.licence:
        raise ActionError(1, "a manifest cannot go to the licence that sends it")
    items = []
    for row in _rows(body):
        item = _item(a, row.get("barcodeid"))
        if item.data.get("manifest_id") is not None:
            raise ActionError(
                5, f"inventory item {item.key} is already on manifest {item.data['manifest_id']}"
            )
        items.append(item)
    manifest = a.new_barcode()
    for item in items:
        item.data["manifest_id"] = manifest
        _save(a, item)
    data = {
        "manifest_id": manifest,
        "vendor_license": recipient,
        "approximate_departure": stop.get("approximate_departure"),
        "approximate_arrival": stop.get("approximate_arrival"),
        "approximate_route": stop.get("approximate_route"),
        "items": [i.key for i in items],
        "location": a.licence,
    }
    _insert(a, "manifest", manifest, data)
    return {"manifest_id": manifest}


def sale_dispense(a: Act, body: dict[str, Any]) -> dict[str, Any]:
    sale_time = _int(body, "sale_time", minimum=1)
    lines = []
    for row in _rows(body):
        item = _item(a, row.get("barcodeid"))
        price = row.get("price")
        if isinstance(price, bool) or not isinstance(price, int | Decimal) or price < 0:
            raise ActionError(1, f"price must be a number of at least 0; got {price!r}")
        if row.get("uom") is None:  # a count of units
            count = _int(row, "quantity", minimum=1)
            held = Decimal(str(item.data.get("units") or 0))
            if count > held:
                raise ActionError(
                    5, f"inventory item {item.key} holds {_g(held)} units; {count} sold"
                )
            item.data["units"] = held - count
            _save(a, item)
            lines.append({"barcodeid": item.key, "quantity": count, "uom": None, "price": price})
        else:
            grams = _grams(row, "quantity", "uom")
            _take(a, item, grams)
            lines.append({"barcodeid": item.key, "quantity": grams, "uom": "g", "price": price})
    sale = a.new_barcode()
    data = {
        "sale_id": sale,
        "sale_time": sale_time,
        "external_id": body.get("external_id"),
        "items": lines,
        "location": a.licence,
    }
    _insert(a, "sale", sale, data)
    return {"sale_id": sale}


INVENTORY_ACTIONS = {
    "inventory_convert": inventory_convert,
    "inventory_manifest": inventory_manifest,
    "sale_dispense": sale_dispense,
}
