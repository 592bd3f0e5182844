"""What the deadline engine keeps from accepted events, and reads back for the definitions.

:func:`record` runs first for every accepted event (on the ingest transaction's connection, so
the licensee's row is locked and a read-then-write cannot race). :class:`DbFacts` is the
database-backed :class:`~server.compliance.deadlines.model.Facts` for one licensee; it also reads
the ``tags`` projection (tag stock) and the ``event_log`` (an outage's backlog entered so far),
never writing either. :func:`load_calendar` builds the licensee's calendar.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, cast, get_args
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from schemas.events import EventEnvelope, TagsReceived
from schemas.records import (
    AccessLost,
    AccessRestored,
    LicenceUpdated,
    TagsOrdered,
    TrainingRegistered,
    UserRegistered,
    UserTrained,
)
from server.compliance.deadlines.model import (
    DEFAULT_CLOSE,
    LicenseeCalendar,
    Outage,
    Person,
    TagStock,
)
from server.compliance.rules.calendar import Jurisdiction
from server.compliance.rules.catalogue import pack
from server.db.core_tables import DEADLINE_LICENSEES as DL
from server.db.core_tables import DEADLINE_OUTAGES as OUT
from server.db.core_tables import DEADLINE_PEOPLE as PEOPLE
from server.db.core_tables import EVENT_LOG as LOG
from server.db.core_tables import LICENSEES as LIC
from server.db.core_tables import TAGS
from server.db.pipelined import MATCH, Match
from server.db.upsert import upsert

OUTAGE_KINDS = ("access.lost", "access.restored")


_RECORDED = (
    LicenceUpdated,
    TagsOrdered,
    TagsReceived,
    UserRegistered,
    UserTrained,
    TrainingRegistered,
    AccessLost,
    AccessRestored,
)
# Their kinds: every accepted event passes here, and nearly all are of none of them.
RECORDED_KINDS = frozenset(cls.model_fields["kind"].default for cls in _RECORDED)


def record(conn: sa.Connection, event: EventEnvelope) -> bool:
    """Keep what the deadlines need from ``event`` (accepted); returns whether anything was
    kept (other kinds change nothing)."""
    if event.kind not in RECORDED_KINDS:
        return False
    lic, p = event.licence, event.payload
    if isinstance(p, UserTrained):
        _update_person(conn, lic, p.user_id, {"trained_on": p.trained_on})
        return True
    if isinstance(p, TrainingRegistered):
        _update_person(conn, lic, p.user_id, {"training_registered_on": p.registered_on})
        return True
    row = _row(event)
    if row is None:
        return False
    table, key, values = row
    upsert(conn, table, {"licence": lic, **key}, values)
    return True


def _row(event: EventEnvelope) -> tuple[sa.Table, dict[str, str], dict[str, Any]] | None:
    """The row ``event`` sets: its table, its key beside the licence and the values it sets;
    None when it sets nothing (a licence update that changes no date the deadlines use)."""
    p, at = event.payload, event.occurred_at
    if isinstance(p, LicenceUpdated):
        dates = {"close_of_business": p.close_of_business, "licensure_date": p.licensure_date}
        values = {name: value for name, value in dates.items() if value is not None}
        return (DL, {}, values) if values else None
    if isinstance(p, TagsOrdered):
        return DL, {}, {"tags_ordered_at": at}
    if isinstance(p, TagsReceived):
        return DL, {}, {"tags_received_at": at if p.delivered_at is None else p.delivered_at}
    if isinstance(p, UserRegistered):
        return PEOPLE, {"user_id": p.user_id}, {"role": p.role.value, "registered_at": at}
    if isinstance(p, AccessLost):
        lost = {"station_id": p.station_id, "lost_at": p.lost_at, "lost_cause": p.cause}
        return OUT, {"lost_event_id": event.event_id}, lost
    if isinstance(p, AccessRestored):
        restored = {
            "restored_at": p.restored_at,
            "restored_event_id": event.event_id,
            "restored_cause": p.cause,
            "backlog": p.backlog,
        }
        return OUT, {"lost_event_id": p.lost_event_id}, restored
    return None


def _update_person(conn: sa.Connection, lic: str, user_id: str, values: dict[str, date]) -> None:
    # A training record of someone never registered changes nothing here: USER-AUTHORISED and
    # the roster rules are the rules' business, not the deadlines'.
    conn.execute(
        PEOPLE.update().where(PEOPLE.c.licence == lic, PEOPLE.c.user_id == user_id).values(values)
    )


def load_calendar(conn: sa.Connection, licence: str) -> LicenseeCalendar | None:
    """The licensee's calendar, or None when the licence is not registered."""
    row = conn.execute(
        sa.select(LIC.c.jurisdiction, LIC.c.timezone, DL.c.close_of_business, DL.c.licensure_date)
        .select_from(LIC.outerjoin(DL, DL.c.licence == LIC.c.licence))
        .where(LIC.c.licence == licence)
    ).first()
    return None if row is None else calendar(licence, *row)


def calendar(
    licence: str,
    jurisdiction: str,
    timezone: str,
    close: time | None,
    licensure_date: date | None,
) -> LicenseeCalendar:
    """The calendar of a registered licensee, from its rows."""
    if jurisdiction not in get_args(Jurisdiction):
        raise ValueError(f"licensee {licence} has an unknown jurisdiction {jurisdiction!r}")
    checked = cast(Jurisdiction, jurisdiction)
    return LicenseeCalendar(
        licence=licence,
        jurisdiction=checked,
        tz=ZoneInfo(timezone),
        close=DEFAULT_CLOSE if close is None else close,
        licensure_date=licensure_date,
        rules=pack(checked),
    )


