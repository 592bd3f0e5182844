"""The tables the API lists newest first per licensee are indexed by ``(licence, position)``
instead of ``licence`` alone (``server.db.tables.newest_first``): the same lookups, and the
order, so a page of a quiet licensee's sales or waste does not walk every licensee's newer rows
(docs/performance.md, Scale).
"""

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"

TABLES = ["waste", "tag_orders", "sales", "flagged_records", "reconciliations"]


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_licence_position", table, ["licence", "position"])
        op.drop_index(f"ix_{table}_licence", table_name=table)


def downgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_licence", table, ["licence"])
        op.drop_index(f"ix_{table}_licence_position", table_name=table)
