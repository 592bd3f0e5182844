"""The log's item index, ``event_items`` (server.store.items): one row per item a logged
event names, keyed (licence, item, chain_index), so an item's audit trail reads its own rows
instead of matching every body of the licensee's log (docs/performance.md, Scale).

The rows of the events already stored are derived here from their bodies, as the ingest
writes them for new ones: the log is read a thousand rows at a time (by position, not all at
once) and the rows inserted per read. A row without a chain_index (written outside seedtrace)
is left out, as the ingest and ``db rebuild`` leave it.
"""

import sqlalchemy as sa
from alembic import op

from server.store import items

revision: str = "0018"
down_revision: str | None = "0017"

READ = 1000  # log rows per read


def upgrade() -> None:
    table = op.create_table(
        "event_items",
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("item", sa.String(length=100), nullable=False),
        sa.Column("chain_index", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("licence", "item", "chain_index"),
    )
    assert table is not None
    _backfill(table)


def downgrade() -> None:
    op.drop_table("event_items")


def _backfill(table: sa.Table) -> None:
    conn = op.get_bind()
    log = sa.Table("event_log", sa.MetaData(), autoload_with=conn)  # as it is at this revision
    after = -1
    while True:
        rows = conn.execute(
            sa.select(log.c.position, log.c.licence, log.c.chain_index, log.c.body)
            .where(log.c.position > after)
            .order_by(log.c.position)
            .limit(READ)
        ).all()
        if not rows:
            return
        derived = [
            {"licence": licence, "item": item, "chain_index": chain_index}
            for _, licence, chain_index, body in rows
            if chain_index is not None
            for item in sorted(items.named(body))
        ]
        if derived:
            conn.execute(table.insert(), derived)
        after = rows[-1][0]
