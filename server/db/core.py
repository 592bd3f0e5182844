"""Typed access to the SQLAlchemy Core table behind a SQLModel class.

SQLModel declares each table once (:mod:`server.db.tables` and its siblings); the hot paths and
the read queries use SQLAlchemy Core statements over those tables. SQLModel does not declare
``__table__`` on its classes for the type checker, so every use goes through :func:`table_of`,
which checks at import time that the class really is a table.
"""

import sqlalchemy as sa
from sqlmodel import SQLModel


def table_of(model: type[SQLModel]) -> sa.Table:
    """The :class:`sqlalchemy.Table` a ``table=True`` SQLModel class maps.

    Raises :class:`TypeError` for a SQLModel class that is not a table (an API model, say).
    """
    table = sa.inspect(model, raiseerr=False)
    local = getattr(table, "local_table", None)
    if not isinstance(local, sa.Table):
        raise TypeError(f"{model.__name__} is not a table model (declare it with table=True)")
    return local
