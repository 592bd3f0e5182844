"""Live plants per phase at the end of each of a licensee's local days (``plant_phase_days``),
kept by the projections (:mod:`server.store.phase_days`), so the console's phase chart reads at
most its 90 days per licensee instead of replaying the licensee's whole log per request
(docs/performance.md, Scale).

The days of the events already in the log are filled here, in one pass over the accepted
events that change the counts (:mod:`server.store.phase_days_fill`): the rows a rebuild gives.
"""

import sqlalchemy as sa
from alembic import op

from server.store import phase_days_fill

revision: str = "0019"
down_revision: str | None = "0018"


def upgrade() -> None:
    op.create_table(
        "plant_phase_days",
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("immature", sa.Integer(), nullable=False),
        sa.Column("vegetative", sa.Integer(), nullable=False),
        sa.Column("flowering", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("licence", "day"),
    )
    phase_days_fill.fill(op.get_bind())


def downgrade() -> None:
    op.drop_table("plant_phase_days")
