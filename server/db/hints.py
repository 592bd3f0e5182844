"""Planner hints that SQLite needs and PostgreSQL does not: :func:`unindexed`.

PostgreSQL chooses between indexes from the statistics it keeps (``ANALYZE`` after every
migration, autovacuum after that). SQLite keeps none unless ``ANALYZE`` is run, and without
them it takes two indexes that fit a query equally well (an equality on the first column,
a range on the second that also gives the order) as equally good. One of them can be
bounded by one licensee's rows and the other by every licensee's: measured on SQLite at
1M events (docs/performance.md, change 26), a manager's "recently closed" read of 51 rows
walked ``(state, resolved_at)`` backwards through the whole state's week of resolutions
instead of ``(licence, resolved_at)``, 175 ms p50 for the page.

SQLite's documented way to take a ``WHERE`` term out of index selection is the unary ``+``
("Disqualifying WHERE clause terms using unary-+", The SQLite Query Optimizer Overview): it
returns its operand unchanged, text included, so the result is the same.
"""

from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

T = TypeVar("T")


class _Unindexed(FunctionElement[T]):
    """``column``, which SQLite must not choose an index by (compiled per dialect below);
    of the column's type, so what it is compared with is bound as the column would be."""

    inherit_cache = True
    name = "unindexed"

    def __init__(self, column: sa.ColumnElement[T]) -> None:
        super().__init__(column)
        self.type = column.type

    @property
    def column(self) -> sa.ColumnElement[T]:
        (only,) = self.clauses
        return only


def unindexed(column: sa.ColumnElement[T]) -> sa.ColumnElement[T]:
    """``column`` with the same value, but no index on it is chosen by SQLite for the term
    it is compared in; unchanged on PostgreSQL."""
    return _Unindexed(column)


@compiles(_Unindexed)
def _same(element: _Unindexed[Any], compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(_Unindexed, "sqlite")
def _unary_plus(element: _Unindexed[Any], compiler: SQLCompiler, **kw: Any) -> str:
    return f"+{compiler.process(element.column, **kw)}"
