"""The plain list: every row of a licensee's table, in one fixed order, with no filter.

Several lists are only that (corrections, tag orders, checkpoints, reconciliations). One
function registers each of them, so they page, export CSV and are documented alike: the route
``GET {path}`` is named ``list_<last path segment>`` (its OpenAPI operation), its CSV file is
``<last path segment>.csv``, and ``doc`` is its description.
"""

from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from server.accounts.deps import ReadScope
from server.api.deps import EngineDep
from server.api.listing import CSV_RESPONSE, Page, PagingDep, page_class, respond
from server.api.query import of_licensee

T = TypeVar("T", bound=BaseModel)


def licensee_list(
    router: APIRouter,
    path: str,
    table: sa.Table,
    model: type[T],
    order_by: Sequence[sa.ColumnElement[Any]],
    doc: str,
) -> None:
    """Add ``GET path`` to ``router``: the rows of ``table`` of the licensee in ``path``
    (``{licence}``), as ``model``, ordered by ``order_by``."""
    segment = path.rsplit("/", 1)[1]

    def endpoint(scope: ReadScope, engine: EngineDep, paging: PagingDep) -> Page[T] | Response:
        stmt = of_licensee(table, model, scope.licence).order_by(*order_by)
        return respond(engine, stmt, paging, model, segment)

    router.add_api_route(
        path,
        endpoint,
        methods=["GET"],
        name="list_" + segment.replace("-", "_"),
        description=doc,
        response_model=page_class(model),
        responses=CSV_RESPONSE,
    )
