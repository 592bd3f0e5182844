"""Deadlines and compliance notifications (section B of `docs/rules.md`).

- :mod:`~server.compliance.deadlines.definitions`: one pure function per section B rule ID,
registered in
  :data:`DEADLINES` with the event kinds that open and resolve it;
- :mod:`~server.compliance.deadlines.engine`: runs them after each accepted event, inside the ingest
  transaction, and returns the late notices for the event's ack;
- :mod:`~server.compliance.deadlines.sweep`: the periodic part (overdue marking, DAILY-RECONCILE,
  TAG-SUPPLY);
- :mod:`~server.compliance.deadlines.store`: list, get and dismiss notifications (a compliance
notification cannot be dismissed while unresolved);
- :mod:`~server.compliance.deadlines.facts`: what the engine keeps from events, in its own tables
  (:mod:`server.db.notifications`).

Due times are computed on the licensee's state business days and local time zone
(:mod:`server.compliance.rules.calendar`); which deadlines apply follows the jurisdiction's rule
pack (:func:`server.compliance.rules.catalogue.pack`): Connecticut's has none.
"""

from server.compliance.deadlines.definitions import DEADLINES, DeadlineRule
from server.compliance.deadlines.engine import DeadlineEngine
from server.compliance.deadlines.model import Category, DeadlineSettings, State
from server.compliance.deadlines.store import (
    DismissRefused,
    DueWindow,
    NotificationError,
    NotificationNotFound,
    NotificationPublic,
    Occupancy,
    Position,
    Urgency,
    count_by_part,
    count_overdue,
    dismiss,
    get_notification,
    list_notifications,
    most_urgent,
    recently_closed,
    stored_notices,
)
from server.compliance.deadlines.sweep import SweepReport, sweep

__all__ = [
    "DEADLINES",
    "Category",
    "DeadlineEngine",
    "DeadlineRule",
    "DeadlineSettings",
    "DismissRefused",
    "DueWindow",
    "NotificationError",
    "NotificationNotFound",
    "NotificationPublic",
    "Occupancy",
    "Position",
    "State",
    "SweepReport",
    "Urgency",
    "count_by_part",
    "count_overdue",
    "dismiss",
    "get_notification",
    "list_notifications",
    "most_urgent",
    "recently_closed",
    "stored_notices",
    "sweep",
]
