"""The Metrc v2 client: :class:`MetrcApi` (the Protocol the connector codes against) and
:class:`HttpMetrcClient` (httpx, HTTP Basic with the integrator's vendor key and one person's
user key: the calls are that person's, with that person's permissions).

Every failure is one of :mod:`server.statesync.errors` (the transport's in
:mod:`server.statesync.httpcall`); a 400 is :class:`StateRefused` carrying Metrc's messages
unmodified, 401/403 :class:`NotAuthorised`. A lookup of a label Metrc does not know answers
None, not an error.

Writes are **not idempotent** at Metrc: after :class:`OutcomeUnknown` the caller must read
back (by label or name, or a lastModified window of at most 24 h) before sending again.
Lists are paged (at most 20 per page) and windowed (at most 24 h): :meth:`HttpMetrcClient.page`
fetches one page; the caller walks pages and windows, which keeps the rate limit visible.
"""

from datetime import datetime
from typing import Any, Literal, Protocol, TypeVar, cast

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
Window = tuple[datetime, datetime]

# What each kind of list is called at Metrc, by what we ask for.
PLANT_LISTS = {
    "vegetative": "/plants/v2/vegetative",
    "flowering": "/plants/v2/flowering",
    "inactive": "/plants/v2/inactive",
}


class MetrcApi(Protocol):
    """The Metrc calls seedtrace makes; one licence (facility) per call."""

    def create_plantings(self, licence: str, rows: list[PlantBatchPlanting]) -> WriteResult: ...
    def change_batch_growth_phase(
        self, licence: str, rows: list[PlantBatchGrowthPhase]
    ) -> WriteResult: ...
    def destroy_batch_plants(self, licence: str, rows: list[PlantBatchDestroy]) -> WriteResult: ...
    def change_growth_phase(self, licence: str, rows: list[PlantGrowthPhase]) -> WriteResult: ...
    def move_plants(self, licence: str, rows: list[PlantLocation]) -> WriteResult: ...
    def harvest_plants(self, licence: str, rows: list[PlantHarvest]) -> WriteResult: ...
    def destroy_plants(self, licence: str, rows: list[PlantDestroy]) -> WriteResult: ...
    def record_plant_waste(self, licence: str, rows: list[PlantWaste]) -> WriteResult: ...
    def record_harvest_waste(self, licence: str, rows: list[HarvestWaste]) -> WriteResult: ...
    def finish_harvests(self, licence: str, rows: list[HarvestFinish]) -> WriteResult: ...
    def create_packages(self, licence: str, rows: list[HarvestPackage]) -> WriteResult: ...
    def create_transfers(self, licence: str, rows: list[OutgoingTransfer]) -> WriteResult: ...
    def create_receipts(self, licence: str, rows: list[SalesReceipt]) -> WriteResult: ...
    def create_locations(self, licence: str, rows: list[LocationCreate]) -> WriteResult: ...
    def create_items(self, licence: str, rows: list[ItemCreate]) -> WriteResult: ...

    def plant(self, licence: str, label: str) -> Plant | None: ...
    def plant_batch(self, licence: str, batch_id: int) -> PlantBatch | None: ...
    def harvest(self, licence: str, harvest_id: int) -> Harvest | None: ...
    def package(self, licence: str, label: str) -> Package | None: ...
    def plants(
        self,
        licence: str,
        which: Literal["vegetative", "flowering", "inactive"],
        *,
        window: Window | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Page[Plant]: ...
    def plant_batches(
        self,
        licence: str,
        *,
        active: bool = True,
        window: Window | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Page[PlantBatch]: ...
    def harvests(
        self,
        licence: str,
        *,
        active: bool = True,
        window: Window | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Page[Harvest]: ...
    def packages(
        self,
        licence: str,
        *,
        active: bool = True,
        window: Window | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Page[Package]: ...
    def receipts(
        self, licence: str, *, window: Window | None = None, page: int = 1, page_size: int = 20
    ) -> Page[SalesReceiptRecord]: ...
    def outgoing_transfers(
        self, licence: str, *, window: Window | None = None, page: int = 1, page_size: int = 20
    ) -> Page[Transfer]: ...
    def incoming_transfers(
        self, licence: str, *, window: Window | None = None, page: int = 1, page_size: int = 20
    ) -> Page[Transfer]: ...
    def plant_waste(
        self, licence: str, *, window: Window | None = None, page: int = 1, page_size: int = 20
    ) -> Page[PlantWasteRecord]: ...
    def harvest_waste(
        self,
        licence: str,
        harvest_id: int,
        *,
        window: Window | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Page[HarvestWasteRecord]: ...
    def locations(
        self, licence: str, *, window: Window | None = None, page: int = 1, page_size: int = 20
    ) -> Page[MetrcLocation]: ...
    def items(
        self, licence: str, *, window: Window | None = None, page: int = 1, page_size: int = 20
    ) -> Page[MetrcItem]: ...
    def available_tags(
        self,
        licence: str,
        tag_type: Literal["plant", "package"],
        *,
        window: Window | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Page[Tag]: ...
    def names(self, licence: str, path: str) -> list[str]: ...
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
    ) -> Page[A]: ...


class HttpMetrcClient(HttpSession):
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

    # -- writes ----------------------------------------------------------------------------

    def create_plantings(self, licence: str, rows: list[PlantBatchPlanting]) -> WriteResult:
        return self._write("POST", "/plantbatches/v2/plantings", licence, rows)

    def change_batch_growth_phase(
        self, licence: str, rows: list[PlantBatchGrowthPhase]
    ) -> WriteResult:
        return self._write("POST", "/plantbatches/v2/growthphase", licence, rows)

    def destroy_batch_plants(self, licence: str, rows: list[PlantBatchDestroy]) -> WriteResult:
        return self._write("DELETE", "/plantbatches/v2", licence, rows)

    def change_growth_phase(self, licence: str, rows: list[PlantGrowthPhase]) -> WriteResult:
        return self._write("PUT", "/plants/v2/growthphase", licence, rows)

    def move_plants(self, licence: str, rows: list[PlantLocation]) -> WriteResult:
        return self._write("PUT", "/plants/v2/location", licence, rows)

    def harvest_plants(self, licence: str, rows: list[PlantHarvest]) -> WriteResult:
        return self._write("PUT", "/plants/v2/harvest", licence, rows)

    def destroy_plants(self, licence: str, rows: list[PlantDestroy]) -> WriteResult:
        return self._write("DELETE", "/plants/v2", licence, rows)

    def record_plant_waste(self, licence: str, rows: list[PlantWaste]) -> WriteResult:
        return self._write("POST", "/plants/v2/waste", licence, rows)

    def record_harvest_waste(self, licence: str, rows: list[HarvestWaste]) -> WriteResult:
        return self._write("POST", "/harvests/v2/waste", licence, rows)

    def finish_harvests(self, licence: str, rows: list[HarvestFinish]) -> WriteResult:
        return self._write("PUT", "/harvests/v2/finish", licence, rows)

    def create_packages(self, licence: str, rows: list[HarvestPackage]) -> WriteResult:
        return self._write("POST", "/harvests/v2/packages", licence, rows)

    def create_transfers(self, licence: str, rows: list[OutgoingTransfer]) -> WriteResult:
        return self._write("POST", "/transfers/v2/templates/outgoing", licence, rows)

    def create_receipts(self, licence: str, rows: list[SalesReceipt]) -> WriteResult:
        return self._write("POST", "/sales/v2/receipts", licence, rows)

    def create_locations(self, licence: str, rows: list[LocationCreate]) -> WriteResult:
        return self._write("POST", "/locations/v2", licence, rows)

    def create_items(self, licence: str, rows: list[ItemCreate]) -> WriteResult:
        return self._write("POST", "/items/v2", licence, rows)

    # -- reads -----------------------------------------------------------------------------

    def plant(self, licence: str, label: str) -> Plant | None:
        return self._lookup(f"/plants/v2/{label}", licence, Plant)

    def plant_batch(self, licence: str, batch_id: int) -> PlantBatch | None:
        return self._lookup(f"/plantbatches/v2/{batch_id}", licence, PlantBatch)

    def harvest(self, licence: str, harvest_id: int) -> Harvest | None:
        return self._lookup(f"/harvests/v2/{harvest_id}", licence, Harvest)

    def package(self, licence: str, label: str) -> Package | None:
        return self._lookup(f"/packages/v2/{label}", licence, Package)

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
            licence, PLANT_LISTS[which], Plant, window=window, page=page, page_size=page_size
        )

    def plant_batches(
        self,
        licence: str,
        *,
        active: bool = True,
        window: Window | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Page[PlantBatch]:
        return self.page(
            licence,
            _state("/plantbatches/v2", active),
            PlantBatch,
            window=window,
            page=page,
            page_size=page_size,
        )

    def harvests(
        self,
        licence: str,
        *,
        active: bool = True,
        window: Window | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Page[Harvest]:
        return self.page(
            licence,
            _state("/harvests/v2", active),
            Harvest,
            window=window,
            page=page,
            page_size=page_size,
        )

    def packages(
        self,
        licence: str,
        *,
        active: bool = True,
        window: Window | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Page[Package]:
        return self.page(
            licence,
            _state("/packages/v2", active),
            Package,
            window=window,
            page=page,
            page_size=page_size,
        )

    def receipts(
        self, licence: str, *, window: Window | None = None, page: int = 1, page_size: int = 20
    ) -> Page[SalesReceiptRecord]:
        return self.page(
            licence,
            "/sales/v2/receipts/active",
            SalesReceiptRecord,
            window=window,
            page=page,
            page_size=page_size,
        )

    def outgoing_transfers(
        self, licence: str, *, window: Window | None = None, page: int = 1, page_size: int = 20
    ) -> Page[Transfer]:
        return self.page(
            licence,
            "/transfers/v2/templates/outgoing",
            Transfer,
            window=window,
            page=page,
            page_size=page_size,
        )

    def incoming_transfers(
        self, licence: str, *, window: Window | None = None, page: int = 1, page_size: int = 20
    ) -> Page[Transfer]:
        return self.page(
            licence,
            "/transfers/v2/incoming",
            Transfer,
            window=window,
            page=page,
            page_size=page_size,
        )

    def plant_waste(
        self, licence: str, *, window: Window | None = None, page: int = 1, page_size: int = 20
    ) -> Page[PlantWasteRecord]:
        return self.page(
            licence,
            "/plants/v2/waste",
            PlantWasteRecord,
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
        return self.page(
            licence,
            "/harvests/v2/waste",
            HarvestWasteRecord,
            window=window,
            page=page,
            page_size=page_size,
            params={"harvestId": str(harvest_id)},
        )

    def locations(
        self, licence: str, *, window: Window | None = None, page: int = 1, page_size: int = 20
    ) -> Page[MetrcLocation]:
        return self.page(
            licence,
            "/locations/v2/active",
            MetrcLocation,
            window=window,
            page=page,
            page_size=page_size,
        )

    def items(
        self, licence: str, *, window: Window | None = None, page: int = 1, page_size: int = 20
    ) -> Page[MetrcItem]:
        return self.page(
            licence, "/items/v2/active", MetrcItem, window=window, page=page, page_size=page_size
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
        return self.page(
            licence,
            f"/tags/v2/{tag_type}/available",
            Tag,
            window=window,
            page=page,
            page_size=page_size,
        )

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
        query = dict(params or {}) | {"pageNumber": str(page), "pageSize": str(page_size)}
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
        response = send(
            self._http,
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
        response = send(
            self._http, call, "GET", path, write=False, params={"licenseNumber": licence} | query
        )
        _raise_for_refusal(call, response)
        try:
            return response.json()
        except ValueError as err:
            raise StateUnavailable(call, f"an answer that is not JSON: {err}") from err

    def _lookup(self, path: str, licence: str, model: type[A]) -> A | None:
        call = f"GET {path}"
        response = send(
            self._http, call, "GET", path, write=False, params={"licenseNumber": licence}
        )
        if response.status_code == 404:
            return None
        _raise_for_refusal(call, response)
        try:
            return model.model_validate(response.json())
        except (ValueError, ValidationError) as err:
            raise StateUnavailable(call, f"an answer we cannot read: {err}") from err


def _state(prefix: str, active: bool) -> str:
    return f"{prefix}/{'active' if active else 'inactive'}"


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


def _conforms(client: HttpMetrcClient) -> MetrcApi:
    """mypy checks here that the HTTP client satisfies the Protocol."""
    return client
