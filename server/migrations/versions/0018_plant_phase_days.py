"""Live plants per phase at the end of each of a licensee's local days (``plant_phase_days``),
kept by the projections (:mod:`server.store.phase_days`), so the console's phase chart reads at
most its 90 days per licensee instead of replaying the licensee's whole log per request
(docs/performance.md, Scale).

A database with events from before this revision gets the table empty: ``seedtrace db
rebuild`` fills it from the log (docs/performance.md, "What grows with what"). Filling it here
would need the projections' own replay, which a migration must not import.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"


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


def downgrade() -> None:
    op.drop_table("plant_phase_days")
