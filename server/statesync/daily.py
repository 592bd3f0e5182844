"""The daily reconciliation with the state system, run by the connector (``seedtrace sync
run``) for each licensee it holds, and its differences as compliance notifications
(docs/sync.md, Reconciliation; SECONDARY-SYNC, OAR 845-025 CTS Requirements (7): the data is
transferred "for the purposes of reconciliations").

**When**: once a day, at ``reconcile_at`` on the premises' clock (the licensee's zone), read
from the injected clock. The run is due when the latest such moment is after the last run
(``sync_links.reconciled_at``, kept in the database so a restarted connector neither repeats
nor skips a day) and after the link was made. A run that cannot read the state (unreachable,
refused, no credentials) is tried again ``RETRY_S`` later; it is not marked done.

**Whose credentials**: reading the state's lists needs one person's key (Metrc user key,
BioTrack log-on), as every call does. The run reads with those of the person whose events
were filed most recently; failing that, anyone of the licensee with credentials stored.

**What it files**: each difference of :mod:`server.statesync.reconcile` (an object on one side
only, a count, phase, location, room, weight or tag status that differs) becomes one
compliance notification under SECONDARY-SYNC naming the object (``subject_type`` its kind:
plant, batch, harvest, package, tag, transfer, lot, sale; ``subject_id`` our id: the console
links it to its audit trail), both values and what to do. A difference still found the
next day keeps its notification (no second one); one no longer found has its notification
resolved. A difference explained by a call or event still waiting in our queue
is not filed: filing the queue settles it, and a queue that cannot go on already has its own
notification (the refusal). Nothing is changed on either side.
"""

import json
import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from schemas.clock import Clock
from server.statesync.clients import ClientPool
from server.statesync.credentials import CredentialError
from server.statesync.errors import StateSyncError
from server.statesync.notices import NOTES, SYSTEM_NAME, insert_notification, resolve_notification
from server.statesync.queue import CALLS, LINKS, LinkRow, get_link, hold
from server.statesync.reconcile import (
    WAITING,
    Difference,
    Report,
    reconcile_biotrack,
    reconcile_metrc,
)
from server.statesync.settings import SyncSettings

__all__ = [
    "RECONCILED_KINDS",
    "RETRY_S",
    "DailyReconcile",
    "file_report",
    "is_due",
    "last_moment",
    "reader",
    "schedule_of",
]

log = logging.getLogger(__name__)
RULE = "SECONDARY-SYNC"
RECONCILED_KINDS = (
    "batch",
    "plant",
    "harvest",
    "package",
    "tag",
    "transfer",
    "lot",
    "sale",
)  # subject types filed here
RETRY_S = 600.0  # a run that could not read the state: again this long after


def last_moment(now: datetime, zone: str, at: time) -> datetime:
    """The latest ``at`` on the premises' clock (zone ``zone``) at or before ``now``."""
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    moment = datetime.combine(local.date(), at, tzinfo=tz)
    if moment > local:
        moment = datetime.combine(local.date() - timedelta(days=1), at, tzinfo=tz)
    return moment


def is_due(
    reconciled_at: datetime | None, linked_at: datetime, now: datetime, zone: str, at: time
) -> bool:
    """Whether the day's reconciliation is due: its moment has come since the last run (and
    since the link was made: a new link waits for the next moment)."""
    moment = last_moment(now, zone, at)
    since = linked_at if reconciled_at is None else max(reconciled_at, linked_at)
    return moment > since


