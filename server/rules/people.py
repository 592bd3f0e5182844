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

from schemas.events import EventEnvelope, RecordCorrected
from schemas.records import (
    InventoryClosedOut,
    Role,
    TrainingRegistered,
    UserCancelled,
    UserRegistered,
    UserTrained,
)
from server.rules.base import rule
from server.rules.kinds import ALL_KINDS
from server.rules.state import ENDED_STATUSES, StateView

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


def _operator(state: StateView, event: EventEnvelope) -> Iterator[str]:
    op, lic = event.operator_id, event.licence
    user = state.user(op)
    if user is None:
        yield f"{op} is not a registered user of licence {lic}; an account manager registers them"
        return
    if user.cancelled_at is not None:
        yield f"{op}'s access was cancelled on {user.cancelled_at:%Y-%m-%d}; they may not record"
    elif user.first_trained_on is None:
        yield f"{op} has no training record; a user is trained before entering any data"
    elif user.first_trained_on > event.occurred_at.date():
        yield f"{op} is trained only from {user.first_trained_on}; this event is dated earlier"
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
    citation="OR CTS Requirements (3)-(5), User Requirements (3); CA 8402(b)(2)-(5), 8404(b)",
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
    citation="CA 8406(c),(d)",
    summary="A surrendered, expired or revoked licence with inventory closed out records "
    "nothing; inventory is closed out only once the licence has ended.",
    kinds=ALL_KINDS,
)
def closed_out(state: StateView, event: EventEnvelope) -> Iterator[str]:
    licence = state.licence()
    if licence.closed_out_at is not None:
        yield (
            f"Licence {licence.licence} ({licence.status}) was closed out on "
            f"{licence.closed_out_at:%Y-%m-%d}; it records no new activity"
        )
    elif isinstance(event.payload, InventoryClosedOut) and licence.status not in ENDED_STATUSES:
        status = "not recorded" if licence.status is None else licence.status
        yield (
            f"Licence {licence.licence}'s status is {status}; inventory is closed out only after "
            "the licence is surrendered, has expired or was revoked: record that first"
        )


@rule(
    "NO-FALSIFICATION",
    citation="CA 8404(c); OR User Requirements (4), CTS Requirements (7)(b)",
    summary="A correction names an accepted event of this licensee not corrected before (or the "
    "latest correction of it) and replaces it with an event of the same kind; the original stays.",
    kinds=["record.corrected"],
)
def no_falsification(state: StateView, event: EventEnvelope) -> Iterator[str]:
    p = event.payload
    assert isinstance(p, RecordCorrected)
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
