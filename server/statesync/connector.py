"""The connector (``seedtrace sync run``): files every accepted event of each linked licensee
into its state system, exactly once, in order (docs/sync.md).

One :meth:`Connector.run_once` pass: for each licensee linked to a state system
(``sync_links``) whose lease this process holds or can take, work its queue a few calls
(``burst``): plan the next events into calls when none is open (:func:`queue.plan_next`),
else take the next call (:func:`queue.next_call`) and

- ``pending``: resolve its request (references to the state's ids), store it with the nonce
  (BioTrack) or the read-back key and any count read first (Metrc) and mark it ``sent``, in
  one transaction **before** the request leaves; then send it;
- ``sent`` or ``unknown`` (an answer lost, or a process killed mid-call): first learn whether
  it took effect, BioTrack by ``nonce_replay``, Metrc by its read-back; resend (same body,
  same nonce) only if it did not.

A pending Metrc call of a batched action (:data:`metrc_calls.BATCHED`) takes the calls that
would follow it one by one into the same multi-row request (:mod:`server.statesync.batches`):
marked ``sent`` together, its answer's ids shared out, its refusal laid at the rows it names,
and after a lost answer every call of it read back before the rest go again together.

An answer is stored unmodified with the state's ids, and what the state calls our objects is
learnt, in one transaction (:meth:`_done`). A refusal holds up the later calls about the
refused event's objects (:mod:`server.statesync.depends`) and opens a compliance notification
(:mod:`server.statesync.notices`); 429 waits its Retry-After; an unreachable state is retried
with back-off and, after ``lost_after_s``, recorded as a loss of access, closed when a call
next succeeds. Every transaction first renews this process's lease
(:func:`queue.hold`), so a process that lost it changes nothing.

Time is the injected clock; a broad ``except`` only at the top of the loop, logged.
"""

import json
import logging
import threading
from collections import deque
from dataclasses import replace
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.clock import Clock
from server.statesync import biotrack_calls, metrc_calls
from server.statesync.access import AccessWatch
from server.statesync.batches import Member, alone, at_fault, batch_of, gather, rows_of, share_ids
from server.statesync.biotrack_client import ActionResult
from server.statesync.calls import Answer, Unresolvable
from server.statesync.clients import ClientPool
from server.statesync.credentials import CredentialError
from server.statesync.daily import DailyReconcile
from server.statesync.errors import (
    NotAuthorised,
    OutcomeUnknown,
    RateLimited,
    SessionExpired,
    StateRefused,
    StateSyncError,
    StateUnavailable,
)
from server.statesync.metrc_calls import BATCHED
from server.statesync.notices import (
    open_refusal,
    resolve_backfills,
)
from server.statesync.queue import (
    LINKS,
    LOG,
    CallRow,
    LeaseLost,
    LinkRow,
    Objects,
    acquire,
    get_link,
    hold,
    links,
    next_call,
    open_calls,
    plan_next,
    release,
    runnable,
    start_waits,
    update_call,
)
from server.statesync.settings import SyncSettings

__all__ = ["Connector"]

log = logging.getLogger(__name__)
Step = Literal["idle", "progress", "wait"]
# A send that failed without the state refusing it: the answer lost, or nothing done.
UNKEPT = (OutcomeUnknown, NotAuthorised, RateLimited, StateUnavailable, SessionExpired)


class _Refusal(Exception):
    """The state refused the write itself (its answer to the send, or the answer stored under
    the nonce): nothing was done."""

    def __init__(self, text: str, raw: str | None = None) -> None:
        super().__init__(text)
        self.text, self.raw = text, raw


