"""Metrc multi-row batches: which calls go together, how one answer or refusal is shared out
among them (docs/sync.md, Batches).

Metrc takes a JSON array of rows in every write and keeps all of them or none. So the
connector sends consecutive calls of one action (:data:`~server.statesync.metrc_calls.BATCHED`:
a harvest day's ``plant.harvested``, phase changes, moves, destructions of tagged plants) as
one request, in the order they would have gone one by one (:func:`gather`). A batch holds:

- calls that would go next, in order, with nothing else between (:func:`queue.runnable`: the
  same order, and the same holding-up behind a refusal, as one by one);
- of one action, made by one person (each call is made with its operator's key), each
  ``pending``, none marked to go alone;
- each plant once (every row's read-back then sees that row's effect alone), and at most
  ``metrc_batch_rows`` rows.

Each call keeps its own request (its rows) and status; ``readback`` holds ``{"batch": ID}``,
the id of the batch's first call, so that after a lost answer every member is read back, row
by row, before the ones not found are sent again together (the connector's
``_recheck_batch``). The answer's ``Ids`` (one per row) are shared out in row order
(:func:`share_ids`); each call stores the whole answer unmodified. A refusal names its rows
(Metrc's ``{"row": n, "message"}``): those calls are refused with their messages, the others
were not kept and go again (:func:`at_fault`). A refusal that names no row, of a batch of
several, is split: each call is marked to go alone (``{"alone": true}``), so the state's next
refusal names the one at fault.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from server.statesync.calls import Unresolvable
from server.statesync.metrc_calls import ACTIONS, BATCHED
from server.statesync.queue import CallRow, Objects, runnable

__all__ = ["Member", "alone", "at_fault", "batch_of", "gather", "rows_of", "share_ids"]

Member = tuple[CallRow, dict[str, Any]]  # a call and its request


def alone(call: CallRow) -> bool:
    """Whether ``call`` must go alone (a batch refused without naming a row split it)."""
    return bool((call.readback or {}).get("alone"))


def batch_of(call: CallRow) -> int | None:
    """The batch ``call`` was last sent in (its first call's id), or None."""
    found = (call.readback or {}).get("batch")
    return found if isinstance(found, int) else None


def rows_of(action: str, request: dict[str, Any]) -> list[dict[str, Any]]:
    return BATCHED[action].rows(request)


def gather(
    conn: Connection, objects: Objects, head: Member, now: datetime, max_rows: int
) -> list[Member]:
    """``head`` and the calls that go with it in one request (the module's rules), each with
    its request (resolved now if it has none yet; a call that cannot be resolved ends the
    batch: alone, it is refused with the reason)."""
    call, request = head
    spec = BATCHED[call.action]
    rows = spec.rows(request)
    plants = {row[spec.plant] for row in rows}
    count = len(rows)
    members = [head]
    following = runnable(conn, call.licence, now, limit=max_rows + 1)
    first = next(following, None)
    if first is None or first.id != call.id:
        return members  # not the next call after all (a refusal came meanwhile)
    for other in following:
        if (
            other.status != "pending"
            or other.action != call.action
            or other.system != call.system
            or other.operator_id != call.operator_id
            or alone(other)
        ):
            break
        try:
            req = other.request or ACTIONS[other.action].request(objects, other)
        except Unresolvable:
            break
        mine = spec.rows(req)
        labels = {row[spec.plant] for row in mine}
        if count + len(mine) > max_rows or labels & plants or len(labels) < len(mine):
            break
        members.append((other, req))
        plants |= labels
        count += len(mine)
    return members


def share_ids(members: Sequence[Member], ids: Sequence[Any]) -> list[list[str]] | None:
    """Each member's ``Ids``, in row order; None when the answer has not one per row."""
    shared: list[list[str]] = []
    at = 0
    for call, request in members:
        n = len(rows_of(call.action, request))
        shared.append([str(i) for i in ids[at : at + n]])
        at += n
    return shared if at == len(ids) else None


def at_fault(
    members: Sequence[Member], rows: Sequence[int | None], messages: Sequence[str]
) -> dict[int, list[str]] | None:
    """Which members a refusal names, by their index in ``members``, with their messages
    (a message naming no row goes to every named member); None when it names none that is
    in the request (then the batch is split)."""
    owner: list[int] = []
    for index, (call, request) in enumerate(members):
        owner += [index] * len(rows_of(call.action, request))
    named: dict[int, list[str]] = {}
    general: list[str] = []
    for row, text in zip(rows or [None] * len(messages), messages, strict=True):
        if row is not None and 0 <= row < len(owner):
            named.setdefault(owner[row], []).append(text)
        else:
            general.append(text)
    if not named:
        return None
    return {index: texts + general for index, texts in named.items()}
