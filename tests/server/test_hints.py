"""``server.db.hints.unindexed``: the same value on both databases, and on SQLite the index
it leaves the planner. A manager's "recently closed" notifications must be read through the
licensee's own ``(licence, closed_at)`` index: through ``(state, closed_at)`` SQLite walks
every licensee's closed notifications of the week (docs/performance.md, change 26)."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from server.compliance.deadlines.store import recently_closed
from server.db.core_tables import LICENSEES as LIC
from server.db.hints import unindexed
from tests.server.conftest import LICENCE, OTHER_LICENCE, is_postgres

SINCE = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.mark.parametrize("value", ["0123", "0", "", "OR-0001"])
def test_unindexed_compares_as_the_value_itself(engine: Engine, value: str) -> None:
    # "0123" stays text: SQLite's unary + does not make a number of it
    with engine.connect() as conn:
        assert conn.execute(sa.select(unindexed(sa.literal(value)) == value)).scalar() is True
        assert conn.execute(sa.select(unindexed(sa.literal(value)) == "123")).scalar() is False


def test_unindexed_finds_the_rows_the_column_finds(engine: Engine) -> None:
    with engine.connect() as conn:
        plain = conn.execute(sa.select(LIC.c.licence).where(LIC.c.licence == LICENCE)).all()
        hinted = conn.execute(
            sa.select(LIC.c.licence).where(unindexed(LIC.c.licence) == LICENCE)
        ).all()
    assert hinted == plain == [(LICENCE,)]


@contextmanager
def query_plans(engine: Engine) -> Iterator[list[str]]:
    """SQLite's query plan of each statement run meanwhile, one string each (the statements
    themselves are not run)."""
    plans: list[str] = []

    def explain(conn: Any, cursor: Any, statement: str, *rest: Any) -> tuple[str, Any]:
        return f"EXPLAIN QUERY PLAN {statement}", rest[0]

    def keep(conn: Any, cursor: Any, *rest: Any) -> None:
        plan = "; ".join(str(row[-1]) for row in cursor.fetchall())
        if plan:  # a transaction's BEGIN or COMMIT has none
            plans.append(plan)

    sa.event.listen(engine, "before_cursor_execute", explain, retval=True)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")  # the connection's own set-up is not planned
        sa.event.listen(engine, "after_cursor_execute", keep)
        yield plans
    finally:
        sa.event.remove(engine, "before_cursor_execute", explain)
        if sa.event.contains(engine, "after_cursor_execute", keep):
            sa.event.remove(engine, "after_cursor_execute", keep)


# SQLite's alone: PostgreSQL chooses by the statistics it keeps
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_one_licensees_closed_notifications_are_read_through_its_own_index(
    engine: Engine,
) -> None:
    assert not is_postgres(engine)
    with query_plans(engine) as plans:
        recently_closed(engine, [LICENCE], SINCE, 50)
    assert len(plans) == 2, plans
    assert "ix_notifications_resolved (licence=? AND resolved_at>?)" in plans[0]
    assert "ix_notifications_dismissed (licence=? AND dismissed_at>?)" in plans[1]
    with query_plans(engine) as plans:
        recently_closed(engine, [LICENCE, OTHER_LICENCE], SINCE, 50)
    assert all("(licence=? AND" in plan for plan in plans), plans
