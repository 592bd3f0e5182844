"""A Metrc-v2-shaped REST simulator (``seedtrace sim metrc``), written from the public API's
shapes: ours, for tests, the demo and integrators; not Metrc's code or text.

What it does as Metrc does:

- **HTTP Basic** with the integrator's vendor key as user name and a person's user key as
  password: 401 otherwise. A user key belongs to one person, with access to some facilities
  and a set of permissions (:data:`server.statesync.metrc_writes.PERMISSIONS`); a write the
  person may not make is answered 403.
- ``?licenseNumber=`` on every call (400 without it; 401 for a facility the key cannot use).
- Writes take a **JSON array** of rows and answer ``{"Ids": [...], "Warnings": null}``; a row
  that breaks a check refuses the whole request with **400 and a JSON array** of
  ``{"row": n, "message": "..."}``. Writes are **not idempotent** (see ``metrc_writes``).
- Lists take ``lastModifiedStart``/``lastModifiedEnd`` (both or neither; at most **24 hours**
  apart) and ``pageNumber``/``pageSize`` (at most **20**), and answer
  ``{"Data": [...], "Total", "PageSize", "Page", "TotalPages", ...}``.
- A **rate limit per facility**, separately for reads and writes (default 50 per second on
  the injected clock): over it, **429 with Retry-After**.

Endpoints: ``WRITES`` in ``metrc_writes`` and ``_LISTS`` / ``_LOOKUPS`` / ``_CONSTANTS`` below;
``docs/sync.md`` lists them. Admin (``/_sim/...``, no auth, loopback only): ``faults`` (see
``faults``), ``facilities``, ``users``, ``tags``.
"""

import base64
import binascii
import math
import threading
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.clock import Clock
from server.statesync.faults import FaultState
from server.statesync.metrc_product import WASTE_TYPES
from server.statesync.metrc_rows import RowCheck, WriteRefused
from server.statesync.metrc_writes import (
    PERMISSIONS,
    WASTE_METHODS,
    WASTE_REASONS,
    WRITES,
    Handler,
)
from server.statesync.simhttp import SimRequest, SimResponse
from server.statesync.simstore import SimObject, SimStore
from server.statesync.wire import loads

__all__ = ["MAX_PAGE_SIZE", "MAX_WINDOW", "MetrcApp"]

MAX_WINDOW = timedelta(hours=24)
MAX_PAGE_SIZE = 20
DENIED = {"Message": "Authorization has been denied for this request."}

# GET path -> (kinds, active filter, field filter)
_LISTS: dict[str, tuple[tuple[str, ...], bool | None, dict[str, str]]] = {
    "/plantbatches/v2/active": (("plantbatch",), True, {}),
    "/plantbatches/v2/inactive": (("plantbatch",), False, {}),
    "/plants/v2/vegetative": (("plant",), True, {"GrowthPhase": "Vegetative"}),
    "/plants/v2/flowering": (("plant",), True, {"GrowthPhase": "Flowering"}),
    "/plants/v2/inactive": (("plant",), False, {}),
    "/plants/v2/waste": (("plantwaste",), None, {}),
    "/harvests/v2/active": (("harvest",), True, {}),
    "/harvests/v2/inactive": (("harvest",), False, {}),
    "/harvests/v2/waste": (("harvestwaste",), None, {}),
    "/packages/v2/active": (("package",), True, {}),
    "/packages/v2/inactive": (("package",), False, {}),
    "/transfers/v2/templates/outgoing": (("transfer",), None, {}),
    "/transfers/v2/incoming": (("incoming",), None, {}),
    "/sales/v2/receipts/active": (("receipt",), True, {}),
    "/locations/v2/active": (("location",), True, {}),
    "/items/v2/active": (("item",), True, {}),
    "/tags/v2/plant/available": (("tag",), True, {"TagTypeName": "Plant"}),
    "/tags/v2/package/available": (("tag",), True, {"TagTypeName": "Package"}),
}
# GET {prefix}{id or label} -> kind
_LOOKUPS = {
    "/plantbatches/v2/": "plantbatch",
    "/plants/v2/": "plant",
    "/harvests/v2/": "harvest",
    "/packages/v2/": "package",
}
_CONSTANTS: dict[str, list[dict[str, Any]]] = {
    "/plants/v2/waste/methods/all": [{"Name": m} for m in WASTE_METHODS],
    "/plants/v2/waste/reasons": [{"Name": r} for r in WASTE_REASONS],
    "/harvests/v2/waste/types": [{"Name": t} for t in WASTE_TYPES],
}


