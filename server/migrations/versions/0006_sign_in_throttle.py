"""Sign-in throttling per log-on name and per client address, not per account row
(server.db.accounts.SignInThrottle): an unknown log-on is slowed and locked like a known one.
"""

import sqlalchemy as sa
from alembic import op

from server.migrations.columns import integer, string, time

revision: str = "0006"
down_revision: str | None = "0005"


def upgrade() -> None:
    op.create_table(
        "sign_in_throttle",
        string("subject", 200),
        integer("failed_logins"),
        time("last_failed_at", nullable=True),
        time("locked_until", nullable=True),
        sa.PrimaryKeyConstraint("subject"),
    )
    # Counters already kept on accounts move to their log-on's name.
    op.execute(
        "INSERT INTO sign_in_throttle (subject, failed_logins, last_failed_at, locked_until) "
        "SELECT 'login:' || login, failed_logins, last_failed_at, locked_until FROM accounts "
        "WHERE failed_logins > 0 OR locked_until IS NOT NULL"
    )
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("failed_logins")
        batch.drop_column("last_failed_at")
        batch.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(time("last_failed_at", nullable=True))
        batch.add_column(time("locked_until", nullable=True))
    op.drop_table("sign_in_throttle")
