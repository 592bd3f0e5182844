"""``column`` is one of many values, sent as one parameter: :func:`among`.

``column.in_(values)`` sends one bind parameter per value. For a regulator overseeing 500
licensees every statement of a page then carries 500 parameters, and the cost is in the
client, not the database: SQLAlchemy renders and casts each one, and psycopg splits the
query text at every placeholder on each execution (a query that long is past its cache).
Measured on the regulator's notifications page (twelve statements, an empty database):
about 150 ms of the page's time, where the database's own work was a few ms.

:func:`among` sends the values as one parameter instead:

- PostgreSQL: ``column = ANY(:values)``, a ``VARCHAR[]`` (an index on ``column`` is used as
  for ``IN``);
- SQLite (no arrays): ``column IN (SELECT value FROM json_each(:values))``, a JSON list
  (SQLite 3.38+ has ``json_each`` built in; it reads the subquery once and probes the index).

The statement's text does not depend on how many values there are, so SQLAlchemy's
compiled-statement cache and psycopg's query cache hold it. Up to :data:`FEW` values stay a
plain ``IN``: psycopg prepares a statement on its fifth execution and PostgreSQL may then
keep one generic plan for it, and a plan made for one licensee's page must not serve a
regulator's 500 (``server.db.pipelined``, "Plans"); with ``IN`` each count has its own text.
"""

import json
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine

FEW = 16  # up to this many values: a plain IN (one parameter each)


class _Values(TypeDecorator[list[str]]):
    """A list of strings as one parameter: an array on PostgreSQL, JSON text elsewhere."""

    impl = sa.String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(sa.String()))
        return dialect.type_descriptor(sa.String())

    def process_bind_param(self, value: list[str] | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return value if dialect.name == "postgresql" else json.dumps(value)


class _Among(FunctionElement[bool]):
    """``column`` among the values of one parameter (compiled per dialect below). Untyped:
    typed Boolean, SQLAlchemy would write ``(...) = 1`` around it on SQLite, which has no
    boolean type, and that comparison hides the ``IN`` from the planner."""

    inherit_cache = True
    name = "among"


def among(column: sa.ColumnElement[str], values: Iterable[str]) -> sa.ColumnElement[bool]:
    """``column`` is one of ``values`` (none: false); more than :data:`FEW` are sent as one
    parameter."""
    wanted = list(values)
    if len(wanted) <= FEW:
        return column.in_(wanted)
    return _Among(column, sa.bindparam(None, wanted, type_=_Values()))


def _parts(element: _Among, compiler: SQLCompiler, **kw: Any) -> tuple[str, str]:
    column, values = element.clauses
    return compiler.process(column, **kw), compiler.process(values, **kw)


@compiles(_Among)
def _json_each(element: _Among, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = _parts(element, compiler, **kw)
    return f"{column} IN (SELECT value FROM json_each({values}))"


@compiles(_Among, "postgresql")
def _any(element: _Among, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = _parts(element, compiler, **kw)
    return f"{column} = ANY({values})"
