"""Column types that behave the same on SQLite and PostgreSQL.

- :class:`ExactDecimal` keeps a :class:`~decimal.Decimal` exactly, as its decimal string.
  SQLite has no exact numeric type (its NUMERIC affinity turns 0.1 into a float), and a
  weight must never be rounded (WEIGHT-UNITS), so both databases store the text.
- :class:`UtcDateTime` stores timezone-aware datetimes in UTC and always returns them aware:
  SQLite keeps no offset, PostgreSQL keeps ``timestamptz``.
- :func:`time_column` and :func:`grams_column` declare a column of either, NOT NULL by default.
"""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class ExactDecimal(TypeDecorator[Decimal]):
    impl = sa.String(48)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal) or not value.is_finite():
            raise ValueError(f"{value!r} is not a finite Decimal")
        return format(value, "f")

    def process_result_value(self, value: Any | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class UtcDateTime(TypeDecorator[datetime]):
    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"{value!r} has no time zone; seedtrace stores only aware times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite returns what was stored, in UTC, without offset
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def time_column(nullable: bool = False) -> sa.Column[datetime]:
    """A column of UTC moments (:class:`UtcDateTime`), NOT NULL unless ``nullable``."""
    return sa.Column(UtcDateTime(), nullable=nullable)


def grams_column(nullable: bool = False) -> sa.Column[Decimal]:
    """A column of exact gram amounts (:class:`ExactDecimal`), NOT NULL unless ``nullable``."""
    return sa.Column(ExactDecimal(), nullable=nullable)
