"""A BioTrack-shaped JSON-RPC simulator (``seedtrace sim biotrack``), written from the public
API's shapes: ours, for tests, the demo and integrators.

One URL (``POST /serverjson.asp``), one JSON object per call::

    {"API": "4.0", "action": "plant_move", "sessionid": "...", "nonce": "...",
     "training": 0, ...the action's fields}

Every answer is HTTP 200 with ``{"success": 1, ...}`` or ``{"success": 0, "error": "...",
"errorcode": n}`` (codes: ``biotrack_actions.ERRORS``); only the fault layer answers otherwise
(429, 500, 503, or no answer at all).

- ``login`` with the licence number, user name and password of one person gives a
  ``sessionid`` that every other action needs (errorcode 3 once it has expired: the
  ``session_ttl_s`` / ``expire_sessions`` fault).
- Plant actions (``biotrack_actions.ACTIONS``) and inventory actions
  (``biotrack_inventory.INVENTORY_ACTIONS``: packages, manifests, sales) each get a
  **transaction id**, numbered per licence, which also marks every object they changed.
- A write that carries a ``nonce`` stores its answer with it, in the same transaction as its
  effect; the same nonce again is refused (errorcode 6) and changes nothing, and
  ``nonce_replay`` returns the stored answer, so a caller whose answer was lost learns what
  happened without doing it twice. A refused write's answer is stored under its nonce too.
- ``training: 1`` checks and answers a write but keeps nothing (nonce included).
- ``sync_check`` gives the latest transaction id and counts; ``sync_plant``,
  ``sync_inventory``, ``sync_plant_room``, ``sync_manifest`` and ``sync_sale`` give the
  objects changed by transactions from ``transaction_start`` (to ``transaction_end``, if
  given).

Admin: ``POST /_sim/users`` ``{"license_number", "username", "password"}``, and the faults.
"""

import hashlib
import secrets
from datetime import datetime
from typing import Any

from schemas.clock import Clock
from server.statesync.biotrack_actions import ACTIONS, Act, ActionError
from server.statesync.biotrack_inventory import INVENTORY_ACTIONS
from server.statesync.faults import FaultState
from server.statesync.simhttp import SimRequest, SimResponse
from server.statesync.simstore import SimStore, parse_stamp, stamp
from server.statesync.wire import loads

__all__ = ["API_VERSION", "PATH", "BioTrackApp"]

PATH = "/serverjson.asp"
API_VERSION = "4.0"
SYNC = {
    "sync_plant": "plant",
    "sync_inventory": "inventory",
    "sync_plant_room": "plant_room",
    "sync_manifest": "manifest",
    "sync_sale": "sale",
}


def _error(code: int, message: str) -> SimResponse:
    return SimResponse(200, {"success": 0, "error": message, "errorcode": code})


def _hash(salt: str, password: str) -> str:
    return hashlib.sha256(f"{salt}:{password}".encode()).hexdigest()


