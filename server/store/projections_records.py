"""Projections of the licence, its premises and people, tag orders, losses of access,
flagged and corrected records, diversion and reconciliations (see
:mod:`server.store.projections`).

A ``record.corrected`` only adds its row to ``corrections`` here: the replacement's effect
on every other projection comes from replaying the log with the replacement in the
original's place (:mod:`server.store.corrections`, :mod:`server.store.rebuild`).
"""

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from schemas.events import EventEnvelope, RecordCorrected
from schemas.records import (
    AccessLost,
    AccessRestored,
    DiversionDiscovered,
    DiversionReported,
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
    LicenceDetails,
    Location,
    Reconciliation,
    TagOrder,
    TrainingRecord,
    TrainingRegistration,
    User,
)

LD, LOC, U, TREC, TREG, ORD, LOSS, FLAG, CORR, DIV, DREP, REC = (
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
)


def _upsert_licence(conn: sa.Connection, event: EventEnvelope, values: dict[str, Any]) -> None:
    key = LD.c.licence == event.licence
    values = {**values, "updated_at": event.occurred_at}
    if conn.execute(sa.select(LD.c.licence).where(key)).first() is None:
        conn.execute(LD.insert().values(licence=event.licence, **values))
    else:
        conn.execute(LD.update().where(key).values(values))


def _licence_updated(conn: sa.Connection, event: EventEnvelope, position: int) -> None:
    p = event.payload
    assert isinstance(p, LicenceUpdated)
    given = {
        "licence_type": None if p.licence_type is None else p.licence_type.value,
        "status": None if p.status is None else p.status.value,
        "close_of_business": p.close_of_business,
        "licensure_date": p.licensure_date,
    }
    _upsert_licence(conn, event, {k: v for k, v in given.items() if v is not None})


def _closed_out(conn: sa.Connection, event: EventEnvelope, position: int) -> None:
    p = event.payload
    assert isinstance(p, InventoryClosedOut)
    _upsert_licence(conn, event, {"closed_out_at": event.occurred_at, "closed_out_note": p.note})


def _location_added(conn: sa.Connection, event: EventEnvelope, position: int) -> None:
    """Adding a location that exists again updates its kind and premises."""
    p = event.payload
    assert isinstance(p, LocationAdded)
    key = (LOC.c.licence == event.licence, LOC.c.name == p.name)
    values = {"location_kind": p.location_kind.value, "premises": p.premises}
    if conn.execute(sa.select(LOC.c.name).where(*key)).first() is None:
        conn.execute(
            LOC.insert().values(
                licence=event.licence, name=p.name, added_at=event.occurred_at, **values
            )
        )
    else:
        conn.execute(LOC.update().where(*key).values(values))


def _user_registered(conn: sa.Connection, event: EventEnvelope, position: int) -> None:
    p = event.payload
    assert isinstance(p, UserRegistered)
    conn.execute(
        U.insert().values(
            licence=event.licence,
            user_id=p.user_id,
            full_name=p.full_name,
            role=p.role.value,
            premises=p.premises,
            registered_at=event.occurred_at,
            registered_by=event.operator_id,
        )
    )


def _user_trained(conn: sa.Connection, event: EventEnvelope, position: int) -> None:
    p = event.payload
    assert isinstance(p, UserTrained)
    conn.execute(
        TREC.insert().values(
            position=position,
            licence=event.licence,
            user_id=p.user_id,
            trained_on=p.trained_on,
            description=p.description,
            trainer=p.trainer,
            recorded_by=event.operator_id,
            recorded_at=event.occurred_at,
        )
    )
    conn.execute(
        U.update()
        .where(
            U.c.licence == event.licence,
            U.c.user_id == p.user_id,
            sa.or_(U.c.first_trained_on.is_(None), U.c.first_trained_on > p.trained_on),
        )
        .values(first_trained_on=p.trained_on)
    )


def _training_registered(conn: sa.Connection, event: EventEnvelope, position: int) -> None:
    p = event.payload
    assert isinstance(p, TrainingRegistered)
    conn.execute(
        TREG.insert().values(
            position=position,
            licence=event.licence,
            user_id=p.user_id,
            course=p.course,
            registered_on=p.registered_on,
            recorded_at=event.occurred_at,
        )
    )


