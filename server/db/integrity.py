"""The published checkpoints of the event log's hash chain (NO-FALSIFICATION, RETAIN-7Y).

``chain_checkpoints``: one row per licensee per UTC day, the head of its chain when the
checkpoint was taken (``chain_index``, ``row_hash``, and the head row's ``position`` for a
reader), with the time. Append-only like the log itself (migration 0010's triggers refuse
UPDATE, DELETE and, on SQLite, REPLACE). A regulator downloads them (API and console) and
keeps them; ``seedtrace db verify`` checks the log against them, so rewriting a whole chain
after a checkpoint (new hashes all the way down) is found as well (``docs/integrity.md``).
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.db.tables import BigId
from server.db.types import UtcDateTime


class ChainCheckpoint(SQLModel, table=True):
    __tablename__ = "chain_checkpoints"
    __table_args__ = (sa.UniqueConstraint("licence", "taken_on", name="uq_chain_checkpoints_day"),)

    id: int | None = Field(default=None, sa_column=sa.Column(BigId, primary_key=True))
    licence: str = Field(foreign_key="licensees.licence", max_length=40)
    taken_on: date = Field(sa_column=sa.Column(sa.Date(), nullable=False))  # UTC day
    taken_at: datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False))
    chain_index: int = Field(sa_type=sa.BigInteger)  # rows in the chain at the time
    row_hash: str = Field(max_length=64)  # the head row's hash
    position: int = Field(sa_type=sa.BigInteger)  # the head row's event_log.position
