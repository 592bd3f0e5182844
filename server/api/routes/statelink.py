"""The licensee's link to its state system (Metrc, BioTrack): its health, and the state calls
made for an event (docs/sync.md).

Read-only, for anyone who may read the licensee. Credentials are never part of an answer: they
live encrypted in their own table, which nothing here reads. The raw state answers are given
as the state sent them (SECONDARY-SYNC: preserve the original data).
"""

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter
from pydantic import BaseModel

from server.accounts.deps import ReadScope
from server.api.deps import EngineDep
from server.api.listing import one
from server.api.params import EventIdPath
from server.db.core import table_of
from server.db.tables import EventLog
from server.reads import statecalls
from server.statesync.manage import status

LOG = table_of(EventLog)

router = APIRouter(tags=["state link"])


class Refusal(BaseModel):
    call_id: int
    event_id: str
    action: str
    message: str | None


class Outage(BaseModel):
    lost_at: datetime
    restored_at: datetime | None
    cause: str


class StateLink(BaseModel):
    linked: bool  # False: no state system is configured for the licensee yet
    system: str | None
    base_url: str | None
    access: str  # up | lost | not linked
    last_success_at: datetime | None
    queue_depth: int
    oldest_unsent: datetime | None
    refusals: list[Refusal]
    outages: list[Outage]


NOT_LINKED = StateLink(
    linked=False,
    system=None,
    base_url=None,
    access="not linked",
    last_success_at=None,
    queue_depth=0,
    oldest_unsent=None,
    refusals=[],
    outages=[],
)


class StateCall(BaseModel):
    id: int
    call_index: int
    system: str
    action: str
    status: str
    attempts: int
    state_ids: list[str] | None
    response: str | None
    message: str | None
    created_at: datetime
    first_sent_at: datetime | None
    done_at: datetime | None


@router.get("/licensees/{licence}/state-link")
def get_state_link(scope: ReadScope, engine: EngineDep) -> StateLink:
    """The state link's health: access, last success, queue, refusals, outages (``linked``
    false, and nothing else, for a licensee whose state link is not configured yet)."""
    try:
        s = status(engine, scope.licence)
    except LookupError:
        return NOT_LINKED  # the licensee exists; it has no link yet: that is an answer
    # the status's fields by name; those the answer does not show (the lease) are left out
    return StateLink.model_validate(
        {
            **asdict(s),
            "linked": True,
            "refusals": [
                Refusal(call_id=c, event_id=e, action=a, message=m) for c, e, a, m in s.refused
            ],
            "outages": [Outage(lost_at=lo, restored_at=re, cause=c) for lo, re, c in s.outages],
        }
    )


@router.get("/licensees/{licence}/events/{event_id}/state-calls")
def list_state_calls(scope: ReadScope, engine: EngineDep, event_id: EventIdPath) -> list[StateCall]:
    """The state calls made for one event, in order, with the state's ids and raw answers;
    404 for an event that is not in this licensee's log (another licensee's, say)."""
    known = sa.select(LOG.c.position).where(
        LOG.c.licence == scope.licence, LOG.c.event_id == event_id
    )
    with engine.connect() as conn:
        one(conn, known, f"event {event_id}")
        return [_call(r) for r in statecalls.event_calls(conn, scope.licence, event_id)]


def _call(r: sa.RowMapping) -> StateCall:
    values: dict[str, Any] = {k: r[k] for k in StateCall.model_fields if k != "state_ids"}
    ids = r["state_ids"]
    return StateCall(**values, state_ids=None if ids is None else json.loads(ids))
