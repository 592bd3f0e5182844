"""``ExactSum(column)`` (SQL ``exact_sum``): the exact sum of an
:class:`~server.db.types.ExactDecimal` column (gram amounts stored as decimal text), as an
aggregate the database computes (``GROUP BY``), so a total over many rows travels as one value
instead of every row.

PostgreSQL: ``sum(CAST(column AS NUMERIC))``, exact at any precision. SQLite has no exact
decimal type (its ``sum`` of text adds binary floats), so :func:`register` gives each SQLite
connection an aggregate ``exact_sum`` that adds the values as Python ``Decimal`` s (the
default context: 28 significant digits, as a sum of the same values in Python) and answers the
total as decimal text. Both answer NULL for no rows, as ``sum`` does, and come back as
``Decimal`` through the column type. Failure modes: a stored value that is not a decimal
number raises (PostgreSQL: invalid input syntax; SQLite: the aggregate's error).
"""

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from server.db.types import ExactDecimal


class ExactSum(FunctionElement[Decimal]):
    """The exact sum of a decimal-text column, NULL for no rows (module docstring)."""

    type = ExactDecimal()
    name = "exact_sum"
    inherit_cache = True


@compiles(ExactSum, "postgresql")
def _postgresql(element: ExactSum, compiler: SQLCompiler, **kw: Any) -> str:
    return f"sum(CAST({compiler.process(element.clauses, **kw)} AS NUMERIC))"


@compiles(ExactSum)
def _other(element: ExactSum, compiler: SQLCompiler, **kw: Any) -> str:
    return f"exact_sum({compiler.process(element.clauses, **kw)})"


class _Aggregate:
    """SQLite's ``exact_sum`` aggregate: one instance per group."""

    def __init__(self) -> None:
        self.total: Decimal | None = None

    def step(self, value: object) -> None:
        if value is None:
            return
        amount = Decimal(str(value))
        self.total = amount if self.total is None else self.total + amount

    def finalize(self) -> str | None:
        return None if self.total is None else format(self.total, "f")


def register(dbapi_connection: Any) -> None:
    """Give a sqlite3 connection the ``exact_sum`` aggregate (called on every new one)."""
    dbapi_connection.create_aggregate("exact_sum", 1, _Aggregate)
