"""The event log's published checkpoints (NO-FALSIFICATION, RETAIN-7Y; ``docs/integrity.md``).

A regulator overseeing a licensee (and the licensee's own people) reads the daily heads of the
licensee's hash chain, to keep them outside seedtrace: ``seedtrace db verify --checkpoints``
later checks the log against that copy, so a rewrite of the whole chain is found even if the
stored checkpoints were rewritten with it.
"""

from datetime import datetime

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from server.accounts.deps import ReadScope
from server.api.deps import EngineDep
from server.api.listing import CSV_RESPONSE, Page, PagingDep, respond
from server.api.query import columns_of
from server.db.core import table_of
from server.db.integrity import ChainCheckpoint

router = APIRouter(tags=["integrity"])
CP = table_of(ChainCheckpoint)


class CheckpointOut(BaseModel):
    licence: str
    taken_at: datetime
    chain_index: int  # the chain's rows at the time
    row_hash: str  # hex SHA-256 of the head row (docs/integrity.md)
    position: int  # the head row's position in the event log


@router.get(
    "/licensees/{licence}/checkpoints", response_model=Page[CheckpointOut], responses=CSV_RESPONSE
)
def list_checkpoints(
    scope: ReadScope, engine: EngineDep, paging: PagingDep
) -> Page[CheckpointOut] | Response:
    """The licensee's published hash-chain checkpoints, oldest first (one per UTC day)."""
    stmt = (
        sa.select(*columns_of(CP, CheckpointOut))
        .where(CP.c.licence == scope.licence)
        .order_by(CP.c.taken_at, CP.c.id)
    )
    return respond(engine, stmt, paging, CheckpointOut, "checkpoints")
