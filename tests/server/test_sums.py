"""The database's exact sums of gram amounts (server.db.sums) on SQLite and PostgreSQL, and the
regulator's overview that sums unexplained grams per licensee with them: the same totals, to
the last digit and the same written form, as adding the stored values in Python."""

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from server.analytics import views
from server.analytics.tables import BALANCES
from server.db.sums import ExactSum

UNEXPLAINED = {
    "OR-A": ["12.5", "0.25", "28.349523125", "-3.000", "0", "453.59237"],
    "OR-ZERO": ["0", "0.000", "-0.5", "0.5"],  # zero values, and a total of zero
    "OR-TINY": ["1000000.1", "0.0000000001"],
    "OR-ONE": ["7"],
}
NONE = "OR-NONE"  # no harvest batches at all


def _balances(engine: Engine) -> None:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    rows = [
        {
            "licence": licence,
            "name": f"HB-{n}",
            "plants": 1,
            "wet_grams": Decimal("100"),
            "waste_grams": Decimal("0"),
            "packaged_grams": Decimal("0"),
            "unexplained_grams": Decimal(value),
            "event_ids": "[]",
            "refreshed_at": at,
        }
        for licence, values in UNEXPLAINED.items()
        for n, value in enumerate(values)
    ]
    with engine.begin() as conn:
        conn.execute(BALANCES.insert(), rows)


def _python_sums(conn: sa.Connection) -> dict[str, Decimal]:
    """The stored values read back and added in Python, as the overview did before."""
    out: dict[str, Decimal] = {}
    for licence, value in conn.execute(sa.select(BALANCES.c.licence, BALANCES.c.unexplained_grams)):
        out[licence] = out.get(licence, Decimal(0)) + value
    return out


def test_the_database_sums_gram_amounts_exactly(engine: Engine) -> None:
    _balances(engine)
    with engine.connect() as conn:
        python = _python_sums(conn)
        summed = dict(
            conn.execute(
                sa.select(BALANCES.c.licence, ExactSum(BALANCES.c.unexplained_grams)).group_by(
                    BALANCES.c.licence
                )
            ).all()
        )
        nothing = conn.execute(
            sa.select(ExactSum(BALANCES.c.unexplained_grams)).where(BALANCES.c.licence == NONE)
        ).scalar_one()
    assert {k: str(v) for k, v in summed.items()} == {k: str(v) for k, v in python.items()}
    assert summed == {
        "OR-A": Decimal("491.691893125"),
        "OR-ZERO": Decimal("0.000"),
        "OR-TINY": Decimal("1000000.1000000001"),
        "OR-ONE": Decimal("7"),
    }
    assert all(isinstance(v, Decimal) for v in summed.values())
    assert nothing is None  # no rows: NULL, as SQL's sum


def test_the_overview_totals_are_the_python_sums(engine: Engine) -> None:
    _balances(engine)
    licences = sorted([*UNEXPLAINED, NONE])
    with engine.connect() as conn:
        python = _python_sums(conn)
        ranked = views.overview(conn, licences)
    rows = {r.licence: r for r in ranked}
    assert set(rows) == set(licences)
    for licence, values in UNEXPLAINED.items():
        assert str(rows[licence].unexplained_grams) == str(python[licence])
        assert rows[licence].harvest_batches == len(values)
    assert (rows[NONE].unexplained_grams, rows[NONE].harvest_batches) == (Decimal(0), 0)
    assert rows["OR-ZERO"].unexplained_grams == 0
    assert [r.licence for r in ranked] == ["OR-TINY", "OR-A", "OR-ONE", NONE, "OR-ZERO"]