def render(obj: SimObject) -> dict[str, Any]:
    """An object as Metrc answers it: its fields, ``Id`` and ``LastModified``."""
    return obj.data | {"Id": obj.id, "LastModified": obj.modified.isoformat()}


class _RateLimit:
    """At most ``per_second`` requests per (facility, reads|writes) in any second."""

    def __init__(self, per_second: int) -> None:
        self.per_second = per_second
        self._seen: dict[tuple[str, str], deque[datetime]] = {}
        self._lock = threading.Lock()

    def retry_after(self, licence: str, group: str, now: datetime) -> int | None:
        """None if this request may go ahead (and count it); else whole seconds to wait."""
        with self._lock:
            seen = self._seen.setdefault((licence, group), deque())
            while seen and seen[0] <= now - timedelta(seconds=1):
                seen.popleft()
            if len(seen) >= self.per_second:
                wait = (seen[0] + timedelta(seconds=1) - now).total_seconds()
                return max(1, math.ceil(wait))
            seen.append(now)
            return None


class MetrcApp:
    """The Metrc simulator behind :class:`server.statesync.simhttp.SimServer`."""

    def __init__(
        self,
        store: SimStore,
        clock: Clock,
        faults: FaultState,
        *,
        vendor_key: str,
        rate_limit_per_s: int = 50,
    ) -> None:
        if vendor_key == "":
            raise ValueError("the Metrc simulator needs a vendor key")
        self.store = store
        self.clock = clock
        self.faults = faults
        self.vendor_key = vendor_key
        self.rate_limit = _RateLimit(rate_limit_per_s)
        self._key_sessions: dict[str, tuple[datetime, int]] = {}
        self._lock = threading.Lock()

    # -- seeding (the admin endpoints and the CLI call these) ------------------------------

    def add_facility(self, licence: str, name: str) -> None:
        with self.store.transaction() as s:
            s.put_record("facility", licence, {"License": licence, "Name": name})

    def add_user(
        self,
        user_key: str,
        name: str,
        licences: list[str],
        permissions: list[str] | None = None,
    ) -> None:
        """A person's user key; ``permissions`` default to all the simulator knows."""
        granted = list(PERMISSIONS) if permissions is None else permissions
        unknown = sorted(set(granted) - set(PERMISSIONS))
        if unknown:
            raise ValueError(f"unknown permissions {unknown}; known: {list(PERMISSIONS)}")
        with self.store.transaction() as s:
            for licence in licences:
                if s.get_record("facility", licence) is None:
                    raise ValueError(f"facility {licence} does not exist; add it first")
            record = {"Name": name, "Licenses": licences, "Permissions": granted}
            s.put_record("user", user_key, record)

    def add_tags(
        self, licence: str, tag_type: str, labels: list[str], *, skip_existing: bool = False
    ) -> None:
        """Tags issued to ``licence``; a label it has already is an error unless
        ``skip_existing`` (a restarted simulator seeded with the same roll)."""
        if tag_type not in ("Plant", "Package"):
            raise ValueError(f"tag type must be Plant or Package, not {tag_type!r}")
        now = self.clock.now()
        with self.store.transaction() as s:
            if s.get_record("facility", licence) is None:
                raise ValueError(f"facility {licence} does not exist; add it first")
            for label in labels:
                if s.find(licence, "tag", label, active_only=False) is not None:
                    if skip_existing:
                        continue
                    raise ValueError(f"tag {label} already exists at {licence}")
                data = {"Label": label, "TagTypeName": tag_type, "StatusName": "Available"}
                s.insert(licence, "tag", label, data, now)

    def admin(self, request: SimRequest) -> SimResponse | None:
        if request.method != "POST":
            return None
        try:
            body = loads(request.body or b"{}")
            if request.path == "/_sim/facilities":
                self.add_facility(str(body["License"]), str(body["Name"]))
            elif request.path == "/_sim/users":
                self.add_user(
                    str(body["UserKey"]),
                    str(body["Name"]),
                    list(body["Licenses"]),
                    body.get("Permissions"),
                )
            elif request.path == "/_sim/tags":
                self.add_tags(str(body["License"]), str(body["Type"]), list(body["Labels"]))
            else:
                return None
        except (KeyError, TypeError, ValueError) as err:
            return SimResponse(400, {"Message": f"bad admin request: {err!r}"})
        return SimResponse(200, {"Message": "ok"})

    # -- the API ---------------------------------------------------------------------------

    def handle(self, request: SimRequest) -> SimResponse:
        now = self.clock.now()
        user_key = self._authenticate(request)
        if user_key is None:
            return SimResponse(401, DENIED)
        if not self._session_alive(user_key, now):
            return SimResponse(401, DENIED)
        user = self._user(user_key)
        if user is None:
            return SimResponse(401, DENIED)
        licence = request.param("licenseNumber")
        if licence is None or licence == "":
            return _refuse(["licenseNumber is required."])
        if licence not in user["Licenses"]:
            return SimResponse(401, DENIED)
        group = "read" if request.method == "GET" else "write"
        wait = self.rate_limit.retry_after(licence, group, now)
        if wait is not None:
            return SimResponse(
                429, {"Message": "Too many requests for this facility."}, {"Retry-After": str(wait)}
            )
        if request.method == "GET":
            return self._read(request, licence, now)
        write = WRITES.get((request.method, request.path))
        if write is None:
            return SimResponse(404, {"Message": f"No endpoint {request.method} {request.path}."})
        if write.permission not in user["Permissions"]:
            return SimResponse(
                403, {"Message": f"{user['Name']} lacks the permission '{write.permission}'."}
            )
        return self._write(request, licence, now, user["Name"], write.handler)

    def _authenticate(self, request: SimRequest) -> str | None:
        header = request.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            vendor, sep, user_key = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        if sep == "" or vendor != self.vendor_key or user_key == "":
            return None
        return user_key

    def _session_alive(self, user_key: str, now: datetime) -> bool:
        """Metrc has no sessions, but it caches a key's validation; when that lapses (the
        ``session_ttl_s``/``expire_sessions`` fault) one request is answered 401, and the key
        is validated afresh for the next one."""
        with self._lock:
            session = self._key_sessions.get(user_key)
            if session is not None and self.faults.session_alive(*session, now):
                return True
            self._key_sessions[user_key] = (now, self.faults.session_generation())
            return session is None

    def _user(self, user_key: str) -> dict[str, Any] | None:
        with self.store.transaction() as s:
            record = s.get_record("user", user_key)
        return record if isinstance(record, dict) else None

    def _write(
        self, request: SimRequest, licence: str, now: datetime, user: str, handler: Handler
    ) -> SimResponse:
        try:
            rows = loads(request.body)
        except ValueError:
            return _refuse(["The request body is not valid JSON."])
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            return _refuse(["The request body must be a non-empty JSON array of objects."])
        ids: list[int] = []
        try:
            with self.store.transaction() as s:
                check = RowCheck(store=s, licence=licence, now=now, user=user)
                for index, row in enumerate(rows):
                    check.row = index
                    made = handler(check, row)
                    if made is not None:
                        ids.append(made)
                if check.errors:
                    raise WriteRefused(check.errors)
        except WriteRefused as refused:
            return SimResponse(400, [{"row": r, "message": m} for r, m in refused.errors])
        return SimResponse(200, {"Ids": ids, "Warnings": None}, committed_write=True)

    def _read(self, request: SimRequest, licence: str, now: datetime) -> SimResponse:
        path = request.path
        if path in _CONSTANTS:
            return SimResponse(200, _CONSTANTS[path])
        if path in _LISTS:
            return self._list(request, licence, *_LISTS[path])
        for prefix, kind in _LOOKUPS.items():
            ident = path.removeprefix(prefix)
            if path.startswith(prefix) and ident != "" and "/" not in ident:
                with self.store.transaction() as s:
                    found = (
                        s.get(licence, kind, int(ident))
                        if ident.isdigit()
                        else s.find(licence, kind, ident, active_only=False)
                    )
                if found is None:
                    return SimResponse(404, {"Message": f"No {kind} {ident} at {licence}."})
                return SimResponse(200, render(found))
        return SimResponse(404, {"Message": f"No endpoint GET {path}."})

    def _list(
        self,
        request: SimRequest,
        licence: str,
        kinds: tuple[str, ...],
        active: bool | None,
        where: dict[str, str],
    ) -> SimResponse:
        problems: list[str] = []
        start = _instant(request.param("lastModifiedStart"), "lastModifiedStart", problems)
        end = _instant(request.param("lastModifiedEnd"), "lastModifiedEnd", problems)
        if (start is None) != (end is None) and not problems:
            problems.append("Give both lastModifiedStart and lastModifiedEnd, or neither.")
        if start is not None and end is not None:
            if end < start:
                problems.append("lastModifiedEnd is before lastModifiedStart.")
            elif end - start > MAX_WINDOW:
                problems.append("The lastModified date range may not be longer than 24 hours.")
        page = _whole(request.param("pageNumber"), "pageNumber", 1, problems)
        size = _whole(request.param("pageSize"), "pageSize", MAX_PAGE_SIZE, problems)
        if size > MAX_PAGE_SIZE:
            problems.append(f"pageSize may not be more than {MAX_PAGE_SIZE}.")
        harvest_id = request.param("harvestId")
        if harvest_id is not None and not harvest_id.isdigit():
            problems.append(f"harvestId must be a harvest id; got '{harvest_id}'.")
        if problems:
            return _refuse(problems)
        extra = dict(where)
        if harvest_id is not None:
            extra["HarvestId"] = harvest_id
        with self.store.transaction() as s:
            found, total = s.query(
                licence,
                kinds,
                active=active,
                where={k: int(v) if k == "HarvestId" else v for k, v in extra.items()},
                modified_from=start,
                modified_to=end,
                offset=(page - 1) * size,
                limit=size,
            )
        return SimResponse(
            200,
            {
                "Data": [render(o) for o in found],
                "Total": total,
                "TotalRecords": total,
                "PageSize": size,
                "RecordsOnPage": len(found),
                "Page": page,
                "TotalPages": max(1, math.ceil(total / size)),
            },
        )


def _refuse(messages: list[str]) -> SimResponse:
    return SimResponse(400, [{"row": 0, "message": m} for m in messages])


def _instant(text: str | None, name: str, problems: list[str]) -> datetime | None:
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        problems.append(f"{name} '{text}' is not a date and time (ISO 8601).")
        return None
    # Metrc reads a time without an offset as UTC.
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def _whole(text: str | None, name: str, default: int, problems: list[str]) -> int:
    if text is None:
        return default
    if not text.isdigit() or int(text) < 1:
        problems.append(f"{name} must be a whole number of at least 1; got '{text}'.")
        return default
    return int(text)
