"""Lists: pagination, and the CSV export every list offers.

Every list route takes ``limit`` (1-1000, default 100), ``offset`` (from 0) and ``format``
(``json``, the default, or ``csv``). JSON answers one page: ``{"items": [...], "total": n,
"limit": ..., "offset": ...}`` with ``total`` counting every match of the filters. CSV answers
every match of the filters, not only a page (an export is of the whole list): one header row of
the item's field names, then one row per item. Nested values (a payload, violations) are
compact JSON in their cell; an empty cell is null.

A text cell that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``@``, a tab,
a carriage return, or ``-`` when not a number) gets a leading ``'`` (OWASP's advice against
CSV injection); numbers, including negative variances, are left as they are.
"""

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar, cast

import sqlalchemy as sa
from fastapi import Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.engine import Engine

from server.api.errors import NotFound

T = TypeVar("T", bound=BaseModel)

MAX_LIMIT = 1000
MAX_OFFSET = 10**9


class ListFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class Paging:
    limit: int
    offset: int
    format: ListFormat


def paging(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip")] = 0,
    format: Annotated[
        ListFormat, Query(description="json: one page; csv: every match, as a file")
    ] = ListFormat.JSON,
) -> Paging:
    return Paging(limit, offset, format)


PagingDep = Annotated[Paging, Depends(paging)]

CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One page as JSON, or with format=csv every match as CSV",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


def respond(
    engine: Engine,
    stmt: sa.Select[Any],
    paging: Paging,
    model: type[T],
    name: str,
    convert: Callable[[sa.RowMapping], T] | None = None,
) -> Page[T] | Response:
    """Run ``stmt`` (already filtered and ordered) as a page, or as a CSV of every row.

    A row becomes ``model(**row)``, or ``convert(row)`` where a field is computed or decoded;
    ``name`` names the CSV file."""
    to_item = (lambda r: model(**r)) if convert is None else convert
    with engine.connect() as conn:
        if paging.format is ListFormat.CSV:
            rows = (to_item(r) for r in conn.execute(stmt).mappings())
            return csv_response(rows, model, name)
        total = conn.execute(
            sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
        ).scalar_one()
        rows_page = conn.execute(stmt.limit(paging.limit).offset(paging.offset)).mappings()
        return page_class(model)(
            items=[to_item(r) for r in rows_page],
            total=total,
            limit=paging.limit,
            offset=paging.offset,
        )


def page_class(model: type[T]) -> type[Page[T]]:
    """``Page[model]`` for a model known only at run time (pydantic builds it on demand)."""
    return cast("type[Page[T]]", Page.__class_getitem__(model))


def page_of(items: list[T], paging: Paging, model: type[T], name: str) -> Page[T] | Response:
    """The same for a list already computed in Python."""
    if paging.format is ListFormat.CSV:
        return csv_response(items, model, name)
    return page_class(model)(
        items=items[paging.offset : paging.offset + paging.limit],
        total=len(items),
        limit=paging.limit,
        offset=paging.offset,
    )


def csv_response(items: Iterable[BaseModel], model: type[BaseModel], name: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns = list(model.model_fields)
    writer.writerow(columns)
    for item in items:
        data = item.model_dump(mode="json")
        writer.writerow([cell(data[c]) for c in columns])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def cell(value: object) -> str:
    """One CSV cell for a JSON-mode value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return _defuse(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
    return _defuse(str(value))


def _defuse(text: str) -> str:
    if not text or text[0] not in "=+-@\t\r":
        return text
    if text[0] in "+-":
        try:
            Decimal(text)
            return text
        except InvalidOperation:
            pass
    return "'" + text


def one(conn: sa.Connection, stmt: sa.Select[Any], what: str) -> sa.RowMapping:
    """The single row of ``stmt``; NotFound naming ``what`` when there is none."""
    row = conn.execute(stmt).mappings().first()
    if row is None:
        raise NotFound(f"{what} not found")
    return row


def read_one(
    engine: Engine,
    stmt: sa.Select[Any],
    model: type[T],
    what: str,
    convert: Callable[[sa.RowMapping], T] | None = None,
) -> T:
    """The single row of ``stmt`` as ``model`` (or ``convert(row)``, as for :func:`respond`):
    what a route answering one item returns; NotFound naming ``what`` when there is none."""
    with engine.connect() as conn:
        row = one(conn, stmt, what)
    return model(**row) if convert is None else convert(row)
