"""Compliance and informational notifications (section B of `docs/rules.md`).

A notification is resolved by recording what it asks for (its ``resolves_by``: the net weight,
the day's reconciliation, the correction...), through the route that records that event; the
deadline engine then marks it resolved in the same transaction. Dismissing is a person's
acknowledgement: an informational notification may be dismissed at any time, a compliance
notification only once resolved (OR System Notifications (1)-(2); CA 8404(d)); refused, the
answer is 409 naming the rule and what resolves it.
"""

import json
from dataclasses import dataclass
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from server.accounts.deps import ReadScope, Scope, WriteScope
from server.api.deps import ClockDep, EngineDep
from server.api.errors import Conflict, NotFound
from server.api.listing import Page
from server.api.listroute import LicenseeListDep, list_route
from server.api.query import where_given
from server.compliance.deadlines import Category, DismissRefused, NotificationPublic, State, dismiss
from server.compliance.deadlines.store import select_public
from server.db.core import table_of
from server.db.notifications import Notification

router = APIRouter(tags=["notifications"])
N = table_of(Notification)

NotificationId = Annotated[int, Path(ge=1, le=2**63 - 1)]
RULE_PATTERN = r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$"  # as schemas.acks.Violation.rule_id


def _notification(r: sa.RowMapping) -> NotificationPublic:
    return NotificationPublic.model_validate({**r, "pending": json.loads(r["pending"])})


@list_route(router, "/licensees/{licence}/notifications", NotificationPublic)
def list_notifications(
    request: LicenseeListDep,
    state: State | None = None,
    category: Category | None = None,
    rule_id: Annotated[str | None, Query(pattern=RULE_PATTERN, max_length=40)] = None,
) -> Page[NotificationPublic] | Response:
    """Notifications, newest first; filter by state (open, overdue, resolved, dismissed),
    category or rule ID."""
    stmt = where_given(
        select_public().where(N.c.licence == request.licence),
        (N.c.state, state),
        (N.c.category, category),
        (N.c.rule_id, rule_id),
    )
    return request.respond(stmt, NotificationPublic, (N.c.id.desc(),), convert=_notification)


def _find(engine: EngineDep, licence: str, notification_id: int) -> NotificationPublic:
    with engine.connect() as conn:
        row = (
            conn.execute(select_public().where(N.c.licence == licence, N.c.id == notification_id))
            .mappings()
            .first()
        )
    if row is None:
        raise NotFound(f"notification {notification_id} not found")
    return _notification(row)


@router.get("/licensees/{licence}/notifications/{notification_id}")
def get_notification(
    scope: ReadScope, engine: EngineDep, notification_id: NotificationId
) -> NotificationPublic:
    """One notification: its rule, citation, subject, due time, state and what resolves it."""
    return _find(engine, scope.licence, notification_id)


@dataclass(frozen=True, slots=True)
class Target:
    scope: Scope
    notification: NotificationPublic


def target(scope: WriteScope, engine: EngineDep, notification_id: NotificationId) -> Target:
    return Target(scope, _find(engine, scope.licence, notification_id))


@router.post("/licensees/{licence}/notifications/{notification_id}/dismiss")
def dismiss_notification(
    found: Annotated[Target, Depends(target)], engine: EngineDep, clock: ClockDep
) -> NotificationPublic:
    """Acknowledge a notification, as the signed-in user. Refused (409) for a compliance
    notification that is not resolved yet."""
    try:
        return dismiss(engine, found.notification.id, by=found.scope.operator_id, now=clock.now())
    except DismissRefused as err:
        raise Conflict(str(err)) from err
