"""Invoices (SALES-INVOICE, CA 8401): the price of each item of an outgoing transfer, the
manifest's discount and recording user (the seller's signature), and the purchaser's signed
acknowledgement (``invoice.acknowledged``). Projections only: a rebuild fills them from the log.
"""

import sqlalchemy as sa
from alembic import op

from server.migrations.columns import decimal, string, time

revision: str = "0011"
down_revision: str | None = "0010"


def _transfer_columns() -> list[sa.Column[object]]:
    return [
        string("recorded_by", 64, nullable=True),
        decimal("discount", nullable=True),
        string("purchaser_signed_by", 100, nullable=True),
        time("purchaser_signed_at", nullable=True),
        string("purchaser_signature_recorded_by", 64, nullable=True),
    ]


def upgrade() -> None:
    with op.batch_alter_table("transfers", recreate="never") as batch_op:
        for column in _transfer_columns():
            batch_op.add_column(column)
    with op.batch_alter_table("transfer_items", recreate="never") as batch_op:
        batch_op.add_column(decimal("price", nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transfer_items", recreate="never") as batch_op:
        batch_op.drop_column("price")
    with op.batch_alter_table("transfers", recreate="never") as batch_op:
        for column in reversed(_transfer_columns()):
            batch_op.drop_column(column.name)
