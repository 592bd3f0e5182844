"""The connector's Metrc actions (OR, CA): how each planned call is resolved, sent, read back
and learnt from (docs/sync.md, Exactly once).

Metrc has no idempotency key and its writes are not idempotent, so every action has a
**read-back**: after an unknown outcome (the answer lost, a 5xx after the commit, a process
killed mid-call) the connector asks Metrc whether the call took effect before it sends again:

| action | read back by |
| --- | --- |
| ``ensure_location`` | the location's name in the active list (also read **before** posting) |
| ``ensure_item`` | the item's name in the active item list (also read **before** posting) |
| ``plantings`` | the batch's name in the active and inactive lists, lastModified window |
| ``batch_growth_phase`` | the first new plant's label (``/plants/v2/{label}``) |
| ``plant_growth_phase``, ``move_plants`` | every row's plant: its phase and location |
| ``correct_plants`` | as the move or phase change it sends |
| ``harvest_plant`` | the plant's harvest id |
| ``destroy_plant`` | the plant's state |
| ``destroy_batch_plants``, ``plant_waste`` | our event id in the waste record's note |
| ``harvest_waste`` | the harvest's waste total against the total read just before sending |
| ``create_package`` | the package's label (``/packages/v2/{label}``) |
| ``create_transfer`` | the manifest's name (our manifest id) among the outgoing transfers |
| ``create_receipt`` | our event id as the receipt's ``ExternalReceiptNumber`` |

A Metrc request keeps all its rows or none; still every row is read back (a plant changed at
Metrc by hand meanwhile must not pass for the whole request). Consecutive calls of the actions
in :data:`BATCHED` go as one multi-row request (the connector gathers them,
:mod:`server.statesync.batches`). Windows start
five minutes before the call was first sent (the two clocks need not agree to the second) and
are walked 24 hours at a time, 20 rows a page. The read-backs assume the licensee's calls go
one at a time (the lease) and that nobody changes the same object at Metrc by hand meanwhile.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from pydantic import BaseModel

from server.statesync import corrections
from server.statesync.calls import Answer, Reader, by_hand, resolve
from server.statesync.metrc_client import MetrcApi, Window
from server.statesync.metrc_models import (
    ItemCreate,
    LocationCreate,
    WriteResult,
)
from server.statesync.queue import CallRow, Objects

__all__ = ["ACTIONS", "BATCHED", "READERS", "Batched", "MetrcAction"]

LOCATION_TYPE = "Default"
SLACK = timedelta(minutes=5)
MAX_WINDOW = timedelta(hours=24)

READERS: dict[str, Reader] = {
    "batch_location": ("batch", lambda _id, data: data["location"]),
    "plant_location": ("plant", lambda _id, data: data["location"]),
    "harvest": ("harvest", lambda state_id, _data: int(state_id)),
    "harvest_location": ("harvest", lambda _id, data: data["location"]),
}


def _answer(result: WriteResult) -> Answer:
    return Answer([str(i) for i in result.ids], result.raw)


def _found(obj: BaseModel) -> Answer:
    # The object as Metrc described it: what told us the call had taken effect.
    return Answer([str(getattr(obj, "id", ""))], obj.model_dump_json(by_alias=True), "read-back")


def windows(since: datetime, until: datetime) -> Iterator[Window]:
    start = since - SLACK
    while start < until:
        end = min(start + MAX_WINDOW, until)
        yield (start, end)
        start = end


def _pages(fetch: Callable[[int], Any]) -> Iterator[Any]:
    page = 1
    while True:
        got = fetch(page)
        yield from got.data
        if page >= got.total_pages:
            return
        page += 1


@dataclass(frozen=True)
class Ctx:
    api: MetrcApi
    licence: str
    call: CallRow
    now: datetime


def _one_row(req: dict[str, Any]) -> list[dict[str, Any]]:
    return [req["row"]]


def _many_rows(req: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = req["rows"]
    return rows


Sender = Callable[[MetrcApi, str, list[dict[str, Any]]], WriteResult]
BoundWrite = Callable[[str, list[dict[str, Any]]], WriteResult]  # a client's write method


def _sender(method: Callable[[MetrcApi], BoundWrite]) -> Sender:
    """Rows sent in one request by the client's ``method`` (which validates them)."""

    def send(api: MetrcApi, licence: str, rows: list[dict[str, Any]]) -> WriteResult:
        return method(api)(licence, rows)

    return send


def _sends(
    rows: Callable[[dict[str, Any]], list[dict[str, Any]]],
    method: Callable[[MetrcApi], BoundWrite],
) -> Callable[[Ctx, dict[str, Any]], Answer]:
    """A call's sending: its ``rows`` (``_one_row``, ``_many_rows``) by :func:`_sender`."""
    send = _sender(method)
    return lambda ctx, req: _answer(send(ctx.api, ctx.licence, rows(req)))


