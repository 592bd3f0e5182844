"""What the connector tells people: a refused call becomes a compliance notification, a loss
of access to the state system is recorded with its cause and, once access is back, an
OUTAGE-BACKFILL notification until the backlog is through (docs/sync.md).

Notifications go into the deadline engine's ``notifications`` table (the console and API list
them with the others, and a compliance one cannot be dismissed until resolved), written here
directly: a refusal is not a deadline an event opens, so the engine's definitions do not fit.
A refusal is filed under SECONDARY-SYNC (OAR 845-025 CTS Requirements (7): the secondary system
must transfer all relevant data to the state system; in California it serves CA 8402, reporting
in the department's system); the outage under OUTAGE-BACKFILL
(OAR 845-025 CTS Requirements (8)(a)-(b); CA 8402(d)(1)-(2)), due three business days after
restoration in California, without a due time in Oregon (none is set there).
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from server.compliance.rules.calendar import add_business_days
from server.compliance.rules.catalogue import CATALOGUE
from server.db.core import table_of
from server.db.notifications import Notification
from server.db.statesync import SyncOutage
from server.db.tables import Licensee
from server.statesync.queue import CallRow

__all__ = [
    "NOTES",
    "SYSTEM_NAME",
    "insert_notification",
    "open_refusal",
    "record_lost",
    "record_restored",
    "resolve_notification",
]

NOTES = table_of(Notification)
OUTAGES = table_of(SyncOutage)
LICENSEES = table_of(Licensee)
SYSTEM_NAME = {"metrc": "Metrc", "biotrack": "BioTrack"}
BACKFILL_DAYS = 3  # CA 8402(d)(1)
SHOWN = "%a %Y-%m-%d %H:%M %Z"  # times in messages: on the premises' clock, with the zone


def insert_notification(
    conn: Connection, licence: str, rule_id: str, values: dict[str, object]
) -> int:
    # The licensee is shown its own jurisdiction's provisions only.
    jurisdiction = conn.execute(
        sa.select(LICENSEES.c.jurisdiction).where(LICENSEES.c.licence == licence)
    ).scalar_one()
    row = {
        "licence": licence,
        "rule_id": rule_id,
        "citation": CATALOGUE[rule_id].cite(jurisdiction),
        "category": "compliance",
        "pending": "[]",
        "state": "open",
    } | values
    inserted = conn.execute(sa.insert(NOTES).values(**row).returning(NOTES.c.id)).scalar_one()
    return int(inserted)


def open_refusal(
    conn: Connection,
    call: CallRow,
    kind: str,
    messages: str,
    now: datetime,
    *,
    by_state: bool = True,
) -> int:
    """A compliance notification for ``call``: refused by the state with its ``messages``, or
    (``by_state`` False) not makeable by us for the reason in ``messages``."""
    system = SYSTEM_NAME[call.system]
    what = (
        f"{system} refused call {call.call_index} ({call.action})"
        if by_state
        else f"seedtrace could not make call {call.call_index} ({call.action}) to {system}"
    )
    message = (
        f"{what} of our event {call.event_id} ({kind}): {messages}. This licensee's later "
        "events about the same plants, batches, harvests or packages wait until it is settled; "
        "the others are filed."
    )
    resolves_by = (
        f"correct what {system} objects to (at {system}, or with a correction here), then "
        f"`seedtrace sync retry {call.licence} {call.id}`; or, if it was entered at {system} "
        f"by hand, `seedtrace sync skip {call.licence} {call.id}`"
    )
    return insert_notification(
        conn,
        call.licence,
        "SECONDARY-SYNC",
        {
            "subject_type": "event",
            "subject_id": call.event_id,
            "message": message,
            "resolves_by": resolves_by,
            "started_at": now,
            "opened_at": now,
            "opened_by_event": call.event_id,
        },
    )


def resolve_notification(conn: Connection, notification_id: int, now: datetime) -> None:
    conn.execute(
        sa.update(NOTES)
        .where(NOTES.c.id == notification_id, NOTES.c.state.in_(("open", "overdue")))
        .values(state="resolved", resolved_at=now)
    )


def record_lost(conn: Connection, licence: str, system: str, since: datetime, cause: str) -> None:
    """Access to the state system lost since ``since`` (the first failure), for ``cause``."""
    conn.execute(
        sa.insert(OUTAGES).values(licence=licence, system=system, lost_at=since, lost_cause=cause)
    )


def record_restored(
    conn: Connection,
    licence: str,
    system: str,
    jurisdiction: str,
    timezone: str,
    backlog: int,
    now: datetime,
) -> None:
    """Access is back: close the open outage, and open OUTAGE-BACKFILL for its backlog."""
    outage = conn.execute(
        sa.select(OUTAGES)
        .where(OUTAGES.c.licence == licence, OUTAGES.c.restored_at.is_(None))
        .order_by(OUTAGES.c.id.desc())
        .limit(1)
    ).first()
    if outage is None:
        return
    due, zone = None, ZoneInfo(timezone)
    if jurisdiction == "CA":
        due = add_business_days(now, BACKFILL_DAYS, "CA", zone)
    name = SYSTEM_NAME[system]
    lost_at, restored_at = (t.astimezone(zone).strftime(SHOWN) for t in (outage.lost_at, now))
    note = insert_notification(
        conn,
        licence,
        "OUTAGE-BACKFILL",
        {
            "subject_type": "state_link",
            "subject_id": f"{system}:{outage.id}",
            "message": (
                f"Access to {name} was lost from {lost_at} to {restored_at} "
                f"({outage.lost_cause}); {backlog} calls waited and are "
                "being filed in order."
            ),
            "resolves_by": f"the connector filing every waiting call into {name}",
            "started_at": now,
            "due_at": due,
            "opened_at": now,
        },
    )
    conn.execute(
        sa.update(OUTAGES)
        .where(OUTAGES.c.id == outage.id)
        .values(restored_at=now, backlog_at_restore=backlog, notification_id=note)
    )


def resolve_backfills(conn: Connection, licence: str, now: datetime) -> None:
    """The backlog is through: resolve the link's open OUTAGE-BACKFILL notifications."""
    ids = conn.execute(
        sa.select(OUTAGES.c.notification_id).where(
            OUTAGES.c.licence == licence, OUTAGES.c.notification_id.is_not(None)
        )
    ).scalars()
    for note in ids:
        resolve_notification(conn, note, now)
