"""Plain SQL reads for tests that check what the server stored, on either database."""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine


def count(engine: Engine, sql: str) -> int:
    """The single number ``sql`` (a ``SELECT count(*) ...``) answers; fails unless it answers
    exactly one row."""
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql)).scalar_one())


def rows(engine: Engine, sql: str, **params: Any) -> Sequence[sa.Row[Any]]:
    """Every row ``sql`` answers (its ``:name`` parameters bound from ``params``), read on a
    connection of its own."""
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).all()