@dataclass(frozen=True)
class MetrcAction:
    send: Callable[[Ctx, dict[str, Any]], Answer]
    readback: Callable[[Ctx, dict[str, Any], dict[str, Any]], Answer | None]
    learn: Callable[[Objects, dict[str, Any], Answer], None]
    known: Callable[[Objects, dict[str, Any]], Answer | None] = lambda _o, _r: None
    prepare: Callable[[Ctx, dict[str, Any]], dict[str, Any]] = lambda _c, _r: {}

    def request(self, objects: Objects, call: CallRow) -> dict[str, Any]:
        args = {k: v for k, v in call.plan.items() if k != "wait_s"}
        resolved: dict[str, Any] = resolve(args, objects, READERS)
        return resolved


def _since(ctx: Ctx) -> datetime:
    return ctx.call.first_sent_at or ctx.now


def _since_sent(
    ctx: Ctx, matches: Callable[[Any], bool], *listings: Callable[[Window, int], Any]
) -> Answer | None:
    """Read back by search: the first record that ``matches`` in ``listings`` (Metrc's lists,
    each asked as ``(window, page)``), window by window from the call's first sending to now,
    each window in every listing. None: not there, the call did not take effect."""
    for window in windows(_since(ctx), ctx.now + SLACK):
        for listing in listings:
            for record in _pages(partial(listing, window)):
                if matches(record):
                    return _found(record)
    return None


def _listed_since_sent(
    row_field: str, record_field: str, *listings: Callable[[Ctx, Window, int], Any]
) -> Callable[[Ctx, dict[str, Any], dict[str, Any]], Answer | None]:
    """The read-back of a call whose row is found again as the record of ``listings`` (asked
    as ``(ctx, window, page)``) whose ``record_field`` is the row's ``row_field``
    (:func:`_since_sent`)."""

    def readback(ctx: Ctx, req: dict[str, Any], _rb: dict[str, Any]) -> Answer | None:
        ours = req["row"][row_field]
        return _since_sent(
            ctx,
            lambda record: getattr(record, record_field) == ours,
            *(partial(listing, ctx) for listing in listings),
        )

    return readback


# -- locations and items ----------------------------------------------------------------------


def _ensure_named(
    kind: str,
    listing: Callable[[Ctx, int], Any],
    create: Callable[[Ctx, dict[str, Any]], WriteResult],
) -> MetrcAction:
    """The action that makes the ``kind`` (``location``, ``item``) named ``req["name"]``
    unless Metrc already lists it (in ``listing``, asked page by page): one made at Metrc by
    hand, or by an earlier call whose answer was lost, is used, not made again. Its Metrc id
    is kept in the objects under its name."""

    def find(ctx: Ctx, name: str) -> Answer | None:
        for record in _pages(partial(listing, ctx)):
            if record.name == name:
                return _found(record)
        return None

    def send(ctx: Ctx, req: dict[str, Any]) -> Answer:
        found = find(ctx, req["name"])
        return _answer(create(ctx, req)) if found is None else found

    def learn(objects: Objects, req: dict[str, Any], a: Answer) -> None:
        objects.put(kind, req["name"], a.ids[0] if a.ids else "")

    def known(objects: Objects, req: dict[str, Any]) -> Answer | None:
        found = objects.get(kind, req["name"])
        return None if found is None else Answer([found[0]], "", "known")

    return MetrcAction(send, lambda ctx, req, _rb: find(ctx, req["name"]), learn, known=known)


def _create_location(ctx: Ctx, req: dict[str, Any]) -> WriteResult:
    row = LocationCreate(name=req["name"], location_type_name=LOCATION_TYPE)
    return ctx.api.create_locations(ctx.licence, [row])


def _create_item(ctx: Ctx, req: dict[str, Any]) -> WriteResult:
    row = ItemCreate(
        item_category=req["category"],
        name=req["name"],
        unit_of_measure=req["unit"],
        strain=req["strain"],
    )
    return ctx.api.create_items(ctx.licence, [row])


# -- plant batches -----------------------------------------------------------------------------


def _learn_plantings(objects: Objects, req: dict[str, Any], a: Answer) -> None:
    row = req["row"]
    objects.put("batch", row["Name"], a.ids[0] if a.ids else "", {"location": row["Location"]})


def _readback_batch_phase(ctx: Ctx, req: dict[str, Any], _rb: dict[str, Any]) -> Answer | None:
    plant = ctx.api.plant(ctx.licence, req["rows"][0]["StartingTag"])
    return None if plant is None else _found(plant)


def _learn_batch_phase(objects: Objects, req: dict[str, Any], a: Answer) -> None:
    where = req["rows"][0]["NewLocation"]
    for uid in req["uids"]:
        objects.put("plant", uid, uid, {"location": where})