class BioTrackApp:
    """The BioTrack simulator behind :class:`server.statesync.simhttp.SimServer`."""

    def __init__(self, store: SimStore, clock: Clock, faults: FaultState) -> None:
        self.store = store
        self.clock = clock
        self.faults = faults

    def add_user(self, licence: str, username: str, password: str) -> None:
        """A person who may log on for ``licence`` (which exists from its first user on)."""
        if "" in (licence, username, password):
            raise ValueError("licence, user name and password must all be given")
        salt = secrets.token_hex(8)
        with self.store.transaction() as s:
            record = {"salt": salt, "hash": _hash(salt, password)}
            s.put_record("user", f"{licence}:{username}", record)

    def admin(self, request: SimRequest) -> SimResponse | None:
        if (request.method, request.path) != ("POST", "/_sim/users"):
            return None
        try:
            body = loads(request.body or b"{}")
            self.add_user(str(body["license_number"]), str(body["username"]), str(body["password"]))
        except (KeyError, TypeError, ValueError) as err:
            return SimResponse(400, {"Message": f"bad admin request: {err!r}"})
        return SimResponse(200, {"Message": "ok"})

    def handle(self, request: SimRequest) -> SimResponse:
        if (request.method, request.path) != ("POST", PATH):
            return SimResponse(404, {"Message": f"only POST {PATH} is served"})
        try:
            body = loads(request.body)
        except ValueError:
            return _error(1, "the request is not valid JSON")
        if not isinstance(body, dict):
            return _error(1, "the request must be a JSON object")
        if body.get("API") != API_VERSION:
            return _error(9, f"API must be {API_VERSION!r}; got {body.get('API')!r}")
        now = self.clock.now()
        action = body.get("action")
        if action == "login":
            return self._login(body, now)
        licence = self._session_licence(body.get("sessionid"), now)
        if licence is None:
            return _error(3, "the session has expired or is not valid; log in again")
        if action == "nonce_replay":
            return self._replay(licence, body)
        if action == "sync_check":
            return self._sync_check(licence)
        if isinstance(action, str) and action in SYNC:
            return self._sync(licence, SYNC[action], body)
        handler = (ACTIONS | INVENTORY_ACTIONS).get(action) if isinstance(action, str) else None
        if handler is None:
            return _error(8, f"unknown action {action!r}")
        return self._act(licence, body, handler, now)

    def _login(self, body: dict[str, Any], now: datetime) -> SimResponse:
        licence, user = str(body.get("license_number")), str(body.get("username"))
        with self.store.transaction() as s:
            record = s.get_record("user", f"{licence}:{user}")
            password = str(body.get("password"))
            if not isinstance(record, dict) or record["hash"] != _hash(record["salt"], password):
                return _error(2, "invalid licence number, user name or password")
            session = secrets.token_hex(16)
            started = {"started": stamp(now), "generation": self.faults.session_generation()}
            s.put_record("session", session, {"license": licence, "username": user} | started)
        return SimResponse(200, {"success": 1, "sessionid": session, "time": int(now.timestamp())})

    def _session_licence(self, session: object, now: datetime) -> str | None:
        if not isinstance(session, str):
            return None
        with self.store.transaction() as s:
            record = s.get_record("session", session)
        if not isinstance(record, dict):
            return None
        alive = self.faults.session_alive(parse_stamp(record["started"]), record["generation"], now)
        return str(record["license"]) if alive else None

    def _act(self, licence: str, body: dict[str, Any], handler: Any, now: datetime) -> SimResponse:
        nonce = body.get("nonce")
        key = None if nonce is None else f"{licence}:{nonce}"
        training = bool(body.get("training"))
        try:
            with self.store.transaction(commit=not training) as s:
                if key is not None and s.get_record("nonce", key) is not None:
                    raise ActionError(6, f"nonce {nonce} has already been used")
                tx = s.next_value(f"tx:{licence}", 1)
                answer = {"success": 1} | handler(Act(s, licence, tx, now), body)
                answer |= {"transactionid": tx, "sessiontime": int(now.timestamp())}
                if key is not None:
                    s.put_record("nonce", key, answer)
        except ActionError as err:
            refused = _error(err.code, err.message)
            if key is not None and err.code != 6 and not training:
                with self.store.transaction() as s:
                    s.put_record("nonce", key, refused.body)
            return refused
        return SimResponse(200, answer, committed_write=not training)

    def _replay(self, licence: str, body: dict[str, Any]) -> SimResponse:
        nonce = body.get("nonce")
        if nonce is None:
            return _error(1, "nonce is required")
        with self.store.transaction() as s:
            answer = s.get_record("nonce", f"{licence}:{nonce}")
        if answer is None:
            return _error(7, f"nonce {nonce} is unknown: no call with it was received")
        return SimResponse(200, answer)

    def _sync_check(self, licence: str) -> SimResponse:
        with self.store.transaction() as s:
            latest = s.current_value(f"tx:{licence}") or 0
            summary = {kind: s.query(licence, (kind,), limit=0)[1] for kind in SYNC.values()}
        return SimResponse(200, {"success": 1, "transactionid": latest, "summary": summary})

    def _sync(self, licence: str, kind: str, body: dict[str, Any]) -> SimResponse:
        start, end = body.get("transaction_start", 0), body.get("transaction_end")
        for name, value in (("transaction_start", start), ("transaction_end", end)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                return _error(1, f"{name} must be a transaction id; got {value!r}")
        with self.store.transaction() as s:
            found, _ = s.query(licence, (kind,), tx_from=start, tx_to=end)
            latest = s.current_value(f"tx:{licence}") or 0
        return SimResponse(
            200, {"success": 1, kind: [o.data for o in found], "transactionid": latest}
        )