_PERSON = (
    PEOPLE.c.user_id,
    PEOPLE.c.role,
    PEOPLE.c.registered_at,
    PEOPLE.c.trained_on,
    PEOPLE.c.training_registered_on,
)
_OUTAGE = (
    OUT.c.lost_event_id,
    OUT.c.station_id,
    OUT.c.lost_at,
    OUT.c.lost_cause,
    OUT.c.restored_at,
    OUT.c.backlog,
)


@dataclass(frozen=True, slots=True)
class BatchReads:
    """What the engine reads once per ingest batch, for all the batch's licensees at once:
    their calendars and their losses of access."""

    calendars: sa.Select[Any]
    outages: sa.Select[Any]


def _batch_reads(match: Match) -> BatchReads:
    return BatchReads(
        sa.select(
            LIC.c.licence,
            LIC.c.jurisdiction,
            LIC.c.timezone,
            DL.c.close_of_business,
            DL.c.licensure_date,
        )
        .select_from(LIC.outerjoin(DL, DL.c.licence == LIC.c.licence))
        .where(match(LIC.c.licence, "licences")),
        sa.select(OUT.c.licence, *_OUTAGE)
        .where(match(OUT.c.licence, "licences"))
        .order_by(OUT.c.licence, OUT.c.lost_event_id),
    )


BATCH_READS = {dialect: _batch_reads(match) for dialect, match in MATCH.items()}


def in_transit(ordered: datetime | None, received: datetime | None, at: datetime) -> bool:
    """Whether tags ordered at ``ordered`` and last received at ``received`` (None: never) are
    in transit at ``at``: ordered by then and not received since the order, by then."""
    if ordered is None or ordered > at:
        return False
    return received is None or received < ordered or received > at


class DbFacts:
    """:class:`~server.compliance.deadlines.model.Facts` of one licensee, read on ``conn``.
    ``sync`` is called before reading the event log or the ``tags`` projection (see
    :meth:`~server.compliance.deadlines.engine.DeadlineEngine.after_event`)."""

    def __init__(
        self,
        conn: sa.Connection,
        licence: str,
        sync: Callable[[], None] | None = None,
        *,
        outages: list[Outage] | None = None,
    ) -> None:
        self.conn = conn
        self.licence = licence
        self.sync = sync
        self._all_outages = outages  # None: not read yet

    def _synced(self) -> None:
        if self.sync is not None:
            self.sync()

    def _dates(self) -> tuple[datetime | None, datetime | None]:
        row = self.conn.execute(
            sa.select(DL.c.tags_ordered_at, DL.c.tags_received_at).where(
                DL.c.licence == self.licence
            )
        ).first()
        return (None, None) if row is None else (row.tags_ordered_at, row.tags_received_at)

    def tags_ordered(self) -> bool:
        return self._dates()[0] is not None

    def tags_in_transit(self, at: datetime) -> bool:
        return in_transit(*self._dates(), at)

    def _rows(
        self, columns: tuple[sa.Column[Any], ...], *where: sa.ColumnElement[bool]
    ) -> Sequence[Sequence[Any]]:
        """The licensee's rows of ``columns`` (of one table, with a ``licence`` column) that
        match ``where``, in the order of the first column (the table's key)."""
        key = columns[0]
        return self.conn.execute(
            sa.select(*columns).where(key.table.c.licence == self.licence, *where).order_by(key)
        ).all()

    def person(self, user_id: str) -> Person | None:
        found = self._rows(_PERSON, PEOPLE.c.user_id == user_id)
        return Person(*found[0]) if found else None

    def people(self) -> Sequence[Person]:
        return [Person(*r) for r in self._rows(_PERSON)]

    def outage(self, lost_event_id: str) -> Outage | None:
        found = self._rows(_OUTAGE, OUT.c.lost_event_id == lost_event_id)
        return Outage(*found[0]) if found else None

    def outages_covering(self, moment: datetime, station_id: str) -> Sequence[Outage]:
        if self._all_outages is None:  # read once: asked for every event, and rarely many
            self._all_outages = [Outage(*r) for r in self._rows(_OUTAGE)]
        return [o for o in self._all_outages if o.covers(moment, station_id)]

    def entered_during(self, outage: Outage) -> int:
        if outage.lost_at is None or outage.restored_at is None:
            return 0
        self._synced()
        query = (
            sa.select(sa.func.count())
            .select_from(LOG)
            .where(
                LOG.c.licence == self.licence,
                LOG.c.outcome == "accepted",
                LOG.c.occurred_at >= outage.lost_at,
                LOG.c.occurred_at < outage.restored_at,
                LOG.c.kind.not_in(OUTAGE_KINDS),
            )
        )
        if outage.station_id is not None:
            query = query.where(LOG.c.station_id == outage.station_id)
        return int(self.conn.execute(query).scalar_one())

    def tag_stock(self, tag_type: str, since: datetime) -> TagStock:
        self._synced()
        mine = sa.and_(TAGS.c.licence == self.licence, TAGS.c.tag_type == tag_type)
        row = self.conn.execute(
            sa.select(
                sa.func.count().filter(TAGS.c.status == "available"),
                sa.func.count().filter(TAGS.c.assigned_at >= since),
                sa.func.max(TAGS.c.received_at),
            ).where(mine)
        ).one()
        return TagStock(tag_type, int(row[0]), int(row[1]), row[2])
