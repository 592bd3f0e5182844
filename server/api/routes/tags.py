"""The tag ledger: receive tags, stock by type, and one UID's history."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel

from schemas.events import TagRetired, TagsReceived, TagType
from schemas.ids import Text
from server.accounts.deps import ReadScope, Scope, WriteScope
from server.api.deps import EngineDep, Recorded, RecorderDep, event_of
from server.api.history import uid_history
from server.api.listing import Page, one
from server.api.listroute import LicenseeListDep, list_route
from server.api.params import BodyIn, UidPath
from server.api.query import of_licensee
from server.api.routes.events import EventOut
from server.db.core import table_of
from server.db.tables import Tag

router = APIRouter(tags=["tags"])
T = table_of(Tag)


class TagStatus(StrEnum):
    AVAILABLE = "available"
    ASSIGNED = "assigned"
    RETIRED = "retired"


class TagOut(BaseModel):
    uid: str
    tag_type: TagType
    status: TagStatus
    item_type: str | None
    item_id: str | None
    received_at: datetime
    assigned_at: datetime | None
    retired_at: datetime | None
    retired_reason: str | None


class TagStock(BaseModel):
    tag_type: TagType
    available: int
    assigned: int
    retired: int
    total: int


class TagDetail(BaseModel):
    tag: TagOut
    history: list[EventOut]  # every event naming this UID, oldest first


@list_route(router, "/licensees/{licence}/tags", TagOut)
def list_tags(
    request: LicenseeListDep, tag_type: TagType | None = None, status: TagStatus | None = None
) -> Page[TagOut] | Response:
    """The UIDs this licensee received, by UID."""
    filters = (T.c.tag_type, tag_type), (T.c.status, status)
    return request.rows_of(T, TagOut, (T.c.uid,), *filters)


@list_route(router, "/licensees/{licence}/tag-stock", TagStock)
def tag_stock(request: LicenseeListDep) -> Page[TagStock] | Response:
    """How many UIDs of each type are available, assigned and retired (TAG-SUPPLY)."""
    with request.engine.connect() as conn:
        rows = conn.execute(
            sa.select(T.c.tag_type, T.c.status, sa.func.count())
            .where(T.c.licence == request.licence)
            .group_by(T.c.tag_type, T.c.status)
        ).all()
    counts = {(t, s): n for t, s, n in rows}
    stock = []
    for tag_type in TagType:
        # one count a status, each in the field of the status's name
        by_status = {s.value: counts.get((tag_type.value, s.value), 0) for s in TagStatus}
        stock.append(TagStock(tag_type=tag_type, total=sum(by_status.values()), **by_status))
    return request.items(stock, TagStock)


@router.get("/licensees/{licence}/tags/{uid}")
def get_tag(scope: ReadScope, engine: EngineDep, uid: UidPath) -> TagDetail:
    """One UID: its state and every event that named it."""
    with engine.connect() as conn:
        row = one(conn, of_licensee(T, TagOut, scope.licence).where(T.c.uid == uid), f"tag {uid}")
        return TagDetail(tag=TagOut(**row), history=uid_history(conn, scope.licence, uid))


@router.post("/licensees/{licence}/tags/received", status_code=201)
def receive_tags(scope: WriteScope, record: RecorderDep, body: TagsReceived) -> Recorded:
    """Record UID tags physically received: a list of UIDs, or a roll from first to last."""
    return record(scope, body)


class Retirement(BodyIn):
    reason: Text


def known_tag(scope: WriteScope, engine: EngineDep, uid: UidPath) -> Scope:
    """A UID this licensee received, looked up before the body is read."""
    with engine.connect() as conn:
        one(
            conn,
            sa.select(T.c.uid).where(T.c.licence == scope.licence, T.c.uid == uid),
            f"tag {uid}",
        )
    return scope


@router.post("/licensees/{licence}/tags/{uid}/retirement", status_code=201)
def retire_tag(
    scope: Annotated[Scope, Depends(known_tag)], record: RecorderDep, uid: UidPath, body: Retirement
) -> Recorded:
    """Take a UID out of use (tag.retired): its item destroyed, or the tag damaged or lost
    (UID-RETIRE-3BD). A retired UID is never assigned again."""
    return record(scope, event_of(TagRetired, body, uid=uid))
