"""Tables of the deadline engine (:mod:`server.compliance.deadlines`): notifications and what the
engine keeps from the events to compute deadlines.

- ``notifications``: one row per compliance or informational notification (docs/rules.md, B),
  with its rule ID and citation, the item it concerns (``subject_type``/``subject_id``), what
  resolves it, its due time and state (``open``, ``overdue``, ``resolved``, ``dismissed``).
  Not rebuilt from the log: dismissals are decisions of a person, not events.
- ``event_notices``: the late notices given on an event's ack, keyed by ``event_id``, so a
  duplicate's ack repeats them without touching the append-only ``event_log``.
- ``deadline_licensees``, ``deadline_people``, ``deadline_outages``: facts the deadlines need,
  taken from accepted events (``licence.updated``, ``user.*``, ``training.registered``,
  ``tags.ordered``/``tags.received``, ``access.lost``/``access.restored``). The domain tables
  of those events belong to the rules; these are the engine's own, so it depends only on the
  event contract.

All times are UTC (:class:`~server.db.types.UtcDateTime`); ``close_of_business`` is a local
wall-clock time in the licensee's zone.
"""

from datetime import date, datetime, time

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.db.tables import BigId
from server.db.types import time_column


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_licence_state", "licence", "state"),
        # A licensee's notifications newest first (the API's list): without it PostgreSQL
        # walks every licensee's newer notifications backwards to find this one's.
        sa.Index("ix_notifications_licence_id", "licence", "id"),
        sa.Index("ix_notifications_subject", "licence", "rule_id", "subject_type", "subject_id"),
        # The console's recently closed notifications (deadlines.recently_closed).
        sa.Index("ix_notifications_resolved", "licence", "resolved_at"),
        sa.Index("ix_notifications_dismissed", "licence", "dismissed_at"),
        # The same for many licensees at once (a regulator's page): the newest closed of the
        # whole table, read backwards until enough are theirs (deadlines.recently_closed).
        sa.Index("ix_notifications_state_resolved", "state", "resolved_at"),
        sa.Index("ix_notifications_state_dismissed", "state", "dismissed_at"),
        # The sweep's plan: open ones due, unresolved ones, of every licensee (deadlines.due).
        sa.Index("ix_notifications_state_due", "state", "due_at"),
        # The console's most urgent of a group, compliance first, in the page's order, for many
        # licensees at once (deadlines.most_urgent): read forwards until enough are theirs.
        sa.Index("ix_notifications_urgency", "state", "category", "due_at", "id"),
    )

    id: int | None = Field(default=None, sa_column=sa.Column(BigId, primary_key=True))
    licence: str = Field(foreign_key="licensees.licence", max_length=40)
    rule_id: str = Field(max_length=40)
    citation: str = Field(max_length=200)
    category: str = Field(max_length=16)  # compliance | informational
    subject_type: str = Field(max_length=24)
    subject_id: str = Field(max_length=120)
    message: str = Field(sa_type=sa.Text)
    resolves_by: str = Field(sa_type=sa.Text)
    pending: str = Field(sa_type=sa.Text)  # JSON list of items still outstanding
    state: str = Field(max_length=10)  # open | overdue | resolved | dismissed
    started_at: datetime = Field(sa_column=time_column())
    due_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    opened_at: datetime = Field(sa_column=time_column())
    opened_by_event: str | None = Field(default=None, max_length=36)
    overdue_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    resolved_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    resolved_by_event: str | None = Field(default=None, max_length=36)
    dismissed_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    dismissed_by: str | None = Field(default=None, max_length=64)


class EventNotice(SQLModel, table=True):
    __tablename__ = "event_notices"

    event_id: str = Field(primary_key=True, max_length=36)
    licence: str = Field(max_length=40)
    notices: str = Field(sa_type=sa.Text)  # JSON list of schemas.acks.Violation


class DeadlineLicensee(SQLModel, table=True):
    __tablename__ = "deadline_licensees"

    licence: str = Field(primary_key=True, foreign_key="licensees.licence", max_length=40)
    close_of_business: time | None = Field(default=None, sa_column=sa.Column(sa.Time()))
    licensure_date: date | None = Field(default=None, sa_column=sa.Column(sa.Date()))
    tags_ordered_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    tags_received_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))


class DeadlinePerson(SQLModel, table=True):
    __tablename__ = "deadline_people"

    licence: str = Field(primary_key=True, max_length=40)
    user_id: str = Field(primary_key=True, max_length=64)
    role: str = Field(max_length=20)
    registered_at: datetime = Field(sa_column=time_column())
    trained_on: date | None = Field(default=None, sa_column=sa.Column(sa.Date()))
    training_registered_on: date | None = Field(default=None, sa_column=sa.Column(sa.Date()))


class DeadlineOutage(SQLModel, table=True):
    """A loss of access, keyed by the ``access.lost`` event's id; either of its two events may
    arrive first (they can come from different stations)."""

    __tablename__ = "deadline_outages"

    licence: str = Field(primary_key=True, max_length=40)
    lost_event_id: str = Field(primary_key=True, max_length=36)
    station_id: str | None = Field(default=None, max_length=64)
    lost_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    lost_cause: str | None = Field(default=None, sa_type=sa.Text)
    restored_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    restored_event_id: str | None = Field(default=None, max_length=36)
    restored_cause: str | None = Field(default=None, sa_type=sa.Text)
    backlog: int | None = None


NOTIFICATION_TABLES = (
    "notifications",
    "event_notices",
    "deadline_licensees",
    "deadline_people",
    "deadline_outages",
)
