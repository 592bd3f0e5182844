"""The BioTrack client: :class:`BioTrackApi` (the calls the connector codes against: each
action with its fields, the session, the reading of the answer) and :class:`HttpBioTrackClient`
(the transport: httpx, JSON-RPC at one URL, as one person logged on to one licence).

Every call is ``{"API": "4.0", "action": ..., "sessionid": ...}`` plus its fields. A call
made without a session logs on first with the person's credentials. An expired session raises
:class:`SessionExpired` (errorcode 3: nothing was done) and is forgotten, so the next call logs
on afresh: resending is the caller's decision, never silent, so a connector records every
expiry.

**Exactly once**: give every write a ``nonce`` (stored by the caller *before* sending). After
:class:`OutcomeUnknown`, :meth:`nonce_replay` says what became of it: the stored answer (the
write happened, or was refused) or None (it never arrived: send it again, same nonce).

A refusal (``success: 0``) is :class:`StateRefused` with BioTrack's ``error`` text and its
``errorcode``; a refused log-on is :class:`NotAuthorised`. Answers keep every field they came
with, and ``raw`` is the body as text (SECONDARY-SYNC: preserve the original data).
"""

from abc import ABC, abstractmethod
from decimal import Decimal
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from server.statesync.errors import (
    NotAuthorised,
    OutcomeUnknown,
    SessionExpired,
    StateRefused,
    StateUnavailable,
)
from server.statesync.httpcall import HttpSession, send
from server.statesync.wire import dumps, loads

__all__ = [
    "ActionResult",
    "BioTrackApi",
    "Derivative",
    "HttpBioTrackClient",
    "SyncCheck",
    "WeightNode",
]

PATH = "/serverjson.asp"
ERR_LOGIN, ERR_SESSION, ERR_UNKNOWN_NONCE = 2, 3, 7
BioUnit = Literal["g", "mg", "kg", "oz", "lb"]
SyncKind = Literal["plant", "inventory", "plant_room", "manifest", "sale"]


class WeightNode(BaseModel):
    """One weight of a harvest or cure: 6 flower (required), 9 other material, 27 waste."""

    model_config = ConfigDict(frozen=True)

    amount: Decimal
    invtype: Literal[6, 9, 27]
    uom: BioUnit


class Derivative(BaseModel):
    model_config = ConfigDict(extra="allow")

    barcode_id: str
    barcode_type: int


