"""The Metrc v2 client: :class:`MetrcApi` (the calls the connector codes against: each
endpoint, what it sends, how its answer is read) and :class:`HttpMetrcClient` (the transport:
httpx, HTTP Basic with the integrator's vendor key and one person's user key: the calls are
that person's, with that person's permissions).

Every failure is one of :mod:`server.statesync.errors` (the transport's in
:mod:`server.statesync.httpcall`); a 400 is :class:`StateRefused` carrying Metrc's messages
unmodified, 401/403 :class:`NotAuthorised`. A lookup of a label Metrc does not know answers
None, not an error.

Writes are **not idempotent** at Metrc: after :class:`OutcomeUnknown` the caller must read
back (by label or name, or a lastModified window of at most 24 h) before sending again.
Lists are paged (at most 20 per page) and windowed (at most 24 h): :meth:`MetrcApi.page`
fetches one page; the caller walks pages and windows, which keeps the rate limit visible.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, Self, TypeVar, cast, overload

import httpx
from pydantic import BaseModel, ValidationError

from server.statesync.errors import (
    NotAuthorised,
    OutcomeUnknown,
    StateRefused,
    StateUnavailable,
)
from server.statesync.httpcall import HttpSession, send
from server.statesync.metrc_models import (
    Harvest,
    HarvestFinish,
    HarvestPackage,
    HarvestWaste,
    HarvestWasteRecord,
    ItemCreate,
    LocationCreate,
    MetrcItem,
    MetrcLocation,
    Named,
    OutgoingTransfer,
    Package,
    Page,
    Plant,
    PlantBatch,
    PlantBatchDestroy,
    PlantBatchGrowthPhase,
    PlantBatchPlanting,
    PlantDestroy,
    PlantGrowthPhase,
    PlantHarvest,
    PlantLocation,
    PlantWaste,
    PlantWasteRecord,
    SalesReceipt,
    SalesReceiptRecord,
    Tag,
    Transfer,
    WriteResult,
)
from server.statesync.wire import dumps

__all__ = ["HttpMetrcClient", "MetrcApi", "Window"]

A = TypeVar("A", bound=BaseModel)
L = TypeVar("L")
Window = tuple[datetime, datetime]

# What each kind of list is called at Metrc, by what we ask for.
PLANT_LISTS = {
    "vegetative": "/plants/v2/vegetative",
    "flowering": "/plants/v2/flowering",
    "inactive": "/plants/v2/inactive",
}


# MetrcApi declares most endpoints in one line each: a method made by _write_call or
# _lookup_call, or a descriptor (_List, _ActiveList) that gives, on a client, the paged list's
# call (a Listing or an ActiveListing).
WriteMethod = Callable[["MetrcApi", str, Sequence[A | dict[str, Any]]], WriteResult]
LookupMethod = Callable[["MetrcApi", str, Any], A | None]


def _write_call(model: type[A], method: str, path: str) -> "WriteMethod[A]":
    """A write: the rows sent as ``method path`` (:meth:`MetrcApi._write`), each a ``model`` or
    its fields (Metrc's names or ours), validated as one first (pydantic's ValidationError)."""

    def write(client: "MetrcApi", licence: str, rows: Sequence[A | dict[str, Any]]) -> WriteResult:
        valid = [model.model_validate(r) if isinstance(r, dict) else r for r in rows]
        return client._write(method, path, licence, valid)

    return write


def _lookup_call(path: str, model: type[A]) -> "LookupMethod[A]":
    """One object by its label or id, put in ``path`` for ``{}``; None if Metrc has none."""

    def lookup(client: "MetrcApi", licence: str, key: str | int) -> A | None:
        return client._lookup(path.format(key), licence, model)

    return lookup


@dataclass(frozen=True)
class Listing(Generic[A]):
    """One of Metrc's paged lists (:meth:`MetrcApi.page` of ``path``), of one licence a call."""

    client: "MetrcApi"
    path: str
    model: type[A]

    def __call__(
        self, licence: str, *, window: Window | None = None, page: int = 1, page_size: int = 20
    ) -> Page[A]:
        return self.client.page(
            licence, self.path, self.model, window=window, page=page, page_size=page_size
        )


