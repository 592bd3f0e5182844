"""The database-backed :class:`~server.compliance.rules.state.StateView` for one licensee.

Reads run on the ingest transaction's connection, so a rule sees the effect of every event
applied earlier in the same batch. Set reads are one query per call (in chunks of
:data:`CHUNK` keys, well under SQLite's and PostgreSQL's bound-parameter limits).

The licence and its users are read for nearly every event (CLOSED-OUT, USER-AUTHORISED), so
a view keeps them between events; :meth:`DbState.changed` drops them after an event that
changes them. That is safe because the ingest transaction holds the licensee's lock: nothing
else writes this licensee's state meanwhile.
"""

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from server.compliance.rules.state import (
    BatchState,
    HarvestBatchState,
    InventoryLeft,
    LicenceState,
    LocationState,
    LoggedEvent,
    OutageState,
    PackageState,
    PlantState,
    TagState,
    TransferState,
    UserState,
    latest_weight,
)
from server.db.core import table_of
from server.db.notifications import Notification
from server.db.statesync import SyncOutage
from server.db.tables import (
    AccessLoss,
    Batch,
    Correction,
    EventLog,
    HarvestBatch,
    LicenceDetails,
    Licensee,
    Location,
    Package,
    Plant,
    Tag,
    Transfer,
    TransferItem,
    User,
)

B, P, T, H = table_of(Batch), table_of(Plant), table_of(Tag), table_of(HarvestBatch)
LIC, LD, U, LOC = (
    table_of(Licensee),
    table_of(LicenceDetails),
    table_of(User),
    table_of(Location),
)
PKG, TR, ITEM, LOSS, CORR, L = (
    table_of(Package),
    table_of(Transfer),
    table_of(TransferItem),
    table_of(AccessLoss),
    table_of(Correction),
    table_of(EventLog),
)
SOUT = table_of(SyncOutage)
# A licence's own record, in :class:`LicenceState`'s order (its details row may not exist yet).
# Add the licence(s) wanted with ``.where``; the ingest's batch read uses it too.
LICENCE_RECORD = sa.select(
    LIC.c.licence,
    LIC.c.jurisdiction,
    LD.c.licence_type,
    LD.c.status,
    LD.c.closed_out_at,
    LIC.c.timezone,
).select_from(LIC.outerjoin(LD, LD.c.licence == LIC.c.licence))
NOTE = table_of(Notification)
SYSTEM_NAMES = {"metrc": "Metrc", "biotrack": "BioTrack"}
CHUNK = 2000
# Kinds after which the cached licence or users are stale.
LICENCE_KINDS = frozenset({"licence.updated", "inventory.closed_out"})
USER_KINDS = frozenset({"user.registered", "user.trained", "user.cancelled"})
OUTAGE_KINDS = ("access.lost", "access.restored")

_PLANT = (P.c.uid, P.c.batch_id, P.c.strain, P.c.phase, P.c.harvest_batch)
_TAG = (T.c.uid, T.c.tag_type, T.c.status, T.c.item_type, T.c.item_id)
_HARVEST = (
    H.c.name,
    H.c.strain,
    H.c.plant_count,
    H.c.wet_weight_grams,
    H.c.dry_weight_grams,
    H.c.net_weight_grams,
    H.c.packaged_grams,
)
_PACKAGE = (PKG.c.uid, PKG.c.source, PKG.c.category, PKG.c.strain, PKG.c.status, PKG.c.manifest_id)


def _chunks(keys: Collection[str]) -> Iterator[list[str]]:
    ordered = sorted(set(keys))
    for i in range(0, len(ordered), CHUNK):
        yield ordered[i : i + CHUNK]


