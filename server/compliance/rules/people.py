"""Who may record, whether the licence may still record, and corrections that keep the
original.

**The server operator.** A licensee's first account manager cannot be registered by a user of
the licensee (there is none yet). The person running the server does it, from the ops console,
under the reserved operator id :data:`SERVER_OPERATOR`: they may register a user whose role is
``account_manager`` and record that account manager's (state) training, from the pseudo-station
:data:`CONSOLE_STATION`, and nothing else. Every other event needs an operator who is a
registered, trained, not-cancelled user of the licensee; roster changes need an account
manager or administrator.
"""

from collections.abc import Iterator
from datetime import datetime

from schemas.events import EventEnvelope, RecordCorrected
from schemas.records import (
    InventoryClosedOut,
    Role,
    TrainingRegistered,
    UserCancelled,
    UserRegistered,
    UserTrained,
)
from server.compliance.rules.base import rule, rule_on
from server.compliance.rules.kinds import ALL_KINDS
from server.compliance.rules.state import ENDED_STATUSES, StateView

SERVER_OPERATOR = "seedtrace@server"
CONSOLE_STATION = "console"
ROSTER_KEEPERS = frozenset({Role.ACCOUNT_MANAGER.value, Role.ADMINISTRATOR.value})


def _server_operator(state: StateView, event: EventEnvelope) -> Iterator[str]:
    p = event.payload
    if event.station_id != CONSOLE_STATION:
        yield (
            f"Operator {SERVER_OPERATOR} is reserved for the server's operator at the console; "
            f"station {event.station_id} must name the person at the station"
        )
        return
    if isinstance(p, UserRegistered) and p.role is Role.ACCOUNT_MANAGER:
        return
    if isinstance(p, UserTrained):
        trainee = state.user(p.user_id)
        if trainee is None or trainee.role == Role.ACCOUNT_MANAGER.value:
            return  # an unknown trainee is reported below
    yield (
        f"The server operator ({SERVER_OPERATOR}) only registers and trains a licensee's account "
        f"manager; {event.kind} must be recorded by a trained user of licence {event.licence}"
    )


def _outage_backlog(state: StateView, event: EventEnvelope) -> bool:
    """Whether ``event`` happened during a loss of access its station (or the premises)
    documented: an event held in the station's outbox and entered once access came back
    (OR CTS Requirements (8)(a); CA 8402(d)(1) require that backlog to be entered)."""
    at = event.occurred_at
    return any(
        (o.station_id is None or o.station_id == event.station_id)
        and o.lost_at <= at
        and (o.restored_at is None or at <= o.restored_at)
        for o in state.outages(at)
    )


def _cancelled_then(state: StateView, event: EventEnvelope, cancelled_at: datetime) -> bool:
    """Whether the operator's cancellation stops ``event``. Authorisation is judged when the
    event happened if it is outage backlog made before the cancellation; otherwise at
    receipt, when the cancellation already stands."""
    return not (event.occurred_at < cancelled_at and _outage_backlog(state, event))


def _operator(state: StateView, event: EventEnvelope) -> Iterator[str]:
    op, lic = event.operator_id, event.licence
    user = state.user(op)
    if user is None:
        yield f"{op} is not a registered user of licence {lic}; an account manager registers them"
        return
    zone = state.licence().zone
    # The day the event happened on the premises' calendar, as the training record is dated.
    day = event.occurred_at.astimezone(zone).date()
    if user.cancelled_at is not None and _cancelled_then(state, event, user.cancelled_at):
        cancelled = user.cancelled_at.astimezone(zone)
        yield (f"{op}'s access was cancelled on {cancelled:%Y-%m-%d %H:%M %Z}; they may not record")
    elif user.first_trained_on is None:
        yield f"{op} has no training record; a user is trained before entering any data"
    elif user.first_trained_on > day:
        yield (
            f"{op} is trained only from {user.first_trained_on}; this event is dated {day} "
            f"on the premises' calendar ({zone.key})"
        )
    p = event.payload
    roster = isinstance(p, UserRegistered | UserTrained | UserCancelled | TrainingRegistered)
    if roster and user.role not in ROSTER_KEEPERS:
        yield f"{op} is a {user.role}; only an account manager or administrator keeps the roster"


