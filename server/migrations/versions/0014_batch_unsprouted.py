"""Seeds and tissue cultures of a batch that are not plants yet (``batches.unsprouted_count``):
BATCH-MAX-100 counts a batch's plants, and ``plant_batch.germinated`` records when seeds or
cultures become plants.

Before this revision no germination was recorded, so every untagged item of a seed or tissue
culture batch is still a seed or culture: the backfill sets the count to the untagged count,
which is what a rebuild from the log gives too.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"


def upgrade() -> None:
    with op.batch_alter_table("batches", recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("unsprouted_count", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE batches SET unsprouted_count = untagged_count "
        "WHERE origin IN ('seed', 'tissue_culture')"
    )


def downgrade() -> None:
    with op.batch_alter_table("batches", recreate="never") as batch_op:
        batch_op.drop_column("unsprouted_count")
