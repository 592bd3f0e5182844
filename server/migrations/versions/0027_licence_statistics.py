"""A short list of most common values for each ``licence`` column (PostgreSQL only;
docs/performance.md, Scale, change 24).

A regulator's reads filter by the licensees it oversees, sent as one array
(``licence = ANY(:licences)``, ``server.db.among``). PostgreSQL plans each such statement
afresh (no read of the app is prepared), and estimates the array's selectivity value by value,
comparing each with the column's list of most common values: 500 licences against the default
100-entry list took 1.3-2.0 ms of planning for a statement that ran in 0.02-0.2 ms. With 10
entries planning takes 0.3 ms. The ten largest licensees keep exact frequencies and the others
share the rest evenly, which for one licensee's reads still favours the same indexes.

Every table with a ``licence`` column but ``licensees`` (whose licences are all distinct, so
it has no such list) gets a statistics target of 10 for it; ``server.db.engine.migrate``
analyses the database after every upgrade, so the shorter list is there from now, not from
autovacuum's next pass. A table added later with a
``licence`` column sets it too (``tests/server/test_migrations.py`` checks every one).
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"

TARGET = 10  # entries in the most-common-values list of each licence column


def _tables() -> list[str]:
    inspector = sa.inspect(op.get_bind())
    return sorted(
        name
        for name in inspector.get_table_names()
        if name not in ("licensees", "alembic_version")
        and any(c["name"] == "licence" for c in inspector.get_columns(name))
    )


def _set(target: int) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite keeps no per-column statistics list
    for name in _tables():
        op.execute(f'ALTER TABLE "{name}" ALTER COLUMN licence SET STATISTICS {target}')


def upgrade() -> None:
    _set(TARGET)


def downgrade() -> None:
    _set(-1)  # the server's default_statistics_target
