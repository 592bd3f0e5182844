"""The SELECTs of the API's reads: which columns an answer reads, and the optional filters.

A read route selects the columns its response model names (:func:`columns_of`), narrows by
the licensee, then by each query parameter the client gave (:func:`where_given`).
"""

from collections.abc import Collection
from enum import Enum
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel

S = TypeVar("S", bound=sa.Select[Any])


def columns_of(
    table: sa.Table, model: type[BaseModel], *, skip: Collection[str] = ()
) -> tuple[sa.Column[Any], ...]:
    """The columns of ``table`` that ``model``'s fields read, in the model's order: a list's
    SELECT answers exactly what its item shows. Fields named in ``skip`` are left out (the
    caller computes them, or selects them from another table); KeyError for any other field
    the table lacks."""
    return tuple(table.c[name] for name in model.model_fields if name not in skip)


def where_given(stmt: S, *filters: tuple[sa.ColumnElement[Any], object]) -> S:
    """``stmt`` narrowed to the rows whose column equals each filter's value; a value of None
    (a query parameter the client left out) narrows nothing. An enum compares by its value."""
    for column, value in filters:
        if value is not None:
            stmt = stmt.where(column == (value.value if isinstance(value, Enum) else value))
    return stmt
