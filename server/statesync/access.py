"""Access to a state system: back-off while it cannot be reached, and the record of a loss of
access and its restoration (OAR 845-025 CTS Requirements (8); docs/sync.md, Loss of access).

:class:`AccessWatch` keeps, per licensee, when the state was first found unreachable since it
last answered, and why, in ``sync_links.unreachable_since`` / ``unreachable_cause`` (the
database, not this process's memory: a connector restarted, or another process taking the
licensee over, during an outage goes on counting from that first failure, and the loss is
recorded from it). How long to wait before the next try (doubling up to ``backoff_max_s``) is
kept in memory: a restarted process merely tries sooner. Once unreachable for
``lost_after_s`` without a success, the loss is written (``sync_links.access`` ``lost``, a
``sync_outages`` row with its start and cause); the next success clears the failure and writes
the restoration and opens OUTAGE-BACKFILL (:mod:`server.statesync.notices`). Every write
renews the licensee's lease first, like every other transaction of the connector.
"""

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.clock import Clock
from server.statesync.notices import record_lost, record_restored
from server.statesync.queue import LINKS, LinkRow, get_link, hold, open_calls, unplanned
from server.statesync.settings import SyncSettings

__all__ = ["AccessWatch"]

log = logging.getLogger(__name__)


class AccessWatch:
    def __init__(self, engine: Engine, clock: Clock, settings: SyncSettings) -> None:
        self.engine, self.clock, self.settings = engine, clock, settings
        self.owner = settings.worker_id
        self.retry_at: dict[str, datetime] = {}
        self._backoff: dict[str, float] = {}

    def wait(self, licence: str, seconds: float) -> None:
        """Try ``licence`` again no sooner than ``seconds`` from now (Retry-After, ...)."""
        self.retry_at[licence] = self.clock.now() + timedelta(seconds=seconds)

    def due(self, licence: str, now: datetime) -> bool:
        at = self.retry_at.get(licence)
        return at is None or now >= at

    def unreachable(self, link: LinkRow, cause: str) -> None:
        """The state could not be reached for ``cause``: back off; record a loss when due."""
        now = self.clock.now()
        delay = min(self._backoff.get(link.licence, 0.5) * 2, self.settings.backoff_max_s)
        self._backoff[link.licence] = delay
        self.retry_at[link.licence] = now + timedelta(seconds=delay)
        with self.engine.begin() as conn:
            hold(conn, link.licence, self.owner, now, self.settings.lease_s)
            current = get_link(conn, link.licence)
            since, first_cause = current.unreachable_since, current.unreachable_cause
            if since is None:
                since, first_cause = now, cause[:500]
                conn.execute(
                    sa.update(LINKS)
                    .where(LINKS.c.licence == link.licence)
                    .values(unreachable_since=since, unreachable_cause=first_cause)
                )
            if current.access != "up" or (now - since).total_seconds() < self.settings.lost_after_s:
                return
            conn.execute(
                sa.update(LINKS).where(LINKS.c.licence == link.licence).values(access="lost")
            )
            record_lost(conn, link.licence, link.system, since, first_cause or cause)
        log.warning("access to the state system of %s lost since %s", link.licence, since)

    def reachable(self, link: LinkRow) -> None:
        """The state answered: forget the failures; record a restoration if access was lost."""
        self._backoff.pop(link.licence, None)
        now = self.clock.now()
        with self.engine.begin() as conn:
            current = get_link(conn, link.licence)
            if current.access != "lost" and current.unreachable_since is None:
                return
            hold(conn, link.licence, self.owner, now, self.settings.lease_s)
            conn.execute(
                sa.update(LINKS)
                .where(LINKS.c.licence == link.licence)
                .values(unreachable_since=None, unreachable_cause=None)
            )
            if current.access != "lost":
                return
            where = conn.execute(
                sa.text("SELECT jurisdiction, timezone FROM licensees WHERE licence = :l"),
                {"l": link.licence},
            ).one()
            backlog = open_calls(conn, link.licence) + unplanned(conn, current)
            conn.execute(
                sa.update(LINKS).where(LINKS.c.licence == link.licence).values(access="up")
            )
            record_restored(conn, link.licence, link.system, where[0], where[1], backlog, now)
            log.warning("access to the state system of %s restored", link.licence)
