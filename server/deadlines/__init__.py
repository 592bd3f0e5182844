"""Deadlines and compliance notifications (section B of `docs/rules.md`).

- :mod:`~server.deadlines.definitions`: one pure function per section B rule ID, registered in
  :data:`DEADLINES` with the event kinds that open and resolve it;
- :mod:`~server.deadlines.engine`: runs them after each accepted event, inside the ingest
  transaction, and returns the late notices for the event's ack;
- :mod:`~server.deadlines.sweep`: the periodic part (overdue marking, DAILY-RECONCILE,
  TAG-SUPPLY);
- :mod:`~server.deadlines.store`: list, get and dismiss notifications (a compliance notification
  cannot be dismissed while unresolved);
- :mod:`~server.deadlines.facts`: what the engine keeps from events, in its own tables
  (:mod:`server.db.notifications`).

Due times are computed on the licensee's state business days and local time zone
(:mod:`server.rules.calendar`); which deadlines apply follows the jurisdiction's rule pack
(:func:`server.rules.catalogue.pack`): Connecticut's has none.
"""

from server.deadlines.definitions import DEADLINES, DeadlineRule
from server.deadlines.engine import DeadlineEngine
from server.deadlines.model import Category, DeadlineSettings, State
from server.deadlines.store import (
    DismissRefused,
    NotificationError,
    NotificationNotFound,
    NotificationPublic,
    dismiss,
    get_notification,
    list_notifications,
    stored_notices,
)
from server.deadlines.sweep import SweepReport, sweep

__all__ = [
    "DEADLINES",
    "Category",
    "DeadlineEngine",
    "DeadlineRule",
    "DeadlineSettings",
    "DismissRefused",
    "NotificationError",
    "NotificationNotFound",
    "NotificationPublic",
    "State",
    "SweepReport",
    "dismiss",
    "get_notification",
    "list_notifications",
    "stored_notices",
    "sweep",
]