# -- plants ------------------------------------------------------------------------------------


def _every_row(
    ctx: Ctx, rows: list[dict[str, Any]], took: Callable[[Any, dict[str, Any]], bool]
) -> Answer | None:
    """Read back row by row: each row's plant (``Label``) as Metrc has it now must show the
    row took effect (``took``); the answer is the plants as Metrc described them. None if
    any row did not (Metrc keeps all rows or none, so then none did)."""
    plants = []
    for row in rows:
        plant = ctx.api.plant(ctx.licence, row["Label"])
        if plant is None or not took(plant, row):
            return None
        plants.append(plant)
    raw = "[" + ",".join(p.model_dump_json(by_alias=True) for p in plants) + "]"
    return Answer([str(p.id) for p in plants], raw, "read-back")


def _readback_phase(ctx: Ctx, req: dict[str, Any], _rb: dict[str, Any]) -> Answer | None:
    return _every_row(
        ctx,
        req["rows"],
        lambda plant, row: (
            plant.growth_phase == row["GrowthPhase"] and plant.location_name == row["NewLocation"]
        ),
    )


def _learn_rows_location(field: str) -> Callable[[Objects, dict[str, Any], Answer], None]:
    def learn(objects: Objects, req: dict[str, Any], a: Answer) -> None:
        for row in req["rows"]:
            objects.put("plant", row["Label"], row["Label"], {"location": row[field]})

    return learn


def _readback_move(ctx: Ctx, req: dict[str, Any], _rb: dict[str, Any]) -> Answer | None:
    return _every_row(ctx, req["rows"], lambda plant, row: plant.location_name == row["Location"])


def _readback_harvest(ctx: Ctx, req: dict[str, Any], _rb: dict[str, Any]) -> Answer | None:
    plant = ctx.api.plant(ctx.licence, req["row"]["Plant"])
    if plant is None or plant.harvest_id is None:
        return None
    return Answer([str(plant.harvest_id)], plant.model_dump_json(by_alias=True), "read-back")


def _learn_harvest(objects: Objects, req: dict[str, Any], a: Answer) -> None:
    row = req["row"]
    objects.put("harvest", row["HarvestName"], a.ids[0], {"location": row["DryingLocation"]})


def _readback_destroy(ctx: Ctx, req: dict[str, Any], _rb: dict[str, Any]) -> Answer | None:
    plant = ctx.api.plant(ctx.licence, req["row"]["Label"])
    return _found(plant) if plant is not None and plant.state == "Destroyed" else None


# -- waste -------------------------------------------------------------------------------------


def _find_waste_note(ctx: Ctx, field: str, note: str) -> Answer | None:
    return _since_sent(
        ctx,
        lambda record: (record.model_extra or {}).get(field) == note,
        lambda w, n: ctx.api.plant_waste(ctx.licence, window=w, page=n),
    )


def _prepare_harvest_waste(ctx: Ctx, req: dict[str, Any]) -> dict[str, Any]:
    harvest = ctx.api.harvest(ctx.licence, req["row"]["Id"])
    if harvest is None:
        return {"waste_before": None}
    return {"waste_before": format(harvest.total_waste_weight, "f")}


def _readback_harvest_waste(ctx: Ctx, req: dict[str, Any], rb: dict[str, Any]) -> Answer | None:
    harvest = ctx.api.harvest(ctx.licence, req["row"]["Id"])
    before = rb.get("waste_before")
    if harvest is None or before is None:
        return None
    # Only this call could have changed this harvest's waste since it was read (one call of
    # the licensee at a time): any increase is ours.
    return _found(harvest) if harvest.total_waste_weight > Decimal(before) else None


# -- product -----------------------------------------------------------------------------------


def _readback_package(ctx: Ctx, req: dict[str, Any], _rb: dict[str, Any]) -> Answer | None:
    package = ctx.api.package(ctx.licence, req["row"]["Tag"])
    return None if package is None else _found(package)


def _learn_nothing(_o: Objects, _r: dict[str, Any], _a: Answer) -> None:
    return None


def _by_hand(_o: Objects, req: dict[str, Any]) -> Answer | None:
    raise by_hand(req, "Metrc")


def _never_sent(_c: Ctx, req: dict[str, Any]) -> Answer:
    raise by_hand(req, "Metrc")