class DbState:
    """The state of ``licence`` as its projections hold it.

    ``before_position``, when set, limits what is read from the event log itself (the events
    counted during an outage) to positions before it: a correction's replay sees the log as
    it stood when each replayed event was decided.
    """

    def __init__(
        self, connection: sa.Connection, licence: str, *, before_position: int | None = None
    ) -> None:
        self.conn = connection
        self.licence_id = licence
        self.before_position = before_position
        self._licence: LicenceState | None = None
        self._users: dict[str, UserState | None] = {}
        # When the event being decided was received; None in a correction's replay.
        self.receiving: datetime | None = None

    def changed(self, kind: str) -> None:
        """An event of ``kind`` was applied: forget what it may have changed."""
        if kind in LICENCE_KINDS or kind == "record.corrected":
            self._licence = None
        if kind in USER_KINDS or kind == "record.corrected":
            self._users.clear()

    # --- cultivation and tags ------------------------------------------------------------

    def batch(self, batch_id: str) -> BatchState | None:
        row = self.conn.execute(
            sa.select(
                B.c.batch_id,
                B.c.strain,
                B.c.untagged_count,
                B.c.tagged_count,
                B.c.unsprouted_count,
            ).where(B.c.licence == self.licence_id, B.c.batch_id == batch_id)
        ).first()
        return None if row is None else BatchState(*row)

    def plant(self, uid: str) -> PlantState | None:
        return self.plants([uid]).get(uid)

    def tag(self, uid: str) -> TagState | None:
        return self.tags([uid]).get(uid)

    def harvest_batch(self, name: str) -> HarvestBatchState | None:
        return self.harvest_batches([name]).get(name)

    def _many(
        self,
        table: sa.Table,
        columns: Sequence[sa.ColumnElement[Any]],
        key: str,
        keys: Collection[str],
    ) -> list[sa.Row[Any]]:
        rows: list[sa.Row[Any]] = []
        for chunk in _chunks(keys):
            rows += self.conn.execute(
                sa.select(*columns).where(
                    table.c.licence == self.licence_id, table.c[key].in_(chunk)
                )
            ).all()
        return rows

    def plants(self, uids: Collection[str]) -> dict[str, PlantState]:
        return {r.uid: PlantState(*tuple(r)) for r in self._many(P, _PLANT, "uid", uids)}

    def tags(self, uids: Collection[str]) -> dict[str, TagState]:
        return {r.uid: TagState(*tuple(r)) for r in self._many(T, _TAG, "uid", uids)}

    def harvest_batches(self, names: Collection[str]) -> dict[str, HarvestBatchState]:
        return {
            r.name: HarvestBatchState(*tuple(r)) for r in self._many(H, _HARVEST, "name", names)
        }

    def packages(self, uids: Collection[str]) -> dict[str, PackageState]:
        return {r.uid: PackageState(*tuple(r)) for r in self._many(PKG, _PACKAGE, "uid", uids)}

    # --- the licence, its premises and people -------------------------------------------

    def licence(self) -> LicenceState:
        if self._licence is None:
            row = self.conn.execute(LICENCE_RECORD.where(LIC.c.licence == self.licence_id)).one()
            self._licence = LicenceState(*row)
        return self._licence

    def user(self, user_id: str) -> UserState | None:
        if user_id not in self._users:
            row = self.conn.execute(
                sa.select(
                    U.c.user_id, U.c.full_name, U.c.role, U.c.first_trained_on, U.c.cancelled_at
                ).where(U.c.licence == self.licence_id, U.c.user_id == user_id)
            ).first()
            self._users[user_id] = None if row is None else UserState(*row)
        return self._users[user_id]

    def location(self, name: str) -> LocationState | None:
        row = self.conn.execute(
            sa.select(LOC.c.name, LOC.c.location_kind).where(
                LOC.c.licence == self.licence_id, LOC.c.name == name
            )
        ).first()
        return None if row is None else LocationState(*row)

    # --- transfers, outages, the log ----------------------------------------------------

    def transfer(self, direction: str, manifest_id: str) -> TransferState | None:
        key = (
            TR.c.licence == self.licence_id,
            TR.c.direction == direction,
            TR.c.manifest_id == manifest_id,
        )
        row = self.conn.execute(sa.select(TR.c.status, TR.c.recorded_at).where(*key)).first()
        if row is None:
            return None
        items = self.conn.execute(
            sa.select(ITEM.c.uid, ITEM.c.decision).where(
                ITEM.c.licence == self.licence_id,
                ITEM.c.direction == direction,
                ITEM.c.manifest_id == manifest_id,
            )
        ).all()
        return TransferState(
            manifest_id,
            direction,
            row.status,
            row.recorded_at,
            tuple(i.uid for i in items),
            frozenset(i.uid for i in items if i.decision is not None),
        )

    def _losses(self, *where: sa.ColumnElement[bool]) -> list[OutageState]:
        """Losses of access with the count of events the log holds from their span: one
        query, a counting subquery per loss over the (licence, occurred_at) index."""
        during = sa.and_(
            L.c.licence == LOSS.c.licence,
            L.c.occurred_at >= LOSS.c.lost_at,
            sa.or_(LOSS.c.restored_at.is_(None), L.c.occurred_at <= LOSS.c.restored_at),
            sa.or_(LOSS.c.station_id.is_(None), L.c.station_id == LOSS.c.station_id),
            L.c.kind.not_in(OUTAGE_KINDS),
        )
        if self.before_position is not None:
            during = sa.and_(during, L.c.position < self.before_position)
        entered = sa.select(sa.func.count()).where(during).scalar_subquery()
        rows = self.conn.execute(
            sa.select(
                LOSS.c.lost_event_id,
                LOSS.c.station_id,
                LOSS.c.lost_at,
                LOSS.c.restored_at,
                LOSS.c.backlog,
                entered,
            )
            .where(LOSS.c.licence == self.licence_id, *where)
            .order_by(LOSS.c.lost_at)
        ).all()
        return [OutageState(*tuple(r)) for r in rows]

    def outage(self, lost_event_id: str) -> OutageState | None:
        found = self._losses(LOSS.c.lost_event_id == lost_event_id)
        return found[0] if found else None

    def outages(self, at: datetime) -> list[OutageState]:
        # A correction's replay judges the record as it stood; the state link's health is of
        # now, so its losses are left out of a replay.
        links = self._link_losses() if self.before_position is None else []
        return [
            o
            for o in [*self._losses(), *links]
            if o.restored_at is None
            or (o.backlog is not None and o.entered < o.backlog)
            or o.lost_at <= at <= o.restored_at
        ]

    def received_at(self) -> datetime | None:
        return self.receiving

    def inventory_left(self) -> InventoryLeft:
        """Five counts in one query: untagged batch items, live plants, harvest batches with
        weight not packaged or wasted, packages not departed, unassigned UIDs."""
        lic = self.licence_id

        def count(table: Any, *where: sa.ColumnElement[bool]) -> sa.ScalarSelect[Any]:
            return (
                sa.select(sa.func.count()).where(table.c.licence == lic, *where).scalar_subquery()
            )

        row = self.conn.execute(
            sa.select(
                sa.select(sa.func.coalesce(sa.func.sum(B.c.untagged_count), 0))
                .where(B.c.licence == lic)
                .scalar_subquery(),
                count(P, P.c.phase.not_in(("harvested", "destroyed"))),
                count(PKG, PKG.c.status != "departed"),
                count(T, T.c.status == "available"),
            )
        ).one()
        untagged, plants, packages, uids = (int(v) for v in row)
        return InventoryLeft(untagged, plants, self._harvests_left(), packages, uids)

    def _harvests_left(self) -> int:
        """Harvest batches with grams neither packaged nor wasted. The weights are exact
        decimal text (``server.db.types.ExactDecimal``), which SQL would add as strings, so
        the grams are compared here, over the batches the projections mark ``has_left`` (its
        index): a batch with grams left after waste has them before it too."""
        rows = self.conn.execute(
            sa.select(
                H.c.net_weight_grams,
                H.c.dry_weight_grams,
                H.c.wet_weight_grams,
                H.c.packaged_grams,
                H.c.waste_grams,
            ).where(H.c.licence == self.licence_id, H.c.has_left.is_(True))
        )
        return sum(
            1
            for net, dry, wet, packaged, waste in rows
            if latest_weight(wet, dry, net) - packaged - waste > 0
        )

    def _link_losses(self) -> list[OutageState]:
        """Losses of access to the state system, as the connector recorded them: the backlog
        is through once its OUTAGE-BACKFILL notification is resolved (the connector resolves
        it when nothing is left to file)."""
        rows = self.conn.execute(
            sa.select(
                SOUT.c.id,
                SOUT.c.system,
                SOUT.c.lost_at,
                SOUT.c.restored_at,
                SOUT.c.backlog_at_restore,
                NOTE.c.state,
            )
            .select_from(SOUT.outerjoin(NOTE, NOTE.c.id == SOUT.c.notification_id))
            .where(SOUT.c.licence == self.licence_id)
            .order_by(SOUT.c.lost_at)
        ).all()
        found = []
        for r in rows:
            backlog: int | None
            if r.restored_at is None:
                backlog, entered = None, 0
            elif r.state not in ("open", "overdue"):  # through: all of it filed
                backlog = entered = r.backlog_at_restore or 0
            else:  # restored, still filing what waited
                backlog, entered = max(r.backlog_at_restore or 0, 1), 0
            system = SYSTEM_NAMES.get(r.system, r.system)
            found.append(
                OutageState(
                    f"state-link:{r.id}",
                    None,
                    r.lost_at,
                    r.restored_at,
                    backlog,
                    entered,
                    system=system,
                )
            )
        return found

    def logged_event(self, event_id: str) -> LoggedEvent | None:
        by, own = CORR.alias("corrected_by"), CORR.alias("own")
        row = self.conn.execute(
            sa.select(
                L.c.event_id,
                L.c.licence,
                L.c.kind,
                L.c.outcome,
                by.c.event_id,
                own.c.replacement_kind,
            )
            .select_from(
                L.outerjoin(by, by.c.corrects == L.c.event_id).outerjoin(
                    own, own.c.event_id == L.c.event_id
                )
            )
            .where(L.c.event_id == event_id)
        ).first()
        return None if row is None else LoggedEvent(*row)