@dataclass(frozen=True)
class ActiveListing(Generic[A]):
    """A paged list Metrc keeps twice: the active objects and the inactive ones."""

    lists: dict[bool, Listing[A]]

    def __call__(
        self,
        licence: str,
        *,
        active: bool = True,
        window: Window | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Page[A]:
        return self.lists[active](licence, window=window, page=page, page_size=page_size)


class _Listed(ABC, Generic[L]):
    """A paged-list endpoint: on a client, the call :meth:`bind` makes for it (``L``); on the
    class, itself, as a method would be."""

    @overload
    def __get__(self, client: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, client: "MetrcApi", owner: type[Any]) -> L: ...
    def __get__(self, client: "MetrcApi | None", owner: type[Any]) -> "Self | L":
        return self if client is None else self.bind(client)

    @abstractmethod
    def bind(self, client: "MetrcApi") -> L: ...


class _List(_Listed[Listing[A]]):
    """The paged list at ``path``."""

    def __init__(self, path: str, model: type[A]) -> None:
        self.path, self.model = path, model

    def bind(self, client: "MetrcApi") -> Listing[A]:
        return Listing(client, self.path, self.model)


class _ActiveList(_Listed[ActiveListing[A]]):
    """The paged lists at ``prefix/active`` and ``prefix/inactive``, as one call."""

    def __init__(self, prefix: str, model: type[A]) -> None:
        self.prefix, self.model = prefix, model

    def bind(self, client: "MetrcApi") -> ActiveListing[A]:
        lists = {
            True: Listing(client, f"{self.prefix}/active", self.model),
            False: Listing(client, f"{self.prefix}/inactive", self.model),
        }
        return ActiveListing(lists)


class MetrcApi(ABC):
    """The Metrc calls seedtrace makes, one licence (facility) a call: each endpoint, what it
    sends and how its answer is read. A subclass carries the requests (:meth:`_send`;
    :class:`HttpMetrcClient`: HTTP)."""

    @abstractmethod
    def _send(self, call: str, method: str, path: str, *, write: bool, **kw: Any) -> httpx.Response:
        """The answer to one request (``kw``: httpx's, e.g. ``params``, ``content``); raises
        :mod:`server.statesync.httpcall`'s errors, and leaves any other status to the caller."""

    # -- writes ----------------------------------------------------------------------------

    create_plantings = _write_call(PlantBatchPlanting, "POST", "/plantbatches/v2/plantings")
    change_batch_growth_phase = _write_call(
        PlantBatchGrowthPhase, "POST", "/plantbatches/v2/growthphase"
    )
    destroy_batch_plants = _write_call(PlantBatchDestroy, "DELETE", "/plantbatches/v2")
    change_growth_phase = _write_call(PlantGrowthPhase, "PUT", "/plants/v2/growthphase")
    move_plants = _write_call(PlantLocation, "PUT", "/plants/v2/location")
    harvest_plants = _write_call(PlantHarvest, "PUT", "/plants/v2/harvest")
    destroy_plants = _write_call(PlantDestroy, "DELETE", "/plants/v2")
    record_plant_waste = _write_call(PlantWaste, "POST", "/plants/v2/waste")
    record_harvest_waste = _write_call(HarvestWaste, "POST", "/harvests/v2/waste")
    finish_harvests = _write_call(HarvestFinish, "PUT", "/harvests/v2/finish")
    create_packages = _write_call(HarvestPackage, "POST", "/harvests/v2/packages")
    create_transfers = _write_call(OutgoingTransfer, "POST", "/transfers/v2/templates/outgoing")
    create_receipts = _write_call(SalesReceipt, "POST", "/sales/v2/receipts")
    create_locations = _write_call(LocationCreate, "POST", "/locations/v2")
    create_items = _write_call(ItemCreate, "POST", "/items/v2")

    # -- reads -----------------------------------------------------------------------------

    plant = _lookup_call("/plants/v2/{}", Plant)
    plant_batch = _lookup_call("/plantbatches/v2/{}", PlantBatch)
    harvest = _lookup_call("/harvests/v2/{}", Harvest)
    package = _lookup_call("/packages/v2/{}", Package)

    plant_batches = _ActiveList("/plantbatches/v2", PlantBatch)
    harvests = _ActiveList("/harvests/v2", Harvest)
    packages = _ActiveList("/packages/v2", Package)
    receipts = _List("/sales/v2/receipts/active", SalesReceiptRecord)
    outgoing_transfers = _List("/transfers/v2/templates/outgoing", Transfer)
    incoming_transfers = _List("/transfers/v2/incoming", Transfer)
    plant_waste = _List("/plants/v2/waste", PlantWasteRecord)
    locations = _List("/locations/v2/active", MetrcLocation)
    items = _List("/items/v2/active", MetrcItem)

    def plants(
        self,
        licence: str,
        which: Literal["vegetative", "flowering", "inactive"],
        *,
        window: Window | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Page[Plant]:
        return self.page(
            licence,
            PLANT_LISTS[which],
            Plant,
            window=window,
            page=page,
            page_size=page_size,
        )

    def harvest_waste(
        self,
        licence: str,
        harvest_id: int,
        *,
        window: Window | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Page[HarvestWasteRecord]:
        query = {"harvestId": str(harvest_id)}
        path = "/harvests/v2/waste"
        return self.page(
            licence,
            path,
            HarvestWasteRecord,
            window=window,
            page=page,
            page_size=page_size,
            params=query,
        )

    def available_tags(
        self,
        licence: str,
        tag_type: Literal["plant", "package"],
        *,
        window: Window | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Page[Tag]:
        path = f"/tags/v2/{tag_type}/available"
        return self.page(licence, path, Tag, window=window, page=page, page_size=page_size)

    def names(self, licence: str, path: str) -> list[str]:
        """A list of names (waste methods, waste reasons, harvest waste types)."""
        body = self._get(path, licence, {})
        if not isinstance(body, list):
            raise StateUnavailable(f"GET {path}", "expected a JSON array")
        return [Named.model_validate(x).name for x in body]

    def page(
        self,
        licence: str,
        path: str,
        model: type[A],
        *,
        window: Window | None = None,
        page: int = 1,
        page_size: int = 20,
        params: dict[str, str] | None = None,
    ) -> Page[A]:
        query = dict(params or {}) | {
            "pageNumber": str(page),
            "pageSize": str(page_size),
        }
        if window is not None:
            query |= {"lastModifiedStart": window[0].isoformat()}
            query |= {"lastModifiedEnd": window[1].isoformat()}
        body = self._get(path, licence, query)
        try:
            return cast("type[Page[A]]", Page.__class_getitem__(model)).model_validate(body)
        except ValidationError as err:
            raise StateUnavailable(f"GET {path}", f"an answer we cannot read: {err}") from err

    # -- plumbing --------------------------------------------------------------------------

    def _write(self, method: str, path: str, licence: str, rows: list[Any]) -> WriteResult:
        call = f"{method} {path}"
        if not rows:
            raise ValueError(f"{call}: give at least one row")
        body = dumps([r.model_dump(by_alias=True, exclude_none=True) for r in rows])
        response = self._send(
            call,
            method,
            path,
            write=True,
            params={"licenseNumber": licence},
            content=body,
            headers={"Content-Type": "application/json"},
        )
        _raise_for_refusal(call, response)
        try:
            answer = response.json()
            return WriteResult(
                ids=answer["Ids"], warnings=answer.get("Warnings"), raw=response.text
            )
        except (ValueError, KeyError, TypeError, ValidationError) as err:
            # A 200 whose body we cannot read: kept, but with ids unknown; read back to learn them.
            raise OutcomeUnknown(call, f"kept, but the answer is unreadable: {err!r}") from err

    def _get(self, path: str, licence: str, query: dict[str, str]) -> Any:
        call = f"GET {path}"
        response = self._send(
            call,
            "GET",
            path,
            write=False,
            params={"licenseNumber": licence} | query,
        )
        _raise_for_refusal(call, response)
        try:
            return response.json()
        except ValueError as err:
            raise StateUnavailable(call, f"an answer that is not JSON: {err}") from err

    def _lookup(self, path: str, licence: str, model: type[A]) -> A | None:
        call = f"GET {path}"
        response = self._send(
            call,
            "GET",
            path,
            write=False,
            params={"licenseNumber": licence},
        )
        if response.status_code == 404:
            return None
        _raise_for_refusal(call, response)
        try:
            return model.model_validate(response.json())
        except (ValueError, ValidationError) as err:
            raise StateUnavailable(call, f"an answer we cannot read: {err}") from err


class HttpMetrcClient(HttpSession, MetrcApi):
    """:class:`MetrcApi` over HTTP. ``transport`` lets a test swap httpx's transport."""

    def __init__(
        self,
        base_url: str,
        vendor_key: str,
        user_key: str,
        *,
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url,
            auth=httpx.BasicAuth(vendor_key, user_key),
            timeout=timeout_s,
            transport=transport,
            headers={"Accept": "application/json"},
        )

    def _send(self, call: str, method: str, path: str, *, write: bool, **kw: Any) -> httpx.Response:
        return send(self._http, call, method, path, write=write, **kw)


def _raise_for_refusal(call: str, response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    found = _messages(response)
    messages = [text for _row, text in found]
    if status in (401, 403):
        raise NotAuthorised(call, messages, status=status)
    rows = [row for row, _text in found] if any(row is not None for row, _ in found) else []
    raise StateRefused(call, messages, status=status, rows=rows)


def _messages(response: httpx.Response) -> list[tuple[int | None, str]]:
    """Metrc's messages as it worded them, each with the row it names (``[{"row": n,
    "message": ...}]``), or None (``{"Message": ...}``, anything else)."""
    try:
        body = response.json()
    except ValueError:
        return [(None, response.text)]
    items = body if isinstance(body, list) else [body]
    found: list[tuple[int | None, str]] = []
    for item in items:
        if isinstance(item, dict):
            text = item.get("message", item.get("Message"))
            row = item.get("row", item.get("Row"))
            found.append(
                (
                    row if isinstance(row, int) and not isinstance(row, bool) else None,
                    str(text) if text is not None else str(item),
                )
            )
        else:
            found.append((None, str(item)))
    return found
