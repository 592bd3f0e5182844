"""Column builders the migrations share (tables built of them: :mod:`server.migrations.tables`).

Each builder returns exactly the ``sa.Column(name, type, nullable=...)`` a migration would spell
out in full, so a table says only its columns' names, kinds and whether they may be empty. The
migrations that shipped build the same schema through them as before: the migrated tables are
compared with the declarations in ``server/db`` on both databases
(``tests/server/test_migrations.py``). Weights and money are exact decimal text in String(48)
columns (:class:`server.db.types.ExactDecimal`); times are timezone-aware
(:class:`server.db.types.UtcDateTime`). Every column is NOT NULL unless ``nullable``.
"""

from typing import Any

import sqlalchemy as sa

# SQLite autoincrements only an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit integer.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def column(name: str, type_: sa.types.TypeEngine[Any], *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=nullable)


def string(name: str, length: int, *, nullable: bool = False) -> sa.Column[Any]:
    return column(name, sa.String(length=length), nullable=nullable)


def licence() -> sa.Column[Any]:
    """The licence a row belongs to (every projection has one)."""
    return string("licence", 40)


def decimal(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    """Exact decimal text: weights in grams, money in US dollars, fractional days."""
    return string(name, 48, nullable=nullable)


def text(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return column(name, sa.Text(), nullable=nullable)


def integer(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return column(name, sa.Integer(), nullable=nullable)


def big_id(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    """An id a table numbers its rows with (autoincremented), or a reference to one."""
    return column(name, BIG_ID, nullable=nullable)


def big(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    """A 64-bit integer: a log position, a sequence number, an id of another table."""
    return column(name, sa.BigInteger(), nullable=nullable)


def time(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return column(name, sa.DateTime(timezone=True), nullable=nullable)


def date(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return column(name, sa.Date(), nullable=nullable)


def quantity(prefix: str) -> list[sa.Column[Any]]:
    """A quantity (:class:`schemas.commerce.Quantity`) as two columns that may be empty:
    ``<prefix>_grams``, its total weight (None for a count without a unit weight), and
    ``<prefix>_count``."""
    return [decimal(f"{prefix}_grams", nullable=True), integer(f"{prefix}_count", nullable=True)]