def _roster(state: StateView, event: EventEnvelope) -> Iterator[str]:
    p = event.payload
    if isinstance(p, UserRegistered):
        if p.user_id == SERVER_OPERATOR:
            yield f"{SERVER_OPERATOR} is reserved for the server's operator; choose another log-on"
        elif (existing := state.user(p.user_id)) is not None:
            yield (
                f"Log-on {p.user_id} is already registered to {existing.full_name}; every person "
                "has their own log-on, and a log-on is never reused"
            )
    elif isinstance(p, UserTrained | UserCancelled | TrainingRegistered):
        target = state.user(p.user_id)
        if target is None:
            yield f"No user {p.user_id} is registered for licence {event.licence}"
        elif target.cancelled_at is not None:
            yield f"{p.user_id}'s access was already cancelled on {target.cancelled_at:%Y-%m-%d}"


@rule(
    "USER-AUTHORISED",
    summary="The operator of every event is a registered, trained, not-cancelled user of the "
    "licensee (roster changes: an account manager or administrator); a log-on is unique.",
    kinds=ALL_KINDS,
)
def user_authorised(state: StateView, event: EventEnvelope) -> Iterator[str]:
    if event.operator_id == SERVER_OPERATOR:
        yield from _server_operator(state, event)
    else:
        yield from _operator(state, event)
    yield from _roster(state, event)


@rule(
    "CLOSED-OUT",
    summary="A surrendered, expired or revoked licence with inventory closed out records "
    "nothing, in every jurisdiction; inventory is closed out only once the licence has ended "
    "and (CA 8406(d)) only when no plant, lot, harvest batch, package or unassigned UID is "
    "left on the books.",
    kinds=ALL_KINDS,
)
def closed_out(state: StateView, event: EventEnvelope) -> Iterator[str]:
    licence = state.licence()
    if licence.closed_out_at is not None:
        yield (
            f"Licence {licence.licence} ({licence.status}) was closed out on "
            f"{licence.closed_out_at.astimezone(licence.zone):%Y-%m-%d}; it records no new "
            "activity"
        )
        return
    if not isinstance(event.payload, InventoryClosedOut):
        return
    if licence.status not in ENDED_STATUSES:
        status = "not recorded" if licence.status is None else licence.status
        yield (
            f"Licence {licence.licence}'s status is {status}; inventory is closed out only after "
            "the licence is surrendered, has expired or was revoked: record that first"
        )
    elif licence.jurisdiction == "CA" and (left := state.inventory_left().describe()):
        # CA 8406(d): close-out covers every plant, lot, harvest batch, product and UID.
        yield (
            f"Licence {licence.licence} still has {', '.join(left)} on the books; close out "
            "each of them (harvest or destroy the plants, package or destroy the harvest, transfer "
            "the packages, retire the unassigned UIDs) "
            "before the inventory is closed out"
        )


@rule_on(
    "NO-FALSIFICATION",
    summary="A correction names an accepted event of this licensee not corrected before (or the "
    "latest correction of it) and replaces it with an event of the same kind; the original stays.",
)
def no_falsification(state: StateView, event: EventEnvelope, p: RecordCorrected) -> Iterator[str]:
    target = state.logged_event(p.corrects)
    if target is None or target.licence != event.licence:
        yield f"Event {p.corrects} is not in the record of licence {event.licence}"
    elif target.outcome != "accepted":
        yield (
            f"Event {p.corrects} was rejected and changed nothing; record what happened as a new "
            "event instead of correcting it"
        )
    elif target.corrected_by is not None:
        yield (
            f"Event {p.corrects} was already corrected by event {target.corrected_by}; correct "
            "that correction instead"
        )
    else:
        kind = target.replacement_kind if target.kind == "record.corrected" else target.kind
        if p.replacement.kind != kind:
            yield (
                f"Event {p.corrects} recorded a {kind}; its replacement must be a {kind} too, "
                f"not a {p.replacement.kind}"
            )