class Connector:
    def __init__(
        self, engine: Engine, *, clock: Clock, settings: SyncSettings, clients: ClientPool
    ) -> None:
        self.engine, self.clock, self.settings, self.clients = engine, clock, settings, clients
        self.owner = settings.worker_id
        self.access = AccessWatch(engine, clock, settings)
        self.daily = DailyReconcile(engine, clock, settings, clients)
        self._auth_retried: set[int] = set()
        self._held: set[str] = set()
        self._recent: dict[str, deque[datetime]] = {}  # when each recent step began

    def close(self) -> None:
        """Close the state clients (a process that stops also gives its leases back)."""
        self.clients.close()

    def __enter__(self) -> "Connector":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the loop ----------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Work until ``stop`` is set; then give the leases back."""
        try:
            while not stop.is_set():
                try:
                    worked = self.run_once()
                except Exception:  # the loop must outlive one bad pass; logged in full
                    log.exception("sync pass failed; trying again")
                    worked = 0
                if worked == 0:
                    stop.wait(self.settings.poll_s)
        finally:
            for licence in list(self._held):
                release(self.engine, licence, self.owner)
            self.clients.close()

    def run_once(self) -> int:
        """One pass over every linked licensee; returns how many steps made progress."""
        with self.engine.connect() as conn:
            linked = links(conn)
        worked = 0
        took_new = False
        for link in linked:
            now = self.clock.now()
            if not self.access.due(link.licence, now):
                continue
            # At most one more licensee per pass: the others are left a pass to take some,
            # so several processes share the licensees instead of the first taking them all.
            if link.licence not in self._held and took_new:
                continue
            if not acquire(self.engine, link.licence, self.owner, now, self.settings.lease_s):
                self._held.discard(link.licence)
                continue
            took_new = took_new or link.licence not in self._held
            self._held.add(link.licence)
            try:
                for _ in range(self.settings.burst):
                    if not self._paced(link.licence):
                        break
                    if self.step(link.licence) != "progress":
                        break
                    worked += 1
                if self.daily.maybe_run(link) is not None:
                    worked += 1
            except LeaseLost as err:
                log.warning("%s", err)
                self._held.discard(link.licence)
        return worked

    def _paced(self, licence: str) -> bool:
        """Whether ``licence`` may take another step within ``calls_per_s``; if not, it waits
        until the oldest step of the last second is a second old."""
        now = self.clock.now()
        recent = self._recent.setdefault(licence, deque())
        while recent and (now - recent[0]).total_seconds() >= 1.0:
            recent.popleft()
        if len(recent) >= self.settings.calls_per_s:
            self.access.wait(licence, 1.0 - (now - recent[0]).total_seconds())
            return False
        recent.append(now)
        return True

    def step(self, licence: str) -> Step:
        """Plan or work one call of ``licence`` (whose lease this process holds)."""
        now = self.clock.now()
        with self.engine.begin() as conn:
            hold(conn, licence, self.owner, now, self.settings.lease_s)
            link = get_link(conn, licence)
            call = next_call(conn, licence, now)
            if call is None:
                # Nothing to send now: plan the next events (behind a refusal too: the calls
                # about other objects go on).
                if plan_next(conn, link, now) > 0:
                    return "progress"
                if open_calls(conn, licence) == 0:
                    resolve_backfills(conn, licence, now)
                return "idle"
        return self._work(link, call)

    # -- one call ----------------------------------------------------------------------------

    def _work(self, link: LinkRow, call: CallRow) -> Step:
        try:
            if call.status in ("sent", "unknown") and call.request is None:
                self._set(link, call, status="pending")  # marked, never sent: prepare again
                return "progress"
            if call.status in ("sent", "unknown") and batch_of(call) is not None:
                self._recheck_batch(link, call)
                return "progress"
            if call.status in ("sent", "unknown"):
                found = self._verify(link, call)
                self.access.reachable(link)
                if found is not None:
                    self._done(link, call, call.request or {}, found)
                    return "progress"
                self._send(link, call, call.request or {}, call.readback or {}, call.nonce)
                return "progress"
            prepared = self._prepare(link, call)
            if prepared is None:
                return "progress"
            request, nonce = prepared
            if call.system == "metrc" and call.action in BATCHED and not alone(call):
                self._send_batch(link, [(call, request)], gather_more=True)
                return "progress"
            readback = self._pre_read(link, call, request)
            self._send(link, call, request, readback, nonce)
            return "progress"
        except (Unresolvable, CredentialError) as err:
            self._refuse(link, call, str(err), by_state=False, final=False)
            return "progress"
        except _Refusal as err:
            self._refuse(link, call, err.text, err.raw, final=True)
            return "progress"
        except NotAuthorised as err:
            # Metrc answers one 401 when a key's validation lapses: try once more afresh.
            self.clients.forget(link.licence, call.operator_id)
            if call.id in self._auth_retried:
                self._auth_retried.discard(call.id)
                self._refuse(link, call, "; ".join(err.messages) or str(err), final=False)
            else:
                self._auth_retried.add(call.id)
            return "progress"
        except StateRefused as err:  # a read refused (a send's refusal is a _Refusal)
            self._refuse(link, call, "; ".join(err.messages) or str(err), final=False)
            return "progress"
        except OutcomeUnknown as err:
            # Give a request the state may still be working on time to finish before the
            # read-back asks whether it took effect.
            log.info(
                "call %s of %s: outcome unknown (%s); checking first", call.id, link.licence, err
            )
            self.access.wait(link.licence, self.settings.timeout_s)
            return "wait"
        except SessionExpired:
            return "progress"  # the client logs on afresh with the next call
        except RateLimited as err:
            self.access.reachable(link)
            self.access.wait(link.licence, err.retry_after_s)
            return "wait"
        except StateUnavailable as err:
            self.access.unreachable(link, str(err))
            return "wait"

    def _actions(self, call: CallRow) -> Any:
        table: dict[str, Any] = (
            metrc_calls.ACTIONS if call.system == "metrc" else biotrack_calls.ACTIONS
        )
        if call.action not in table:
            raise Unresolvable(
                f"no {call.system} action {call.action} (planned by a newer version?)"
            )
        return table[call.action]

    def _prepare(self, link: LinkRow, call: CallRow) -> tuple[dict[str, Any], str | None] | None:
        """The request and nonce to send; None when the call needs no sending (done here)."""
        action = self._actions(call)
        now = self.clock.now()
        with self.engine.begin() as conn:
            hold(conn, link.licence, self.owner, now, self.settings.lease_s)
            objects = Objects(conn, link.licence, link.system, now)
            if call.system == "metrc":
                request = call.request or action.request(objects, call)
                known = action.known(objects, request)
            else:
                known = action.known(objects, call)
                request = call.request or ({} if known else action.request(objects, call))
            if known is not None:
                self._store_done(conn, link, call, request, known, now, learn=False)
                return None
            nonce = call.nonce
            if call.system == "biotrack" and nonce is None:
                nonce = f"{call.event_id}:{call.call_index}:{call.attempts}"
            update_call(conn, call.id, request=request, nonce=nonce)
        return request, nonce

    def _pre_read(self, link: LinkRow, call: CallRow, request: dict[str, Any]) -> dict[str, Any]:
        if call.system != "metrc" or call.readback is not None:
            return call.readback or {}
        ctx = self._metrc_ctx(link, call)
        found: dict[str, Any] = metrc_calls.ACTIONS[call.action].prepare(ctx, request)
        return found

    def _metrc_ctx(self, link: LinkRow, call: CallRow) -> metrc_calls.Ctx:
        api = self.clients.metrc(link.base_url, link.licence, call.operator_id)
        return metrc_calls.Ctx(api, link.licence, call, self.clock.now())

    def _send(
        self,
        link: LinkRow,
        call: CallRow,
        request: dict[str, Any],
        readback: dict[str, Any],
        nonce: str | None,
    ) -> None:
        # The client first: missing credentials must fail before the call is marked sent.
        if call.system == "metrc":
            self.clients.metrc(link.base_url, link.licence, call.operator_id)
        else:
            self.clients.biotrack(link.base_url, link.licence, call.operator_id)
        now = self.clock.now()
        with self.engine.begin() as conn:
            hold(conn, link.licence, self.owner, now, self.settings.lease_s)
            update_call(
                conn,
                call.id,
                status="sent",
                request=request,
                readback=readback,
                nonce=nonce,
                attempts=call.attempts + 1,
                first_sent_at=call.first_sent_at or now,
                last_attempt_at=now,
            )
        sent = replace(call, first_sent_at=call.first_sent_at or now)
        try:
            if call.system == "metrc":
                answer = metrc_calls.ACTIONS[call.action].send(self._metrc_ctx(link, sent), request)
            else:
                api = self.clients.biotrack(link.base_url, link.licence, call.operator_id)
                send = biotrack_calls.ACTIONS[call.action].send
                if send is None or nonce is None:
                    raise Unresolvable(f"{call.action} is not a call to BioTrack")
                answer = biotrack_calls.answer_of(send(api, request, nonce))
        except UNKEPT as err:
            self._unkept(link, [call.id], err)
            raise
        except StateRefused as err:
            raise _Refusal("; ".join(err.messages) or str(err)) from err
        self.access.reachable(link)
        self._done(link, sent, request, answer)

    def _send_batch(
        self, link: LinkRow, members: list[Member], *, gather_more: bool = False
    ) -> None:
        """Send ``members`` (calls of one Metrc action, each with its request) as one request,
        with the calls that may go with them if ``gather_more`` (:mod:`server.statesync.batches`).
        Marked ``sent`` together before it leaves; the answer's ids shared out, or the
        refusal's rows laid at the calls they belong to."""
        head = members[0][0]
        api = self.clients.metrc(link.base_url, link.licence, head.operator_id)
        now = self.clock.now()
        with self.engine.begin() as conn:
            hold(conn, link.licence, self.owner, now, self.settings.lease_s)
            if gather_more:
                objects = Objects(conn, link.licence, link.system, now)
                members = gather(conn, objects, members[0], now, self.settings.metrc_batch_rows)
            for c, req in members:
                update_call(
                    conn,
                    c.id,
                    status="sent",
                    request=req,
                    readback={"batch": head.id},
                    attempts=c.attempts + 1,
                    first_sent_at=c.first_sent_at or now,
                    last_attempt_at=now,
                )
        members = [(replace(c, first_sent_at=c.first_sent_at or now), r) for c, r in members]
        ids = [c.id for c, _ in members]
        rows = [row for c, req in members for row in rows_of(c.action, req)]
        try:
            result = BATCHED[head.action].send(api, link.licence, rows)
        except UNKEPT as err:
            self._unkept(link, ids, err)
            raise
        except StateRefused as err:
            self._batch_refused(link, members, err)
            return
        shared = share_ids(members, result.ids)
        if shared is None:  # kept, but which id is whose is unclear: read every row back
            text = f"kept, but {len(result.ids)} ids came back for {len(rows)} rows"
            self._set_all(link, ids, status="unknown", message=text)
            raise OutcomeUnknown(f"{head.action} of {len(rows)} rows", text)
        self.access.reachable(link)
        now = self.clock.now()
        with self.engine.begin() as conn:
            hold(conn, link.licence, self.owner, now, self.settings.lease_s)
            for (c, req), mine in zip(members, shared, strict=True):
                self._store_done(conn, link, c, req, Answer(mine, result.raw), now, learn=True)
        self._auth_retried.difference_update(ids)

    def _batch_refused(self, link: LinkRow, members: list[Member], err: StateRefused) -> None:
        """Metrc refused the request, keeping none of its rows: the calls whose rows it named
        are refused with its messages; the others go again. Naming none, a batch of several is
        split: each call goes alone, so the next refusal names the one at fault."""
        text = "; ".join(err.messages) or str(err)
        named = at_fault(members, err.rows, err.messages)
        if named is None and len(members) == 1:
            named = {0: [text]}
        if named is None:
            log.warning(
                "%s of %s: %d calls refused together without a row named (%s); each goes alone",
                members[0][0].action,
                link.licence,
                len(members),
                text,
            )
            self._set_all(
                link,
                [c.id for c, _ in members],
                status="pending",
                readback={"alone": True},
                message=f"refused in a request of {len(members)} calls, no row named: {text}",
            )
            return
        for index, (c, _req) in enumerate(members):
            if index in named:
                self._refuse(link, c, "; ".join(named[index]), final=True)
            else:
                self._set(link, c, status="pending", message="not kept: another row was refused")

    def _recheck_batch(self, link: LinkRow, call: CallRow) -> None:
        """A batch whose answer we lack: read back every call of it, row by row; the ones that
        took effect are done, the others are sent again together (same rows)."""
        batch = batch_of(call)
        with self.engine.connect() as conn:
            members = [
                c
                for c in runnable(conn, link.licence, self.clock.now())
                if c.status in ("sent", "unknown") and batch_of(c) == batch
            ]
        remaining: list[Member] = []
        for c in members or [call]:
            request = c.request or {}
            found = metrc_calls.ACTIONS[c.action].readback(self._metrc_ctx(link, c), request, {})
            if found is not None:
                self._done(link, c, request, found)
            else:
                remaining.append((c, request))
        self.access.reachable(link)
        if remaining:
            self._send_batch(link, remaining)

    def _verify(self, link: LinkRow, call: CallRow) -> Answer | None:
        """Whether a call whose answer we lack took effect: its answer if so, else None."""
        if call.request is None:
            return None  # never sent: marked sent by a process killed before the request
        if call.system == "metrc":
            ctx = self._metrc_ctx(link, call)
            found: Answer | None = metrc_calls.ACTIONS[call.action].readback(
                ctx, call.request, call.readback or {}
            )
            return found
        if call.nonce is None:
            return None
        api = self.clients.biotrack(link.base_url, link.licence, call.operator_id)
        stored = api.nonce_replay(call.nonce)
        if stored is None:
            return None  # it never arrived: send it again, same nonce
        raw = json.dumps(stored)
        if stored.get("success") != 1:
            raise _Refusal(str(stored.get("error", "(no message)")), raw)
        return biotrack_calls.answer_of(
            ActionResult.model_validate(stored | {"raw": raw}), "nonce_replay"
        )

    # -- outcomes ----------------------------------------------------------------------------

    def _set(self, link: LinkRow, call: CallRow, **values: Any) -> None:
        now = self.clock.now()
        with self.engine.begin() as conn:
            hold(conn, link.licence, self.owner, now, self.settings.lease_s)
            update_call(conn, call.id, **values)

    def _unkept(self, link: LinkRow, ids: list[int], err: StateSyncError) -> None:
        """Calls ``ids`` failed without a refusal (one of :data:`UNKEPT`): unknown if the answer
        was lost, otherwise pending again (nothing was done; refused credentials are named)."""
        if isinstance(err, OutcomeUnknown):
            self._set_all(link, ids, status="unknown", message=str(err))
        elif isinstance(err, NotAuthorised):
            self._set_all(link, ids, status="pending", message="credentials refused")
        else:
            self._set_all(link, ids, status="pending", message=str(err))

    def _set_all(self, link: LinkRow, ids: list[int], **values: Any) -> None:
        now = self.clock.now()
        with self.engine.begin() as conn:
            hold(conn, link.licence, self.owner, now, self.settings.lease_s)
            for call_id in ids:
                update_call(conn, call_id, **values)

    def _done(self, link: LinkRow, call: CallRow, request: dict[str, Any], answer: Answer) -> None:
        now = self.clock.now()
        with self.engine.begin() as conn:
            hold(conn, link.licence, self.owner, now, self.settings.lease_s)
            self._store_done(conn, link, call, request, answer, now, learn=True)
        self._auth_retried.discard(call.id)

    def _store_done(
        self,
        conn: sa.Connection,
        link: LinkRow,
        call: CallRow,
        request: dict[str, Any],
        answer: Answer,
        now: datetime,
        *,
        learn: bool,
    ) -> None:
        objects = Objects(conn, link.licence, link.system, now)
        if learn:  # a call known done without sending learnt what it needed already
            action = self._actions(call)
            if call.system == "metrc":
                action.learn(objects, request, answer)
            else:
                action.learn(objects, call, request, answer)
        update_call(
            conn,
            call.id,
            status="done",
            request=request,
            state_ids=answer.ids,
            response=answer.raw,
            message=f"confirmed by {answer.how}" if answer.how != "answer" else None,
            done_at=now,
        )
        start_waits(conn, call, now)
        conn.execute(
            sa.update(LINKS).where(LINKS.c.licence == link.licence).values(last_success_at=now)
        )

    def _refuse(
        self,
        link: LinkRow,
        call: CallRow,
        text: str,
        raw: str | None = None,
        *,
        final: bool,
        by_state: bool = True,
    ) -> None:
        now = self.clock.now()
        with self.engine.begin() as conn:
            hold(conn, link.licence, self.owner, now, self.settings.lease_s)
            kind = conn.execute(
                sa.select(LOG.c.kind).where(LOG.c.event_id == call.event_id)
            ).scalar_one()
            note = open_refusal(conn, call, kind, text, now, by_state=by_state)
            update_call(
                conn,
                call.id,
                status="refused",
                message=text,
                response=raw,
                notification_id=note,
                refusal_final=final,
            )
        log.warning("call %s (%s) of %s refused: %s", call.id, call.action, link.licence, text)