# The sendings that are one request of the call's rows; the read-backs that are one search.
_send_plantings = _sends(_one_row, lambda api: api.create_plantings)
_send_batch_phase = _sends(_many_rows, lambda api: api.change_batch_growth_phase)
_send_phase = _sends(_many_rows, lambda api: api.change_growth_phase)
_send_move = _sends(_many_rows, lambda api: api.move_plants)
_send_harvest = _sends(_one_row, lambda api: api.harvest_plants)
_send_destroy = _sends(_one_row, lambda api: api.destroy_plants)
_send_package = _sends(_one_row, lambda api: api.create_packages)
_send_transfer = _sends(_one_row, lambda api: api.create_transfers)
_send_receipt = _sends(_one_row, lambda api: api.create_receipts)
_readback_plantings = _listed_since_sent(
    "Name",
    "name",
    lambda ctx, w, n: ctx.api.plant_batches(ctx.licence, active=True, window=w, page=n),
    lambda ctx, w, n: ctx.api.plant_batches(ctx.licence, active=False, window=w, page=n),
)
_readback_transfer = _listed_since_sent(
    "Name", "name", lambda ctx, w, n: ctx.api.outgoing_transfers(ctx.licence, window=w, page=n)
)
_readback_receipt = _listed_since_sent(
    "ExternalReceiptNumber",
    "external_receipt_number",
    lambda ctx, w, n: ctx.api.receipts(ctx.licence, window=w, page=n),
)


ACTIONS: dict[str, MetrcAction] = {
    "ensure_location": _ensure_named(
        "location", lambda ctx, n: ctx.api.locations(ctx.licence, page=n), _create_location
    ),
    "ensure_item": _ensure_named(
        "item", lambda ctx, n: ctx.api.items(ctx.licence, page=n), _create_item
    ),
    "plantings": MetrcAction(_send_plantings, _readback_plantings, _learn_plantings),
    "batch_growth_phase": MetrcAction(_send_batch_phase, _readback_batch_phase, _learn_batch_phase),
    "plant_growth_phase": MetrcAction(
        _send_phase, _readback_phase, _learn_rows_location("NewLocation")
    ),
    "move_plants": MetrcAction(_send_move, _readback_move, _learn_rows_location("Location")),
    "harvest_plant": MetrcAction(_send_harvest, _readback_harvest, _learn_harvest),
    "destroy_plant": MetrcAction(_send_destroy, _readback_destroy, _learn_nothing),
    "destroy_batch_plants": MetrcAction(
        _sends(_one_row, lambda api: api.destroy_batch_plants),
        lambda ctx, req, _rb: _find_waste_note(ctx, "ReasonNote", req["row"]["ReasonNote"]),
        _learn_nothing,
    ),
    "plant_waste": MetrcAction(
        _sends(_one_row, lambda api: api.record_plant_waste),
        lambda ctx, req, _rb: _find_waste_note(ctx, "Note", req["row"]["Note"]),
        _learn_nothing,
    ),
    "harvest_waste": MetrcAction(
        _sends(_one_row, lambda api: api.record_harvest_waste),
        _readback_harvest_waste,
        _learn_nothing,
        prepare=_prepare_harvest_waste,
    ),
    "create_package": MetrcAction(_send_package, _readback_package, _learn_nothing),
    "create_transfer": MetrcAction(_send_transfer, _readback_transfer, _learn_nothing),
    "create_receipt": MetrcAction(_send_receipt, _readback_receipt, _learn_nothing),
    # A corrected move or phase change, when it can go through the API
    # (server.statesync.corrections); else held for a person like the next.
    "correct_plants": MetrcAction(
        lambda ctx, req: (_send_move if req["send"] == "move_plants" else _send_phase)(ctx, req),
        lambda ctx, req, rb: (_readback_move if req["send"] == "move_plants" else _readback_phase)(
            ctx, req, rb
        ),
        lambda objects, req, a: _learn_rows_location(
            "Location" if req["send"] == "move_plants" else "NewLocation"
        )(objects, req, a),
        known=lambda objects, req: corrections.check(objects, req, "Metrc"),
    ),
    # Never sent: held for a person (server.statesync.calls.by_hand), settled by a skip.
    "correct_by_hand": MetrcAction(
        _never_sent, lambda _c, _r, _rb: None, _learn_nothing, known=_by_hand
    ),
}


@dataclass(frozen=True)
class Batched:
    """An action whose consecutive calls may go as one multi-row request (docs/sync.md,
    Batches): ``rows`` of one call's request, in the order they are sent; ``send`` of the
    rows of several; ``plant``: the field naming each row's plant (a batch holds each plant
    once, so every row's read-back sees that row's effect alone)."""

    rows: Callable[[dict[str, Any]], list[dict[str, Any]]]
    send: Sender
    plant: str


BATCHED: dict[str, Batched] = {
    "harvest_plant": Batched(_one_row, _sender(lambda api: api.harvest_plants), "Plant"),
    "plant_growth_phase": Batched(
        _many_rows, _sender(lambda api: api.change_growth_phase), "Label"
    ),
    "move_plants": Batched(_many_rows, _sender(lambda api: api.move_plants), "Label"),
    "destroy_plant": Batched(_one_row, _sender(lambda api: api.destroy_plants), "Label"),
}


def dumps_request(req: dict[str, Any]) -> str:
    return json.dumps(req, sort_keys=True)
