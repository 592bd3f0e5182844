"""The event log's published checkpoints (NO-FALSIFICATION, RETAIN-7Y; ``docs/integrity.md``).

A regulator overseeing a licensee (and the licensee's own people) reads the daily heads of the
licensee's hash chain, to keep them outside seedtrace: ``seedtrace db verify --checkpoints``
later checks the log against that copy, so a rewrite of the whole chain is found even if the
stored checkpoints were rewritten with it.
"""

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from server.api.listroute import licensee_list
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


licensee_list(
    router,
    "/licensees/{licence}/checkpoints",
    CP,
    CheckpointOut,
    (CP.c.taken_at, CP.c.id),
    "The licensee's published hash-chain checkpoints, oldest first (one per UTC day).",
)
