"""The SELECTs of the API's reads: which columns an answer reads, and the optional filters.

A read route selects the columns its response model names
(:func:`server.reads.columns.columns_of`), narrows by the licensee (:func:`of_licensee`), then
by each query parameter the client gave (:func:`where_given`).
"""

from collections.abc import Collection
from enum import Enum
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel

from server.reads.columns import columns_of

S = TypeVar("S", bound=sa.Select[Any])


def of_licensee(
    table: sa.Table, model: type[BaseModel], licence: str, *, skip: Collection[str] = ()
) -> sa.Select[Any]:
    """SELECT the columns ``model`` reads (:func:`columns_of`) of ``licence``'s rows of
    ``table``: where every read of a licensee's list or item starts."""
    return sa.select(*columns_of(table, model, skip=skip)).where(table.c.licence == licence)


def where_given(stmt: S, *filters: tuple[sa.ColumnElement[Any], object]) -> S:
    """``stmt`` narrowed to the rows whose column equals each filter's value; a value of None
    (a query parameter the client left out) narrows nothing. An enum compares by its value."""
    for column, value in filters:
        if value is not None:
            stmt = stmt.where(column == (value.value if isinstance(value, Enum) else value))
    return stmt
