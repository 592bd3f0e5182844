"""Recorded physical inventory audits (``inventory_audits``, the projection of
``inventory.audited``: AUDIT-VARIANCE; docs/mqtt.md, docs/analytics.md).
"""

from alembic import op

from server.migrations.columns import integer, string, time
from server.migrations.tables import per_event

revision: str = "0016"
down_revision: str | None = "0015"


def upgrade() -> None:
    per_event(
        "inventory_audits",
        string("audit_id", 100),
        integer("part"),
        integer("parts"),
        string("audited_by", 100),
        time("audited_at"),
        string("recorded_by", 64),
        integer("lines"),
        integer("variances"),
    )
    op.create_index("ix_inventory_audits_licence", "inventory_audits", ["licence"])


def downgrade() -> None:
    op.drop_index("ix_inventory_audits_licence", table_name="inventory_audits")
    op.drop_table("inventory_audits")
