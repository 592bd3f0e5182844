"""Projections of the licence, its premises and people, tag orders, losses of access,
flagged and corrected records, diversion, reconciliations and physical audits (see
:mod:`server.store.projections`).

A ``record.corrected`` only adds its row to ``corrections`` here: the replacement's effect
on every other projection comes from replaying the log with the replacement in the
original's place (:mod:`server.store.corrections`, :mod:`server.store.rebuild`).
"""

import json
from typing import Any

import sqlalchemy as sa

from schemas.events import EventEnvelope, RecordCorrected
from schemas.records import (
    AccessLost,
    AccessRestored,
    DiversionDiscovered,
    DiversionReported,
    InventoryAudited,
    InventoryClosedOut,
    LicenceUpdated,
    LocationAdded,
    ReconciliationRecorded,
    RecordFlagged,
    TagsOrdered,
    TrainingRegistered,
    UserCancelled,
    UserRegistered,
    UserTrained,
)
from server.db.core import table_of
from server.db.tables import (
    AccessLoss,
    Correction,
    Diversion,
    DiversionReport,
    FlaggedRecord,
    InventoryAudit,
    LicenceDetails,
    Location,
    Reconciliation,
    TagOrder,
    TrainingRecord,
    TrainingRegistration,
    User,
)
from server.db.upsert import update, upsert
from server.store.registry import projects
from server.store.rows import AT, BY, EVENT_ID, POSITION, Row, inserts

LD, LOC, U, TREC, TREG, ORD, LOSS, FLAG, CORR, DIV, DREP, REC, AUD = (
    table_of(LicenceDetails),
    table_of(Location),
    table_of(User),
    table_of(TrainingRecord),
    table_of(TrainingRegistration),
    table_of(TagOrder),
    table_of(AccessLoss),
    table_of(FlaggedRecord),
    table_of(Correction),
    table_of(Diversion),
    table_of(DiversionReport),
    table_of(Reconciliation),
    table_of(InventoryAudit),
)


def _upsert_licence(conn: sa.Connection, event: EventEnvelope, values: dict[str, Any]) -> None:
    upsert(conn, LD, {"licence": event.licence}, {**values, "updated_at": event.occurred_at})


@projects(LicenceUpdated)
def _licence_updated(
    conn: sa.Connection, event: EventEnvelope, p: LicenceUpdated, position: int
) -> None:
    given = {
        "licence_type": None if p.licence_type is None else p.licence_type.value,
        "status": None if p.status is None else p.status.value,
        "close_of_business": p.close_of_business,
        "licensure_date": p.licensure_date,
    }
    _upsert_licence(conn, event, {k: v for k, v in given.items() if v is not None})


@projects(InventoryClosedOut)
def _closed_out(
    conn: sa.Connection, event: EventEnvelope, p: InventoryClosedOut, position: int
) -> None:
    _upsert_licence(conn, event, {"closed_out_at": event.occurred_at, "closed_out_note": p.note})


@projects(LocationAdded)
def _location_added(
    conn: sa.Connection, event: EventEnvelope, p: LocationAdded, position: int
) -> None:
    """Adding a location that exists again updates its kind and premises."""
    upsert(
        conn,
        LOC,
        {"licence": event.licence, "name": p.name},
        {"location_kind": p.location_kind.value, "premises": p.premises},
        inserting={"added_at": event.occurred_at},
    )


inserts(
    UserRegistered,
    U,
    ("user_id", "full_name", "role", "premises"),
    {"registered_at": AT, "registered_by": BY},
)
inserts(
    TrainingRegistered,
    TREG,
    ("user_id", "course", "registered_on"),
    {"position": POSITION, "recorded_at": AT},
)
_TRAINED = Row[UserTrained](
    TREC,
    ("user_id", "trained_on", "description", "trainer"),
    {"position": POSITION, "recorded_at": AT, "recorded_by": BY},
)


@projects(UserTrained)
def _user_trained(conn: sa.Connection, event: EventEnvelope, p: UserTrained, position: int) -> None:
    """The training's row, and the user's first training date if this one is earlier."""
    _TRAINED.insert(conn, event, p, position)
    conn.execute(
        U.update()
        .where(
            U.c.licence == event.licence,
            U.c.user_id == p.user_id,
            sa.or_(U.c.first_trained_on.is_(None), U.c.first_trained_on > p.trained_on),
        )
        .values(first_trained_on=p.trained_on)
    )


@projects(UserCancelled)
def _user_cancelled(
    conn: sa.Connection, event: EventEnvelope, p: UserCancelled, position: int
) -> None:
    key = {"licence": event.licence, "user_id": p.user_id}
    update(conn, U, key, {"cancelled_at": event.occurred_at, "cancel_reason": p.reason})


inserts(
    TagsOrdered,
    ORD,
    ("tag_type", "quantity", "order_reference"),
    {"position": POSITION, "ordered_at": AT, "ordered_by": BY},
)
inserts(
    AccessLost,
    LOSS,
    ("station_id", "lost_at", "cause"),
    {"lost_event_id": EVENT_ID, "reported_by": BY},
)


@projects(AccessRestored)
def _access_restored(
    conn: sa.Connection, event: EventEnvelope, p: AccessRestored, position: int
) -> None:
    restored = {
        "restored_event_id": event.event_id,
        "restored_at": p.restored_at,
        "restore_cause": p.cause,
        "backlog": p.backlog,
        "restored_by": event.operator_id,
    }
    update(conn, LOSS, {"licence": event.licence, "lost_event_id": p.lost_event_id}, restored)


inserts(
    RecordFlagged,
    FLAG,
    ("event_id", "problem", "discovered_at"),
    {"position": POSITION, "flagged_by": BY},
)


@projects(RecordCorrected)
def _record_corrected(
    conn: sa.Connection, event: EventEnvelope, p: RecordCorrected, position: int
) -> None:
    # Correcting a correction: the replacement still takes the first event's place.
    root = conn.execute(
        sa.select(CORR.c.root_event_id).where(CORR.c.event_id == p.corrects)
    ).scalar_one_or_none()
    conn.execute(
        CORR.insert().values(
            event_id=event.event_id,
            licence=event.licence,
            corrects=p.corrects,
            root_event_id=p.corrects if root is None else root,
            replacement_kind=p.replacement.kind,
            reason=p.reason,
            discovered_at=p.discovered_at,
            corrected_at=event.occurred_at,
            corrected_by=event.operator_id,
        )
    )


inserts(
    DiversionDiscovered,
    DIV,
    ("category", "discovered_at", "description"),
    {"event_id": EVENT_ID, "recorded_by": BY},
    derived=lambda p: {"uids": json.dumps(list(p.uids))},
)
inserts(
    DiversionReported,
    DREP,
    (
        "discovery_event_id",
        "reported_at",
        "department_reference",
        "law_enforcement_agency",
        "law_enforcement_reference",
    ),
    {"position": POSITION},
)
inserts(
    ReconciliationRecorded,
    REC,
    ("business_date", "note"),
    {"position": POSITION, "recorded_at": AT, "recorded_by": BY},
)
inserts(
    InventoryAudited,
    AUD,
    ("audit_id", "part", "parts", "audited_by"),
    {"position": POSITION, "audited_at": AT, "recorded_by": BY},
    derived=lambda p: {"lines": len(p.lines), "variances": len(p.variances())},
)