def reader(conn: Connection, licence: str, system: str) -> str | None:
    """Whose credentials read the state's lists: the operator of the most recent call done,
    if their credentials are stored; else the first person with credentials; else None."""
    stored = set(
        conn.execute(
            sa.text(
                "SELECT user_id FROM sync_credentials WHERE licence = :l AND system = :s "
                "ORDER BY user_id"
            ),
            {"l": licence, "s": system},
        ).scalars()
    )
    if not stored:
        return None
    last = conn.execute(
        sa.select(CALLS.c.operator_id)
        .where(CALLS.c.licence == licence, CALLS.c.status == "done")
        .order_by(CALLS.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return last if last in stored else sorted(stored)[0]


def _sentence(d: Difference, system: str) -> str:
    if d.what.startswith("missing"):
        return f"{d.subject_type} {d.subject_id} is {d.what}"
    return (
        f"{d.subject_type} {d.subject_id}: the {d.what} differs, {d.ours} here and "
        f"{d.theirs} at {system}"
    )


def file_report(conn: Connection, link: LinkRow, report: Report, now: datetime) -> tuple[int, int]:
    """Open a notification for each new difference of ``report`` and resolve those no longer
    found; mark the link reconciled at ``now``. Returns (opened, resolved)."""
    system = SYSTEM_NAME[link.system]
    found = {
        (d.subject_type, d.subject_id, d.what): d for d in report.differences if d.advice != WAITING
    }
    open_notes = conn.execute(
        sa.select(NOTES.c.id, NOTES.c.subject_type, NOTES.c.subject_id, NOTES.c.pending).where(
            NOTES.c.licence == link.licence,
            NOTES.c.rule_id == RULE,
            NOTES.c.subject_type.in_(RECONCILED_KINDS),
            NOTES.c.state.in_(("open", "overdue")),
        )
    ).all()
    known: set[tuple[str, str, str]] = set()
    resolved = 0
    for note in open_notes:
        (what,) = json.loads(note.pending) or [""]
        key = (note.subject_type, note.subject_id, what)
        if key in found:
            known.add(key)
        else:
            resolve_notification(conn, note.id, now)
            resolved += 1
    opened = 0
    for key, d in found.items():
        if key in known:
            continue
        insert_notification(
            conn,
            link.licence,
            RULE,
            {
                "subject_type": d.subject_type,
                "subject_id": d.subject_id,
                "pending": json.dumps([d.what]),
                "message": (
                    f"The daily reconciliation with {system} found {_sentence(d, system)}. "
                    "Nothing was changed on either side."
                ),
                "resolves_by": (
                    f"{d.advice}; resolved by the first daily reconciliation that no longer "
                    f"finds it (`seedtrace sync reconcile {link.licence} --user USER` shows "
                    "the differences now)"
                ),
                "started_at": now,
                "opened_at": now,
            },
        )
        opened += 1
    conn.execute(sa.update(LINKS).where(LINKS.c.licence == link.licence).values(reconciled_at=now))
    return opened, resolved


def schedule_of(conn: Connection, licence: str) -> tuple[datetime, datetime | None, str]:
    """(when the link was made, when it was last reconciled, the premises' zone)."""
    made, reconciled = conn.execute(
        sa.select(LINKS.c.created_at, LINKS.c.reconciled_at).where(LINKS.c.licence == licence)
    ).one()
    zone = conn.execute(
        sa.text("SELECT timezone FROM licensees WHERE licence = :l"), {"l": licence}
    ).scalar_one()
    return made, reconciled, str(zone)


class DailyReconcile:
    """The connector's daily run: :meth:`maybe_run` for each licensee it holds, after its
    calls. Remembers in memory only when to try again after a failed read."""

    def __init__(
        self, engine: Engine, clock: Clock, settings: SyncSettings, clients: ClientPool
    ) -> None:
        self.engine, self.clock, self.settings, self.clients = engine, clock, settings, clients
        self._retry_at: dict[str, datetime] = {}

    def maybe_run(self, link: LinkRow) -> Report | None:
        """Reconcile ``link``'s licensee if its day's run is due; the report, or None when
        not due or the state could not be read (logged; tried again ``RETRY_S`` later).
        Raises :class:`~server.statesync.queue.LeaseLost` if the lease went meanwhile."""
        if not self.settings.reconcile_daily:
            return None
        licence, now = link.licence, self.clock.now()
        retry = self._retry_at.get(licence)
        if retry is not None and now < retry:
            return None
        with self.engine.connect() as conn:
            made, reconciled, zone = schedule_of(conn, licence)
            if not is_due(reconciled, made, now, zone, self.settings.reconcile_at):
                return None
            user = reader(conn, licence, link.system)
        try:
            if user is None:
                raise CredentialError(f"no state credentials are stored for anyone of {licence}")
            if link.system == "metrc":
                api = self.clients.metrc(link.base_url, licence, user)
                report = reconcile_metrc(self.engine, api, licence, now=now)
            else:
                bt = self.clients.biotrack(link.base_url, licence, user)
                report = reconcile_biotrack(self.engine, bt, licence)
        except (StateSyncError, CredentialError) as err:
            self._retry_at[licence] = now + timedelta(seconds=RETRY_S)
            log.warning("daily reconciliation of %s not done: %s", licence, err)
            return None
        self._retry_at.pop(licence, None)
        done_at = self.clock.now()
        with self.engine.begin() as conn:
            hold(conn, licence, self.settings.worker_id, done_at, self.settings.lease_s)
            opened, resolved = file_report(conn, get_link(conn, licence), report, done_at)
        log.info(
            "daily reconciliation of %s: %d differences, %d new notifications, %d resolved",
            licence,
            len(report.differences),
            opened,
            resolved,
        )
        return report
