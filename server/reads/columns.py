"""The columns a read selects, named by the class it builds: one definition of what is read.

A row class (a pydantic model or a dataclass) names the fields it shows; :func:`columns_of`
selects the table's columns of the same names, in the class's order, so a row mapping of the
result builds the class with ``Row(**row)`` instead of restating every field. A field the
table calls otherwise, or computes, is given in ``source`` (selected under the field's name);
fields in ``skip`` are left out for the caller to compute or to select from another table.
"""

import dataclasses
from collections.abc import Collection, Mapping
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel


def field_names(cls: type[Any]) -> list[str]:
    """The fields of a pydantic model or a dataclass, in their order; TypeError otherwise."""
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return list(cls.model_fields)
    if dataclasses.is_dataclass(cls):
        return [f.name for f in dataclasses.fields(cls)]
    raise TypeError(f"{cls!r} is neither a pydantic model nor a dataclass")


def columns_of(
    table: sa.Table,
    cls: type[Any],
    *,
    skip: Collection[str] = (),
    source: Mapping[str, sa.ColumnElement[Any]] | None = None,
) -> tuple[sa.ColumnElement[Any], ...]:
    """The columns of ``table`` that ``cls``'s fields read, in the class's order; a field in
    ``source`` is that expression, labelled with the field's name. KeyError for a field that
    is in none of ``table``, ``source`` or ``skip``."""
    given = source or {}
    return tuple(
        given[name].label(name) if name in given else table.c[name]
        for name in field_names(cls)
        if name not in skip
    )
