"""Indexes so two reads stop growing with a licensee's history (docs/performance.md, Scale,
changes 16 and 17):

- ``plants (licence, phase)``: the console's plants by room and phase reads a licensee's live
  plants, not every plant it ever harvested or destroyed;
- ``tags (licence, tag_type) WHERE status = 'available'`` and ``tags (assigned_at, licence,
  tag_type) WHERE assigned_at IS NOT NULL``: the deadline sweep's tag stock (TAG-SUPPLY) reads
  the tags on hand and those assigned in the rate window, not the whole ledger.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"

AVAILABLE = sa.text("status = 'available'")
ASSIGNED = sa.text("assigned_at IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_plants_licence_phase", "plants", ["licence", "phase"])
    op.create_index(
        "ix_tags_available",
        "tags",
        ["licence", "tag_type"],
        postgresql_where=AVAILABLE,
        sqlite_where=AVAILABLE,
    )
    op.create_index(
        "ix_tags_assigned_at",
        "tags",
        ["assigned_at", "licence", "tag_type"],
        postgresql_where=ASSIGNED,
        sqlite_where=ASSIGNED,
    )


def downgrade() -> None:
    op.drop_index("ix_tags_assigned_at", table_name="tags")
    op.drop_index("ix_tags_available", table_name="tags")
    op.drop_index("ix_plants_licence_phase", table_name="plants")