class ActionResult(BaseModel):
    """A write's answer: its transaction id, the ids it made, and the body as text."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    transaction_id: int = Field(alias="transactionid")
    session_time: int = Field(alias="sessiontime")
    barcode_ids: list[str] = Field(default=[], alias="barcode_id")
    derivatives: list[Derivative] = []
    room_id: int | None = Field(default=None, alias="id")
    manifest_id: str | None = None
    sale_id: str | None = None
    raw: str = ""

    @field_validator("barcode_ids", mode="before")
    @classmethod
    def _listed(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class InventoryTake(BaseModel):
    """``grams`` taken from inventory item ``barcodeid``."""

    model_config = ConfigDict(frozen=True)

    barcodeid: str
    grams: Decimal


class ManifestStop(BaseModel):
    model_config = ConfigDict(frozen=True)

    approximate_departure: str  # ISO 8601
    approximate_arrival: str
    approximate_route: str


class SaleLine(BaseModel):
    """One item sold: ``quantity`` in ``uom``, or a count of units when ``uom`` is None."""

    model_config = ConfigDict(frozen=True)

    barcodeid: str
    quantity: int | Decimal  # a whole count of units when uom is None
    uom: BioUnit | None
    price: Decimal


class SyncCheck(BaseModel):
    model_config = ConfigDict(extra="allow")

    transactionid: int
    summary: dict[str, int]


class BioTrackApi(ABC):
    """The BioTrack calls seedtrace makes, as the person ``username`` of ``licence``: each
    one BioTrack action and its fields, the session it needs, and the reading of its answer.
    A subclass carries the request (:meth:`_send`; :class:`HttpBioTrackClient`: HTTP)."""

    def __init__(self, licence: str, username: str, password: str) -> None:
        self.licence = licence
        self._username = username
        self._password = password
        self._session: str | None = None

    @abstractmethod
    def _send(self, action: str, body: bytes, *, write: bool) -> httpx.Response:
        """The answer to one request body; raises :mod:`server.statesync.httpcall`'s errors."""

    def login(self) -> str:
        """Log on afresh; the new ``sessionid`` is used from now on and returned."""
        answer, _ = self._call(
            "login",
            {
                "license_number": self.licence,
                "username": self._username,
                "password": self._password,
            },
            write=False,
            session=False,
        )
        self._session = str(answer["sessionid"])
        return self._session

    # -- plant actions ---------------------------------------------------------------------

    def add_room(self, name: str, *, nonce: str | None = None) -> ActionResult:
        return self._write("plant_room_add", {"name": name, "location": self.licence}, nonce)

    def new_plants(
        self,
        quantity: int,
        strain: str,
        room: int,
        *,
        source: str | None = None,
        mother: bool = False,
        nonce: str | None = None,
        training: bool = False,
    ) -> ActionResult:
        fields = {
            "location": self.licence,
            "quantity": quantity,
            "strain": strain,
            "room": room,
            "source": source,
            "mother": int(mother),
        }
        return self._write("plant_new", fields, nonce, training=training)

    def move_plants(self, ids: list[str], room: int, *, nonce: str | None = None) -> ActionResult:
        return self._write("plant_move", {"barcodeid": ids, "room": room}, nonce)

    def modify_plant(
        self,
        plant_id: str,
        *,
        strain: str | None = None,
        room: int | None = None,
        mother: bool | None = None,
        nonce: str | None = None,
    ) -> ActionResult:
        fields = {
            "barcodeid": plant_id,
            "strain": strain,
            "room": room,
            "mother": None if mother is None else int(mother),
        }
        return self._write("plant_modify", fields, nonce)

    def harvest_plant(
        self,
        plant_id: str,
        weights: list[WeightNode],
        *,
        collect_additional: bool = False,
        new_room: int | None = None,
        nonce: str | None = None,
    ) -> ActionResult:
        fields = {
            "barcodeid": plant_id,
            "weights": [w.model_dump() for w in weights],
            "collectadditional": int(collect_additional),
            "new_room": new_room,
        }
        return self._write("plant_harvest", fields, nonce)

    def cure_plant(
        self,
        plant_id: str,
        weights: list[WeightNode],
        room: int | None = None,
        *,
        nonce: str | None = None,
    ) -> ActionResult:
        fields = {
            "barcodeid": plant_id,
            "weights": [w.model_dump() for w in weights],
            "room": room,
            "location": self.licence,
        }
        return self._write("plant_cure", fields, nonce)

    def convert_inventory(
        self,
        sources: list[InventoryTake],
        product: str,
        grams: Decimal,
        *,
        units: int | None = None,
        derivative_type: int = 28,
        nonce: str | None = None,
    ) -> ActionResult:
        """One new item (a package: type 28) of ``grams`` from what ``sources`` give."""
        fields = {
            "data": [
                {"barcodeid": t.barcodeid, "remove_quantity": t.grams, "remove_quantity_uom": "g"}
                for t in sources
            ],
            "derivative_type": derivative_type,
            "derivative_quantity": grams,
            "derivative_quantity_uom": "g",
            "derivative_units": units,
            "derivative_product": product,
        }
        return self._write("inventory_convert", fields, nonce)

    def manifest(
        self, recipient: str, stop: ManifestStop, ids: list[str], *, nonce: str | None = None
    ) -> ActionResult:
        """A manifest of items ``ids`` to licence ``recipient`` (one stop)."""
        fields = {
            "stop_overview": [{"stop_number": 1, "vendor_license": recipient} | stop.model_dump()],
            "data": [{"barcodeid": i, "stop_number": 1} for i in ids],
        }
        return self._write("inventory_manifest", fields, nonce)

    def dispense(
        self,
        lines: list[SaleLine],
        sale_time: int,
        *,
        external_id: str | None = None,
        nonce: str | None = None,
    ) -> ActionResult:
        """A sale from items: each line's quantity in ``uom``, or a count when it has none."""
        fields = {
            "data": [line.model_dump() for line in lines],
            "sale_time": sale_time,
            "external_id": external_id,
        }
        return self._write("sale_dispense", fields, nonce)

    def weigh_waste(
        self, weight: Decimal, uom: BioUnit, *, nonce: str | None = None
    ) -> ActionResult:
        fields = {"weight": weight, "uom": uom, "location": self.licence}
        return self._write("plant_waste_weigh", fields, nonce)

    def schedule_destroy(
        self,
        ids: list[str],
        reason: str,
        *,
        reason_extended: str | None = None,
        override: bool = False,
        nonce: str | None = None,
    ) -> ActionResult:
        fields = {
            "barcodeid": ids,
            "reason": reason,
            "reason_extended": reason_extended,
            "override": int(override),
        }
        return self._write("plant_destroy_schedule", fields, nonce)

    def destroy_plants(self, ids: list[str], *, nonce: str | None = None) -> ActionResult:
        return self._write("plant_destroy", {"barcodeid": ids}, nonce)

    # -- reads -----------------------------------------------------------------------------

    def nonce_replay(self, nonce: str) -> dict[str, Any] | None:
        """The stored answer of the call sent with ``nonce`` (success or refusal, unmodified),
        or None if BioTrack never received such a call."""
        answer, _ = self._call("nonce_replay", {"nonce": nonce}, write=False, stored=True)
        if answer.get("success") == 0 and answer.get("errorcode") == ERR_UNKNOWN_NONCE:
            return None
        return answer

    def sync_check(self) -> SyncCheck:
        return SyncCheck.model_validate(self._call("sync_check", {}, write=False)[0])

    def sync(self, kind: SyncKind, start: int, end: int | None = None) -> list[dict[str, Any]]:
        """Objects of ``kind`` changed by transactions ``start`` (to ``end``) of the licence."""
        fields = {"transaction_start": start, "transaction_end": end}
        found = self._call(f"sync_{kind}", fields, write=False)[0].get(kind)
        if not isinstance(found, list):
            raise StateUnavailable(f"sync_{kind}", f"the answer has no {kind} list")
        return found

    # -- plumbing --------------------------------------------------------------------------

    def _write(
        self, action: str, fields: dict[str, Any], nonce: str | None, *, training: bool = False
    ) -> ActionResult:
        envelope = dict(fields)
        if nonce is not None:
            envelope["nonce"] = nonce
        if training:
            envelope["training"] = 1
        answer, raw = self._call(action, envelope, write=True)
        try:
            return ActionResult.model_validate(answer | {"raw": raw})
        except ValidationError as err:
            # Kept (success: 1) but unreadable: the nonce tells what it was.
            raise OutcomeUnknown(action, f"kept, but the answer is unreadable: {err}") from err

    def _call(
        self,
        action: str,
        fields: dict[str, Any],
        *,
        write: bool,
        session: bool = True,
        stored: bool = False,
    ) -> tuple[dict[str, Any], str]:
        """The ``success: 1`` answer of ``action`` and its body as text; raises otherwise.

        ``stored``: the answer is a stored one (``nonce_replay``), returned as it is whether
        it reports a success or a refusal; only a session error still raises."""
        if session and self._session is None:
            self.login()
        envelope = {"API": "4.0", "action": action}
        if session:
            envelope["sessionid"] = str(self._session)
        body = dumps(envelope | {k: v for k, v in fields.items() if v is not None})
        response = self._send(action, body, write=write)
        try:
            answer = loads(response.content)
        except ValueError as err:
            if write:
                raise OutcomeUnknown(action, f"an answer that is not JSON: {err}") from err
            raise StateUnavailable(action, f"an answer that is not JSON: {err}") from err
        if response.status_code != 200 or not isinstance(answer, dict):
            raise StateUnavailable(action, f"HTTP {response.status_code}: {response.text[:200]}")
        code = answer.get("errorcode")
        if answer.get("success") == 1 or (stored and code != ERR_SESSION):
            return answer, response.text
        message = str(answer.get("error", "(no message)"))
        if code == ERR_SESSION:
            self._session = None
            raise SessionExpired(action, message)
        if code == ERR_LOGIN:
            raise NotAuthorised(action, [message], code=code)
        raise StateRefused(action, [message], code=code if isinstance(code, int) else None)


class HttpBioTrackClient(HttpSession, BioTrackApi):
    """:class:`BioTrackApi` over HTTP for ``licence``, as the person ``username``."""

    def __init__(
        self,
        base_url: str,
        licence: str,
        username: str,
        password: str,
        *,
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(licence, username, password)
        self._http = httpx.Client(base_url=base_url, timeout=timeout_s, transport=transport)

    def _send(self, action: str, body: bytes, *, write: bool) -> httpx.Response:
        return send(
            self._http,
            action,
            "POST",
            PATH,
            write=write,
            content=body,
            headers={"Content-Type": "application/json"},
        )
