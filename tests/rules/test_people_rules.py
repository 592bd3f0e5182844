"""Who may record, closed-out licences and corrections, as pure functions."""

from datetime import UTC, date, datetime
from typing import Any

from server.compliance.rules.people import SERVER_OPERATOR
from server.compliance.rules.state import LicenceState, LoggedEvent, UserState
from tests.rules.memstate import LICENCE, MANAGER, WORKER, MemoryState, check, event, rejected
from tests.server.domain import user_registered as _register
from tests.server.domain import user_trained

TAGS = {"kind": "tags.received", "tag_type": "plant", "uids": ["1A4FF0100000022000000001"]}
EARLIER = "01903a4e-5c00-7a3d-8f21-6b0c2d4e0001"


def _trained(user_id: str) -> dict[str, Any]:
    return user_trained(user_id, "2026-11-01")


def test_user_authorised_admits_a_trained_user() -> None:
    assert check("USER-AUTHORISED", MemoryState(), event(TAGS)) == []


def test_user_authorised_refuses_unknown_cancelled_and_untrained_operators() -> None:
    state = MemoryState()
    cancelled = datetime(2026, 10, 1, tzinfo=UTC)
    state.users["gone"] = UserState("gone", "Gone", "user", date(2024, 1, 1), cancelled)
    state.users["new"] = UserState("new", "New", "user", None, None)
    state.users["soon"] = UserState("soon", "Soon", "user", date(2026, 12, 1), None)
    cases = {
        "stranger": "stranger is not a registered user of licence OR-1001",
        "gone": "gone's access was cancelled on 2026-10-01",
        "new": "new has no training record",
        "soon": "soon is trained only from 2026-12-01",
    }
    for operator, words in cases.items():
        rejected(
            check("USER-AUTHORISED", state, event(TAGS, operator=operator)),
            "USER-AUTHORISED",
            words,
        )


def test_user_authorised_keeps_the_roster_to_managers_and_log_ons_unique() -> None:
    state = MemoryState()
    assert check("USER-AUTHORISED", state, event(_register("j.garcia"), operator=MANAGER)) == []
    roster = "maria.lopez is a user; only an account manager or administrator keeps the roster"
    cases = [
        (_register("j.garcia"), WORKER, roster),
        (
            _register(WORKER),
            MANAGER,
            "Log-on maria.lopez is already registered to Maria Lopez",
        ),
        (_trained("nobody"), MANAGER, "No user nobody is registered for licence OR-1001"),
        (_register(SERVER_OPERATOR), MANAGER, "is reserved for the server's operator"),
    ]
    for payload, operator, words in cases:
        found = check("USER-AUTHORISED", state, event(payload, operator=operator))
        rejected(found, "USER-AUTHORISED", words)


def test_the_server_operator_only_bootstraps_an_account_manager_at_the_console() -> None:
    state = MemoryState(users={})
    boss = event(_register("boss", "account_manager"), operator=SERVER_OPERATOR, station="console")
    assert check("USER-AUTHORISED", state, boss) == []
    state.users["boss"] = UserState("boss", "Boss", "account_manager", None, None)
    state.users["jo"] = UserState("jo", "Jo", "user", None, None)
    train_boss = event(_trained("boss"), operator=SERVER_OPERATOR, station="console")
    assert check("USER-AUTHORISED", state, train_boss) == []
    for payload in (_register("x", "user"), _trained("jo"), TAGS):
        rejected(
            check(
                "USER-AUTHORISED",
                state,
                event(payload, operator=SERVER_OPERATOR, station="console"),
            ),
            "USER-AUTHORISED",
            "only registers and trains a licensee's account manager",
        )
    rejected(
        check("USER-AUTHORISED", state, event(TAGS, operator=SERVER_OPERATOR, station="harvest-1")),
        "USER-AUTHORISED",
        "station harvest-1 must name the person at the station",
    )


def test_closed_out_licence_records_nothing() -> None:
    state = MemoryState(licence_state=LicenceState(LICENCE, "CA", "producer", "surrendered"))
    closing = {"kind": "inventory.closed_out", "note": "All destroyed"}
    assert check("CLOSED-OUT", state, event(TAGS)) == []
    assert check("CLOSED-OUT", state, event(closing)) == []
    closed = datetime(2026, 11, 2, tzinfo=UTC)
    state.licence_state = LicenceState(LICENCE, "CA", "producer", "surrendered", closed)
    rejected(
        check("CLOSED-OUT", state, event(TAGS)),
        "CLOSED-OUT",
        "Licence OR-1001 (surrendered) was closed out on 2026-11-02; it records no new activity",
    )


def test_closed_out_only_after_the_licence_ended() -> None:
    closing = {"kind": "inventory.closed_out", "note": "All destroyed"}
    for status, shown in ((None, "not recorded"), ("active", "active")):
        state = MemoryState(licence_state=LicenceState(LICENCE, "CA", None, status))
        rejected(
            check("CLOSED-OUT", state, event(closing)),
            "CLOSED-OUT",
            f"Licence OR-1001's status is {shown}; inventory is closed out only after",
        )


def _correction(replacement: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "record.corrected",
        "corrects": EARLIER,
        "reason": "Keyed in error",
        "discovered_at": "2026-11-20T10:00:00Z",
        "replacement": replacement,
    }


def test_no_falsification_a_correction_replaces_an_accepted_event_of_its_kind() -> None:
    state = MemoryState()
    state.log[EARLIER] = LoggedEvent(EARLIER, LICENCE, "tags.received", "accepted", None, None)
    assert check("NO-FALSIFICATION", state, event(_correction(TAGS))) == []
    rejected(
        check("NO-FALSIFICATION", state, event(_correction(_register("x")))),
        "NO-FALSIFICATION",
        f"Event {EARLIER} recorded a tags.received; its replacement must be a tags.received too",
    )
    cases = {
        LoggedEvent(EARLIER, "CA-2002", "tags.received", "accepted", None, None): "is not in the "
        "record of licence OR-1001",
        LoggedEvent(EARLIER, LICENCE, "tags.received", "rejected", None, None): "was rejected",
        LoggedEvent(EARLIER, LICENCE, "tags.received", "accepted", "c-1", None): "was already "
        "corrected by event c-1; correct that correction instead",
    }
    for logged, words in cases.items():
        state.log[EARLIER] = logged
        rejected(
            check("NO-FALSIFICATION", state, event(_correction(TAGS))), "NO-FALSIFICATION", words
        )
    # A correction of a correction replaces with the kind the first one put in place.
    state.log[EARLIER] = LoggedEvent(
        EARLIER, LICENCE, "record.corrected", "accepted", None, "tags.received"
    )
    assert check("NO-FALSIFICATION", state, event(_correction(TAGS))) == []
    del state.log[EARLIER]
    rejected(
        check("NO-FALSIFICATION", state, event(_correction(TAGS))),
        "NO-FALSIFICATION",
        "is not in the record",
    )