def _user_cancelled(conn: sa.Connection, event: EventEnvelope, position: int) -> None:
    p = event.payload
    assert isinstance(p, UserCancelled)
    conn.execute(
        U.update()
        .where(U.c.licence == event.licence, U.c.user_id == p.user_id)
        .values(cancelled_at=event.occurred_at, cancel_reason=p.reason)
    )


def _tags_ordered(conn: sa.Connection, event: EventEnvelope, position: int) -> None:
    p = event.payload
    assert isinstance(p, TagsOrdered)
    conn.execute(
        ORD.insert().values(
            position=position,
            licence=event.licence,
            tag_type=p.tag_type,
            quantity=p.quantity,
            order_reference=p.order_reference,
            ordered_at=event.occurred_at,
            ordered_by=event.operator_id,
        )
    )


def _access_lost(conn: sa.Connection, event: EventEnvelope, position: int) -> None:
    p = event.payload
    assert isinstance(p, AccessLost)
    conn.execute(
        LOSS.insert().values(
            lost_event_id=event.event_id,
            licence=event.licence,
            station_id=p.station_id,
            lost_at=p.lost_at,
            cause=p.cause,
            reported_by=event.operator_id,
        )
    )


def _access_restored(conn: sa.Connection, event: EventEnvelope, position: int) -> None:
    p = event.payload
    assert isinstance(p, AccessRestored)
    conn.execute(
        LOSS.update()
        .where(LOSS.c.licence == event.licence, LOSS.c.lost_event_id == p.lost_event_id)
        .values(
            restored_event_id=event.event_id,
            restored_at=p.restored_at,
            restore_cause=p.cause,
            backlog=p.backlog,
            restored_by=event.operator_id,
        )
    )


def _record_flagged(conn: sa.Connection, event: EventEnvelope, position: int) -> None:
    p = event.payload
    assert isinstance(p, RecordFlagged)
    conn.execute(
        FLAG.insert().values(
            position=position,
            licence=event.licence,
            event_id=p.event_id,
            problem=p.problem,
            discovered_at=p.discovered_at,
            flagged_by=event.operator_id,
        )
    )


def _record_corrected(conn: sa.Connection, event: EventEnvelope, position: int) -> None:
    p = event.payload
    assert isinstance(p, RecordCorrected)
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


def _diversion(conn: sa.Connection, event: EventEnvelope, position: int) -> None:
    p = event.payload
    assert isinstance(p, DiversionDiscovered)
    conn.execute(
        DIV.insert().values(
            event_id=event.event_id,
            licence=event.licence,
            category=p.category.value,
            discovered_at=p.discovered_at,
            description=p.description,
            uids=json.dumps(list(p.uids)),
            recorded_by=event.operator_id,
        )
    )


def _diversion_reported(conn: sa.Connection, event: EventEnvelope, position: int) -> None:
    p = event.payload
    assert isinstance(p, DiversionReported)
    conn.execute(
        DREP.insert().values(
            position=position,
            licence=event.licence,
            discovery_event_id=p.discovery_event_id,
            reported_at=p.reported_at,
            department_reference=p.department_reference,
            law_enforcement_agency=p.law_enforcement_agency,
            law_enforcement_reference=p.law_enforcement_reference,
        )
    )


def _reconciled(conn: sa.Connection, event: EventEnvelope, position: int) -> None:
    p = event.payload
    assert isinstance(p, ReconciliationRecorded)
    conn.execute(
        REC.insert().values(
            position=position,
            licence=event.licence,
            business_date=p.business_date,
            note=p.note,
            recorded_at=event.occurred_at,
            recorded_by=event.operator_id,
        )
    )


HANDLERS: dict[str, Callable[[sa.Connection, EventEnvelope, int], None]] = {
    "licence.updated": _licence_updated,
    "inventory.closed_out": _closed_out,
    "location.added": _location_added,
    "user.registered": _user_registered,
    "user.trained": _user_trained,
    "training.registered": _training_registered,
    "user.cancelled": _user_cancelled,
    "tags.ordered": _tags_ordered,
    "access.lost": _access_lost,
    "access.restored": _access_restored,
    "record.flagged": _record_flagged,
    "record.corrected": _record_corrected,
    "diversion.discovered": _diversion,
    "diversion.reported": _diversion_reported,
    "reconciliation.recorded": _reconciled,
}
