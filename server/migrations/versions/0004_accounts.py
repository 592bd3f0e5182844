"""Accounts: log-ons, password hashes, sessions, regulators' oversight, station credentials.

Nothing here is part of the legal record (see ``server/db/accounts.py``); the roster itself
(users, roles, training, cancellation) is in the event log.
"""

import sqlalchemy as sa
from alembic import op

from server.migrations.columns import BIG_ID, time

revision: str = "0004"
down_revision: str | None = "0003"


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("account_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column(
            "licence", sa.String(length=40), sa.ForeignKey("licensees.licence"), nullable=True
        ),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("mqtt_password_hash", sa.Text(), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        time("last_failed_at", nullable=True),
        time("locked_until", nullable=True),
        time("created_at"),
        time("password_changed_at", nullable=True),
        time("disabled_at", nullable=True),
        sa.UniqueConstraint("login", name="uq_accounts_login"),
        sa.UniqueConstraint("licence", "kind", "subject_id", name="uq_accounts_subject"),
    )
    op.create_table(
        "regulator_licensees",
        sa.Column(
            "account_id",
            BIG_ID,
            sa.ForeignKey("accounts.account_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "licence", sa.String(length=40), sa.ForeignKey("licensees.licence"), primary_key=True
        ),
    )
    op.create_table(
        "account_sessions",
        sa.Column("token_sha256", sa.String(length=64), primary_key=True),
        sa.Column(
            "account_id",
            BIG_ID,
            sa.ForeignKey("accounts.account_id", ondelete="CASCADE"),
            nullable=False,
        ),
        time("created_at"),
        time("expires_at"),
        time("revoked_at", nullable=True),
    )
    op.create_index("ix_account_sessions_account_id", "account_sessions", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_account_sessions_account_id", table_name="account_sessions")
    op.drop_table("account_sessions")
    op.drop_table("regulator_licensees")
    op.drop_table("accounts")
