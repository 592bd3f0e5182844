"""Recorded physical inventory audits (``inventory_audits``, the projection of
``inventory.audited``: AUDIT-VARIANCE; docs/mqtt.md, docs/analytics.md).
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"


def upgrade() -> None:
    op.create_table(
        "inventory_audits",
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("audit_id", sa.String(length=100), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("audited_by", sa.String(length=100), nullable=False),
        sa.Column("audited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("variances", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("position"),
    )
    op.create_index("ix_inventory_audits_licence", "inventory_audits", ["licence"])


def downgrade() -> None:
    op.drop_index("ix_inventory_audits_licence", table_name="inventory_audits")
    op.drop_table("inventory_audits")
