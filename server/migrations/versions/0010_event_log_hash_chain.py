"""The event log's hash chain and its published checkpoints (NO-FALSIFICATION, RETAIN-7Y).

- ``event_log`` gains ``chain_index``, ``prev_hash`` and ``row_hash`` (server.store.chain,
  docs/integrity.md), unique per (licence, chain_index). The rows already stored are chained
  here, per licensee in ``position`` order (the order they were decided): the append-only
  trigger is lifted for that one UPDATE and put back in the same transaction.
- ``chain_checkpoints``: the daily heads, append-only (UPDATE, DELETE and, on SQLite, a
  REPLACE are refused, as on the log).
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from server.db.types import UtcDateTime
from server.migrations.columns import big, date, string, time
from server.migrations.tables import allow_changes, numbered, refuse_changes
from server.store import chain

revision: str = "0010"
down_revision: str | None = "0008"

LOG_REFUSAL = "event_log is append-only: the legal record cannot be changed (NO-FALSIFICATION)"
CHECKPOINT_REFUSAL = (
    "chain_checkpoints is append-only: a published checkpoint cannot be changed (NO-FALSIFICATION)"
)


def upgrade() -> None:
    with op.batch_alter_table("event_log", recreate="never") as batch_op:
        batch_op.add_column(big("chain_index", nullable=True))
        batch_op.add_column(string("prev_hash", 64, nullable=True))
        batch_op.add_column(string("row_hash", 64, nullable=True))
    _backfill()
    op.create_index(
        "ux_event_log_licence_chain", "event_log", ["licence", "chain_index"], unique=True
    )
    numbered(
        "chain_checkpoints",
        date("taken_on"),
        time("taken_at"),
        big("chain_index"),
        string("row_hash", 64),
        big("position"),
        sa.ForeignKeyConstraint(["licence"], ["licensees.licence"]),
        sa.UniqueConstraint("licence", "taken_on", name="uq_chain_checkpoints_day"),
    )
    _checkpoints_append_only()


def downgrade() -> None:
    allow_changes("chain_checkpoints", ("update", "delete", "replace"))
    op.drop_table("chain_checkpoints")
    op.drop_index("ux_event_log_licence_chain", table_name="event_log")
    with op.batch_alter_table("event_log", recreate="never") as batch_op:
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("chain_index")


_TYPES: dict[str, sa.types.TypeEngine[Any]] = {
    "sequence": sa.BigInteger(),
    "occurred_at": UtcDateTime(),
    "received_at": UtcDateTime(),
}
LOG = sa.table(
    "event_log",
    sa.column("position", sa.BigInteger()),
    *(sa.column(n, _TYPES.get(n, sa.String())) for n in chain.COLUMNS if n != "chain_index"),
    sa.column("chain_index", sa.BigInteger()),
    sa.column("prev_hash", sa.String()),
    sa.column("row_hash", sa.String()),
)


def _backfill() -> None:
    """Chain the stored rows, per licensee in position order, a thousand rows per UPDATE."""
    conn = op.get_bind()
    dialect = conn.dialect.name
    columns = [LOG.c.position, *(LOG.c[n] for n in chain.COLUMNS if n != "chain_index")]
    rows = conn.execute(sa.select(*columns).order_by(LOG.c.licence, LOG.c.position)).mappings()
    update = (
        LOG.update()
        .where(LOG.c.position == sa.bindparam("k_position"))
        .values(
            chain_index=sa.bindparam("chain_index"),
            prev_hash=sa.bindparam("prev_hash"),
            row_hash=sa.bindparam("row_hash"),
        )
    )
    _lift_log_trigger(dialect)
    heads: dict[str, chain.Head] = {}
    pending: list[dict[str, object]] = []
    for row in rows:
        own = dict(row)  # times come back aware (UtcDateTime), as the ingest hashed them
        licence = str(own["licence"])
        links, heads[licence] = chain.link(heads.get(licence, chain.EMPTY), [own])
        pending.append(
            {
                "k_position": own["position"],
                "chain_index": links[0].chain_index,
                "prev_hash": links[0].prev_hash,
                "row_hash": links[0].row_hash,
            }
        )
        if len(pending) >= 1000:
            conn.execute(update, pending)
            pending = []
    if pending:
        conn.execute(update, pending)
    _restore_log_trigger(dialect)


def _lift_log_trigger(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute("ALTER TABLE event_log DISABLE TRIGGER event_log_no_update_delete")
    else:
        op.execute("DROP TRIGGER event_log_no_update")


def _restore_log_trigger(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute("ALTER TABLE event_log ENABLE TRIGGER event_log_no_update_delete")
    else:
        op.execute(
            "CREATE TRIGGER event_log_no_update BEFORE UPDATE ON event_log "
            f"BEGIN SELECT RAISE(ABORT, '{LOG_REFUSAL}'); END"
        )


def _checkpoints_append_only() -> None:
    refuse_changes("chain_checkpoints", CHECKPOINT_REFUSAL)
    if op.get_context().dialect.name == "postgresql":
        return
    # As migration 0007 does for the log: a REPLACE would delete without the DELETE trigger.
    op.execute(
        "CREATE TRIGGER chain_checkpoints_no_replace BEFORE INSERT ON chain_checkpoints "
        "WHEN EXISTS (SELECT 1 FROM chain_checkpoints WHERE id = NEW.id "
        "OR (licence = NEW.licence AND taken_on = NEW.taken_on)) "
        f"BEGIN SELECT RAISE(ABORT, '{CHECKPOINT_REFUSAL}'); END"
    )
