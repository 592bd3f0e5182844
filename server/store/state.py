"""The database-backed :class:`~server.rules.state.StateView` for one licensee.

Reads run on the ingest transaction's connection, so a rule sees the effect of every event
applied earlier in the same batch.
"""

import sqlalchemy as sa

from server.db.tables import Batch, HarvestBatch, Plant, Tag
from server.rules.state import BatchState, HarvestBatchState, PlantState, TagState

B, P, T, H = Batch.__table__, Plant.__table__, Tag.__table__, HarvestBatch.__table__  # type: ignore[attr-defined]


class DbState:
    def __init__(self, connection: sa.Connection, licence: str) -> None:
        self.conn = connection
        self.licence = licence

    def batch(self, batch_id: str) -> BatchState | None:
        row = self.conn.execute(
            sa.select(B.c.batch_id, B.c.strain, B.c.untagged_count, B.c.tagged_count).where(
                B.c.licence == self.licence, B.c.batch_id == batch_id
            )
        ).first()
        return None if row is None else BatchState(*row)

    def plant(self, uid: str) -> PlantState | None:
        row = self.conn.execute(
            sa.select(P.c.uid, P.c.batch_id, P.c.strain, P.c.phase, P.c.harvest_batch).where(
                P.c.licence == self.licence, P.c.uid == uid
            )
        ).first()
        return None if row is None else PlantState(*row)

    def tag(self, uid: str) -> TagState | None:
        row = self.conn.execute(
            sa.select(T.c.uid, T.c.tag_type, T.c.status, T.c.item_type, T.c.item_id).where(
                T.c.licence == self.licence, T.c.uid == uid
            )
        ).first()
        return None if row is None else TagState(*row)

    def harvest_batch(self, name: str) -> HarvestBatchState | None:
        row = self.conn.execute(
            sa.select(
                H.c.name,
                H.c.strain,
                H.c.plant_count,
                H.c.wet_weight_grams,
                H.c.dry_weight_grams,
                H.c.net_weight_grams,
            ).where(H.c.licence == self.licence, H.c.name == name)
        ).first()
        return None if row is None else HarvestBatchState(*row)
