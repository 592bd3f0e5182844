"""Lists: pagination, and the CSV export every list offers.

Every list route takes the paging parameters of :class:`PageQuery`: ``limit`` (1-1000,
default 100), ``after`` (the ``next`` cursor of the page before, :mod:`server.api.cursor`),
``offset`` (0-10 000, for clients written before cursors; not with ``after``) and ``format``
(``json``, the default, or ``csv``). JSON answers one page: ``{"items": [...], "total": n,
"total_is_lower_bound": bool, "limit", "offset", "next"}``. ``total`` counts the matches of the
filters up to :data:`TOTAL_CAP`; when more match it is the cap and ``total_is_lower_bound`` is
true, so that no request counts the whole of a long log. ``next`` is the cursor of the page
after this one, null on the last page.

CSV answers every match of the filters, not only a page (an export is of the whole list): one
header row of the item's field names, then one row per item. Nested values (a payload,
violations) are compact JSON in their cell; an empty cell is null.

A text cell that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``@``, a tab,
a carriage return, or ``-`` when not a number) gets a leading ``'`` (OWASP's advice against
CSV injection); numbers, including negative variances, are left as they are.
"""

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar, cast

import sqlalchemy as sa
from fastapi import Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine

from server.api.cursor import MAX_CURSOR, SortKey, decode, encode, refused
from server.api.errors import Invalid, NotFound

T = TypeVar("T", bound=BaseModel)

MAX_LIMIT = 1000
# OFFSET reads the rows it skips: at most this many, so an old client's page costs at most
# MAX_OFFSET + MAX_LIMIT rows; past it, a client follows ``next``.
MAX_OFFSET = 10_000
TOTAL_CAP = 10_000  # rows a page's total counts at most


class ListFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int  # matches of the filters, counted up to TOTAL_CAP
    total_is_lower_bound: bool  # true: more than ``total`` match
    limit: int
    offset: int
    next: str | None  # pass as ``after`` for the page after this one; null on the last page


class PageQuery(BaseModel):
    """The paging parameters every list route takes (one FastAPI query-parameter model)."""

    model_config = ConfigDict(frozen=True)

    limit: int = Field(100, ge=1, le=MAX_LIMIT, description="Items per page")
    after: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_CURSOR,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The next cursor of the page before: this page starts after it",
    )
    offset: int = Field(
        0, ge=0, le=MAX_OFFSET, description="Items to skip (older clients; not with after)"
    )
    format: ListFormat = Field(
        ListFormat.JSON, description="json: one page; csv: every match, as a file"
    )


def paging(query: Annotated[PageQuery, Query()]) -> PageQuery:
    """The paging parameters; ``after`` and ``offset`` together are refused (422)."""
    if query.after is not None and query.offset != 0:
        raise Invalid("query", "offset", "cannot be combined with after")
    return query


PagingDep = Annotated[PageQuery, Depends(paging)]

CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One page as JSON, or with format=csv every match as CSV",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


def respond(
    engine: Engine,
    stmt: sa.Select[Any],
    paging: PageQuery,
    model: type[T],
    name: str,
    order: Sequence[sa.ColumnElement[Any]],
    convert: Callable[[sa.RowMapping], T] | None = None,
) -> Page[T] | Response:
    """Run ``stmt`` (already filtered), ordered by ``order``, as a page, or as a CSV of every
    row. ``order`` is the list's key: no two rows may share it (the cursor is the last row's).

    A row becomes ``model(**row)``, or ``convert(row)`` where a field is computed or decoded;
    ``name`` names the CSV file and the list a cursor belongs to."""
    to_item = (lambda r: model(**r)) if convert is None else convert
    key = SortKey(order)
    stmt = stmt.order_by(None)
    # a cursor is refused (422) before any query runs
    after = None if paging.after is None else key.after(key.decode(paging.after, name))
    with engine.connect() as conn:
        if paging.format is ListFormat.CSV:
            every = conn.execute(stmt.order_by(*order)).mappings()
            return csv_response((to_item(r) for r in every), model, name)
        # Counted in the list's order, so PostgreSQL reads the first TOTAL_CAP + 1 through
        # the index the page reads. Unordered, it took a sequential scan for a licensee with
        # a large share of the table, stopping after TOTAL_CAP + 1 of its rows; and as
        # sequential scans of a large table start where the last one stopped, the next one
        # could read gigabytes before finding its rows (1-4 s in 1 of 50 requests at 10M
        # events; docs/performance.md, Scale, change 25).
        capped = stmt.order_by(*order).limit(TOTAL_CAP + 1)
        total = conn.execute(sa.select(sa.func.count()).select_from(capped.subquery())).scalar_one()
        page = stmt.add_columns(*key.labelled()).order_by(*order).limit(paging.limit + 1)
        if after is not None:
            page = page.where(after)
        rows = list(conn.execute(page.offset(paging.offset or None)).mappings())
    more = len(rows) > paging.limit
    return _page(
        [to_item(r) for r in rows[: paging.limit]],
        total,
        paging,
        model,
        encode(name, key.of_row(rows[paging.limit - 1])) if more else None,
    )


def page_of(items: list[T], paging: PageQuery, model: type[T], name: str) -> Page[T] | Response:
    """The same for a list already computed whole in Python (a short one: stations, tag stock,
    the inventory's lines, signals). Its cursor is the index of the next item, so an item added
    between two pages may shift the rest of the walk by one."""
    if paging.format is ListFormat.CSV:
        return csv_response(items, model, name)
    start = paging.offset
    if paging.after is not None:
        (index,) = decode(paging.after, name, 1)
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise refused()
        start = index
    end = start + paging.limit
    cursor = encode(name, [end]) if end < len(items) else None
    return _page(items[start:end], len(items), paging, model, cursor)


def _page(
    items: list[T], total: int, paging: PageQuery, model: type[T], cursor: str | None
) -> Page[T]:
    return page_class(model)(
        items=items,
        total=min(total, TOTAL_CAP),
        total_is_lower_bound=total > TOTAL_CAP,
        limit=paging.limit,
        offset=paging.offset,
        next=cursor,
    )


def page_class(model: type[T]) -> type[Page[T]]:
    """``Page[model]`` for a model known only at run time (pydantic builds it on demand)."""
    return cast("type[Page[T]]", Page.__class_getitem__(model))


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
