"""The console's inventory page reads what is current, not a licensee's history
(docs/performance.md, Scale, change 19):

- ``batches (licence) WHERE untagged_count > 0``: the batches that still hold untagged
  plants, seeds or cultures (what BATCH-MAX-100 counts is among them), for the page's batches
  and its rooms;
- ``harvest_batches.has_left``: whether the batch has grams left to package (its latest
  recorded weight less what went into packages), kept by the projections, since the weights are
  exact decimal text that SQL cannot compare; filled here from each row;
- ``harvest_batches (licence, first_harvest_at) WHERE has_left`` and ``WHERE net_weight_grams
  IS NULL``: the open harvest batches, in order of their first harvest.
"""

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"

HOLDING = sa.text("untagged_count > 0")
HAS_LEFT = sa.text("has_left")
NO_NET = sa.text("net_weight_grams IS NULL")


def upgrade() -> None:
    op.add_column(
        "harvest_batches",
        sa.Column("has_left", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    h = sa.table(
        "harvest_batches",
        sa.column("licence", sa.String),
        sa.column("name", sa.String),
        sa.column("wet_weight_grams", sa.String),
        sa.column("dry_weight_grams", sa.String),
        sa.column("net_weight_grams", sa.String),
        sa.column("packaged_grams", sa.String),
        sa.column("has_left", sa.Boolean),
    )
    conn = op.get_bind()
    done = [
        {"k_licence": r.licence, "k_name": r.name}
        for r in conn.execute(sa.select(h))
        # The latest recorded weight (net, else dry, else wet) less what was packaged:
        # exact decimals in Python, as server.compliance.rules.state.has_left computes it.
        if _latest(r) - Decimal(r.packaged_grams) <= 0
    ]
    if done:
        conn.execute(
            h.update()
            .where(h.c.licence == sa.bindparam("k_licence"), h.c.name == sa.bindparam("k_name"))
            .values(has_left=False),
            done,
        )
    op.create_index(
        "ix_batches_holding",
        "batches",
        ["licence"],
        postgresql_where=HOLDING,
        sqlite_where=HOLDING,
    )
    for name, where in (
        ("ix_harvest_batches_left", HAS_LEFT),
        ("ix_harvest_batches_no_net", NO_NET),
    ):
        op.create_index(
            name,
            "harvest_batches",
            ["licence", "first_harvest_at"],
            postgresql_where=where,
            sqlite_where=where,
        )


def _latest(r: sa.Row[Any]) -> Decimal:
    """Net once known, else dry, else wet (grams)."""
    for text in (r.net_weight_grams, r.dry_weight_grams, r.wet_weight_grams):
        if text is not None:
            return Decimal(text)
    raise ValueError(f"harvest batch {r.name} of {r.licence} has no wet weight")


def downgrade() -> None:
    op.drop_index("ix_harvest_batches_no_net", table_name="harvest_batches")
    op.drop_index("ix_harvest_batches_left", table_name="harvest_batches")
    op.drop_index("ix_batches_holding", table_name="batches")
    op.drop_column("harvest_batches", "has_left")
