"""List routes: how a route that answers a list is declared and answers.

A list route is declared with :func:`list_route` (its page model and the CSV answer in the
OpenAPI document) and takes a :data:`LicenseeListDep`: the licensee (404 unless the caller
may read it), the engine and the paging parameters (:class:`server.api.listing.PageQuery`),
with the list's name, the last segment of the route's path, which names its CSV file and the
list its cursors belong to. The route then says only what is its own: its filters and order.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.engine import Engine

from server.accounts.deps import ReadScope
from server.api.deps import EngineDep
from server.api.listing import CSV_RESPONSE, Page, PageQuery, PagingDep, page_class, page_of
from server.api.listing import respond as respond_with
from server.api.query import of_licensee, where_given

T = TypeVar("T", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class ListRequest:
    """A request for one page (or the CSV) of a list of one licensee's records."""

    licence: str
    engine: Engine
    paging: PageQuery
    name: str  # the route path's last segment

    def respond(
        self,
        stmt: sa.Select[Any],
        model: type[T],
        order: Sequence[sa.ColumnElement[Any]],
        convert: Callable[[sa.RowMapping], T] | None = None,
    ) -> Page[T] | Response:
        """``stmt``'s rows (already filtered) in ``order`` (:func:`server.api.listing.respond`)."""
        return respond_with(self.engine, stmt, self.paging, model, self.name, order, convert)

    def rows_of(
        self,
        table: sa.Table,
        model: type[T],
        order: Sequence[sa.ColumnElement[Any]],
        *filters: tuple[sa.ColumnElement[Any], object],
    ) -> Page[T] | Response:
        """The licensee's rows of ``table`` as ``model``, narrowed by each filter the client
        gave (:func:`server.api.query.where_given`), in ``order``."""
        stmt = where_given(of_licensee(table, model, self.licence), *filters)
        return self.respond(stmt, model, order)

    def items(self, items: list[T], model: type[T]) -> Page[T] | Response:
        """A list computed whole in Python (:func:`server.api.listing.page_of`)."""
        return page_of(items, self.paging, model, self.name)


def list_name(request: Request) -> str:
    """The last segment of the matched route's path (``/licensees/{licence}/tag-orders``:
    ``tag-orders``)."""
    path: str = request.scope["route"].path
    return path.rsplit("/", 1)[1]


def licensee_list_request(
    scope: ReadScope,
    engine: EngineDep,
    paging: PagingDep,
    name: Annotated[str, Depends(list_name)],
) -> ListRequest:
    return ListRequest(scope.licence, engine, paging, name)


LicenseeListDep = Annotated[ListRequest, Depends(licensee_list_request)]


def list_route(router: APIRouter, path: str, model: type[BaseModel]) -> Callable[[F], F]:
    """``@router.get(path)`` for a route answering a page of ``model`` or the CSV."""
    return router.get(path, response_model=page_class(model), responses=CSV_RESPONSE)


def licensee_list(
    router: APIRouter,
    path: str,
    table: sa.Table,
    model: type[T],
    order: Sequence[sa.ColumnElement[Any]],
    doc: str,
) -> None:
    """Add the plain list ``GET path`` to ``router``: every row of ``table`` of the licensee in
    ``path`` (``{licence}``), as ``model``, in ``order``, with no filter (corrections, tag
    orders, checkpoints, reconciliations). The route is named ``list_<last path segment>``
    (its OpenAPI operation) and ``doc`` is its description."""

    def endpoint(request: LicenseeListDep) -> Page[T] | Response:
        return request.rows_of(table, model, order)

    router.add_api_route(
        path,
        endpoint,
        methods=["GET"],
        name="list_" + path.rsplit("/", 1)[1].replace("-", "_"),
        description=doc,
        response_model=page_class(model),
        responses=CSV_RESPONSE,
    )
