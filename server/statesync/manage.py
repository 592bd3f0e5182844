"""What a person does with the state link: see its status, and settle a refused call by
retrying it or by declaring it entered at the state by hand (docs/sync.md, Refusals).

Both settle the call's notification (resolved) and let the licensee's queue go on. A retry of
a call the state refused itself sends it afresh: its request is made again from the plan (so
a correction to what the state knows is used) and, for BioTrack, under a new nonce (the old
one is spent). A retry of a call we could not make or check (credentials refused, an unknown
state id, a failed read-back) after it had been sent checks first whether that send took
effect (``unknown``), keeping its body and nonce: never a blind resend.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from server.db.core import table_of
from server.db.statesync import SyncOutage
from server.statesync.notices import resolve_notification
from server.statesync.queue import CALLS, OPEN, get_link, open_calls, unplanned

__all__ = ["LinkStatus", "SettleError", "settle", "status"]

OUTAGES = table_of(SyncOutage)


class SettleError(ValueError):
    """The call does not exist, is not the licensee's, or is not refused."""


@dataclass(frozen=True)
class LinkStatus:
    licence: str
    system: str
    base_url: str
    access: str
    last_success_at: datetime | None
    queue_depth: int  # calls open or refused, plus accepted events not yet planned
    oldest_unsent: datetime | None  # when the oldest open call was planned
    refused: list[tuple[int, str, str, str | None]]  # (call id, event id, action, message)
    outages: list[tuple[datetime, datetime | None, str]]  # (lost, restored, cause)
    lease_owner: str | None
    lease_until: datetime | None


def status(engine: Engine, licence: str) -> LinkStatus:
    with engine.connect() as conn:
        link = get_link(conn, licence)
        oldest = conn.execute(
            sa.select(sa.func.min(CALLS.c.created_at)).where(
                CALLS.c.licence == licence, CALLS.c.status.in_(OPEN)
            )
        ).scalar_one_or_none()
        refused = conn.execute(
            sa.select(CALLS.c.id, CALLS.c.event_id, CALLS.c.action, CALLS.c.message)
            .where(CALLS.c.licence == licence, CALLS.c.status == "refused")
            .order_by(CALLS.c.id)
        ).all()
        outages = conn.execute(
            sa.select(OUTAGES.c.lost_at, OUTAGES.c.restored_at, OUTAGES.c.lost_cause)
            .where(OUTAGES.c.licence == licence)
            .order_by(OUTAGES.c.id)
        ).all()
        return LinkStatus(
            licence=licence,
            system=link.system,
            base_url=link.base_url,
            access=link.access,
            last_success_at=link.last_success_at,
            queue_depth=open_calls(conn, licence) + unplanned(conn, link),
            oldest_unsent=oldest,
            refused=[(r[0], r[1], r[2], r[3]) for r in refused],
            outages=[(o[0], o[1], o[2]) for o in outages],
            lease_owner=link.lease_owner,
            lease_until=link.lease_until,
        )


def settle(
    engine: Engine, licence: str, call_id: int, *, retry: bool, by: str, now: datetime
) -> None:
    """``retry``: send the refused call again; else mark it entered at the state by hand
    (``skipped``), by the person ``by``."""
    with engine.begin() as conn:
        row = conn.execute(
            sa.select(
                CALLS.c.status,
                CALLS.c.notification_id,
                CALLS.c.first_sent_at,
                CALLS.c.refusal_final,
            ).where(CALLS.c.id == call_id, CALLS.c.licence == licence)
        ).first()
        if row is None:
            raise SettleError(f"{licence} has no state call {call_id}")
        if row.status != "refused":
            raise SettleError(f"call {call_id} of {licence} is {row.status}, not refused")
        values: dict[str, str | None]
        if retry and not row.refusal_final and row.first_sent_at is not None:
            values = {"status": "unknown", "message": f"retried by {by}: checked first"}
        elif retry:
            values = {
                "status": "pending",
                "request": None,
                "nonce": None,  # a fresh one (the event, the call, the attempt) when sent
                "readback": None,
                "first_sent_at": None,
                "message": f"retried by {by}",
            }
        else:
            values = {"status": "skipped", "message": f"entered at the state by hand ({by})"}
        conn.execute(sa.update(CALLS).where(CALLS.c.id == call_id).values(**values))
        if row.notification_id is not None:
            resolve_notification(conn, row.notification_id, now)
