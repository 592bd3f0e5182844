"""Each state's own provisions and limits (issue 16), as pure functions: citations per
licensee's jurisdiction, seeds in a batch, future-dated events, closed-out licences in every
state and California's close-out with inventory left, a cancelled worker's outage backlog and
training dated on the premises' calendar."""

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from schemas.events import EventEnvelope
from server.compliance.deadlines import DEADLINES
from server.compliance.rules import REGISTRY, Rule
from server.compliance.rules.calendar import JURISDICTIONS, Jurisdiction
from server.compliance.rules.catalogue import BASELINE_LABEL, CATALOGUE, ENTRIES, pack
from server.compliance.rules.state import (
    BatchState,
    InventoryLeft,
    LicenceState,
    OutageState,
    UserState,
)
from tests.rules.memstate import LICENCE, NOW, MemoryState, check, event, rejected

# What names a state's text: a CDFA section (84xx) or "CA ", an OAR 845-025 rule's heading or
# "OR ", the DCP's announcement.
FOREIGN = {
    "OR": re.compile(r"\bCA\b|\b84\d\d\b|CDFA|\bCT\b"),
    "CA": re.compile(
        r"\bOR\b|OAR|CTS|User Requirements|Cultivation Batches|UID Tags|Reconciliation|"
        r"Inventory Audits|\bCT\b"
    ),
    "CT": re.compile(r"\bOR\b|\bCA\b|\b84\d\d\b|OAR|CTS"),
}
ZONES = {"OR": "America/Los_Angeles", "CA": "America/Los_Angeles", "CT": "America/New_York"}
TAGS = {"kind": "tags.received", "tag_type": "plant", "uids": ["1A4FF0100000022000000001"]}


def _state(j: str, **licence: Any) -> MemoryState:
    return MemoryState(
        licence_state=LicenceState(LICENCE, j, "producer", timezone=ZONES[j], **licence)
    )


def _batch(count: int, origin: str = "clone") -> dict[str, Any]:
    return {
        "kind": "plant_batch.created",
        "batch_id": "B-9",
        "origin": origin,
        "count": count,
        "strain": "Blue Dream",
        "location": "Veg Room 1",
    }


# --- item 1: citations per licensee's jurisdiction -----------------------------------------


@pytest.mark.parametrize("j", JURISDICTIONS)
def test_every_rule_cites_only_the_licensees_own_jurisdiction(j: Jurisdiction) -> None:
    """Every rule of every pack, as a violation (through Rule.violations, reading the state's
    licence), a deadline notice and the catalogue: a licensee never reads another state's
    provision, and a rule with none of its own says it is the baseline."""
    ids = pack(j)
    assert ids, j
    for rule_id in sorted(ids):
        entry = CATALOGUE[rule_id]
        cited = entry.cite(j)
        assert not FOREIGN[j].search(cited), (j, rule_id, cited)
        assert cited.startswith(f"{j} "), (j, rule_id, cited)
        if entry.basis(j) == "baseline":
            assert cited.endswith(BASELINE_LABEL), (j, rule_id, cited)
        if rule_id in REGISTRY:
            said = Rule(rule_id, "", frozenset({"tags.received"}), lambda s, e: ["wrong"])
            (v,) = said.violations(_state(j), event(TAGS))
            assert (v.citation, v.message) == (cited, f"wrong ({cited})")
            assert REGISTRY[rule_id].cite(j) == cited
        if rule_id in DEADLINES:
            assert DEADLINES[rule_id].cite(j) == cited


def test_a_rule_outside_the_pack_has_no_citation_there() -> None:
    with pytest.raises(ValueError, match="PACKAGE-IDENTICAL is not in the CA rule pack"):
        CATALOGUE["PACKAGE-IDENTICAL"].cite("CA")
    for e in ENTRIES:
        for j in set(JURISDICTIONS) - e.jurisdictions:
            with pytest.raises(ValueError, match=f"not in the {j} rule pack"):
                e.cite(j)


def test_the_issue_s_examples_cite_each_state_on_its_own() -> None:
    cite = {i: {j: CATALOGUE[i].cite(j) for j in CATALOGUE[i].jurisdictions} for i in CATALOGUE}
    assert cite["BATCH-MAX-100"] == {"OR": "OR Cultivation Batches (2)", "CA": "CA 8403(b)(1)"}
    assert cite["TAG-ONE-ITEM"]["CA"] == "CA 8403(b)(4),(e)"
    assert cite["TAG-ONE-ITEM"]["OR"] == f"OR User Requirements (1)-(2), {BASELINE_LABEL}"
    assert cite["BATCH-ID-UNIQUE"]["OR"] == "OR Cultivation Batches (1)"
    assert cite["BATCH-ID-UNIQUE"]["CA"] == f"CA 8403(b)(1), {BASELINE_LABEL}"
    assert cite["USER-AUTHORISED"]["OR"] == "OR CTS Requirements (3)-(5), User Requirements (3)"
    assert cite["USER-AUTHORISED"]["CA"] == "CA 8402(b)(2)-(5), 8404(b)"
    assert cite["NO-FALSIFICATION"]["OR"] == "OR User Requirements (4), CTS Requirements (7)(b)"
    assert cite["CORRECTION-3BD"] == {"OR": "OR CTS Requirements (5)(d)", "CA": "CA 8402(b)(6)"}


def test_a_real_rejection_cites_the_licensees_state() -> None:
    """One event, the same wrong, an Oregon and a California licensee: each is pointed to its
    own text."""
    for j, cited in (("OR", "OR Cultivation Batches (2)"), ("CA", "CA 8403(b)(1)")):
        (v,) = check("BATCH-MAX-100", _state(j), event(_batch(101)))
        assert v.citation == cited
        assert v.message.endswith(f"({cited})")


# --- item 5: seeds and tissue cultures are not plants yet ----------------------------------


@pytest.mark.parametrize("j", ["OR", "CA"])
def test_seeds_and_tissue_cultures_do_not_count_toward_batch_max(j: str) -> None:
    state = _state(j)
    assert check("BATCH-MAX-100", state, event(_batch(150, "seed"))) == []
    assert check("BATCH-MAX-100", state, event(_batch(150, "tissue_culture"))) == []
    assert check("BATCH-MAX-100", state, event(_batch(100, "clone"))) == []
    for origin in ("clone", "nursery_seedling"):
        rejected(
            check("BATCH-MAX-100", state, event(_batch(101, origin))),
            "BATCH-MAX-100",
            "Batch B-9 would hold 101 plants; a batch may hold at most 100",
        )


def _germinated(count: int) -> dict[str, Any]:
    return {"kind": "plant_batch.germinated", "batch_id": "B-9", "count": count}


@pytest.mark.parametrize("j", ["OR", "CA"])
def test_germinated_seeds_count_toward_batch_max(j: str) -> None:
    """150 seeds (OR Cultivation Batches (1): a batch may consist of seeds), 30 already plants:
    70 more may come up (100 plants); 71 would make 101 and are refused, citing the state's
    own limit (OR Cultivation Batches (2); CA 8403(b)(1))."""
    state = _state(j)
    state.batches["B-9"] = BatchState("B-9", "Blue Dream", 150, 0, unsprouted_count=120)
    assert check("BATCH-MAX-100", state, event(_germinated(70))) == []
    assert check("ENTRY-FROM-ORIGIN", state, event(_germinated(70))) == []
    (v,) = check("BATCH-MAX-100", state, event(_germinated(71)))
    assert v.citation == {"OR": "OR Cultivation Batches (2)", "CA": "CA 8403(b)(1)"}[j]
    assert v.message.startswith(
        "Batch B-9 would hold 101 plants (30 already, 71 germinated); a batch may hold at "
        "most 100: tag or destroy plants of it first (70 more may become plants now)"
    )


@pytest.mark.parametrize("j", ["OR", "CA"])
def test_a_germination_of_none_is_a_record_and_more_than_the_seeds_is_refused(j: str) -> None:
    state = _state(j)
    state.batches["B-9"] = BatchState("B-9", "Blue Dream", 100, 0, unsprouted_count=0)
    assert check("BATCH-MAX-100", state, event(_germinated(0))) == []
    assert check("ENTRY-FROM-ORIGIN", state, event(_germinated(0))) == []
    rejected(
        check("ENTRY-FROM-ORIGIN", state, event(_germinated(1))),
        "ENTRY-FROM-ORIGIN",
        "Batch B-9 holds 0 seeds or tissue cultures that are not plants yet; 1 cannot have "
        "germinated",
    )
    rejected(
        check("ENTRY-FROM-ORIGIN", _state(j), event(_germinated(5))),
        "ENTRY-FROM-ORIGIN",
        "Batch B-9 does not exist; create the batch first",
    )


# --- item 6: future-dated events -----------------------------------------------------------


@pytest.mark.parametrize("j", JURISDICTIONS)
def test_an_event_dated_after_its_receipt_is_refused(j: str) -> None:
    state = _state(j)
    state.received = NOW
    within = event(TAGS, at=NOW + timedelta(minutes=5))
    assert check("NO-FUTURE-EVENT", state, within) == []
    assert check("NO-FUTURE-EVENT", state, event(TAGS, at=NOW - timedelta(days=30))) == []
    ahead = event(TAGS, at=NOW + timedelta(days=116, hours=2, minutes=3), station="veg-2")
    rejected(
        check("NO-FUTURE-EVENT", state, ahead),
        "NO-FUTURE-EVENT",
        "the clock of station veg-2 reads 116 days 2 h 3 min ahead of the server's",
        "(more than the 5 min allowed)",
    )
    (v,) = check("NO-FUTURE-EVENT", state, event(TAGS, at=NOW + timedelta(minutes=5, seconds=1)))
    assert "reads 5 min 1 s ahead" in v.message


def test_a_future_date_is_shown_on_the_premises_clock() -> None:
    state = _state("CA")
    state.received = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
    (v,) = check("NO-FUTURE-EVENT", state, event(TAGS, at=datetime(2027, 3, 30, 17, tzinfo=UTC)))
    assert "dated Tue 2027-03-30 10:00:00 PDT, after it reached the server at " in v.message
    assert "Fri 2026-12-04 10:00:00 PST" in v.message


def test_a_replay_does_not_judge_receipt_again() -> None:
    state = _state("OR")
    state.received = None  # a correction's replay: the event was judged when it came
    assert check("NO-FUTURE-EVENT", state, event(TAGS, at=NOW + timedelta(days=9))) == []


# --- items 3 and 4: closed-out licences ---------------------------------------------------

CLOSING = {"kind": "inventory.closed_out", "note": "Licence surrendered"}


@pytest.mark.parametrize("j", JURISDICTIONS)
@pytest.mark.parametrize("status", ["surrendered", "expired", "revoked"])
def test_a_closed_out_licence_records_nothing_in_any_state(j: str, status: str) -> None:
    open_ = _state(j, status=status)
    assert check("CLOSED-OUT", open_, event(TAGS)) == []  # closing out its inventory
    closed = _state(j, status=status, closed_out_at=datetime(2026, 11, 2, 20, tzinfo=UTC))
    rejected(
        check("CLOSED-OUT", closed, event(TAGS)),
        "CLOSED-OUT",
        f"Licence {LICENCE} ({status}) was closed out on 2026-11-02; it records no new activity",
    )
    assert "CLOSED-OUT" in pack(j)  # type: ignore[arg-type]


def test_california_close_out_refused_while_inventory_is_on_the_books() -> None:
    state = _state("CA", status="revoked")
    state.left = InventoryLeft(plants=1, unassigned_uids=40)
    rejected(
        check("CLOSED-OUT", state, event(CLOSING)),
        "CLOSED-OUT",
        f"Licence {LICENCE} still has 1 live tagged plant, 40 unassigned UIDs on the books",
    )
    state.left = InventoryLeft(3, 0, 2, 1, 1)
    (v,) = check("CLOSED-OUT", state, event(CLOSING))
    assert (
        "3 untagged items, 2 harvest batches with weight left, 1 package not departed, "
        "1 unassigned UID" in v.message
    )
    assert v.citation == "CA 8406(c),(d)"
    state.left = InventoryLeft()
    assert check("CLOSED-OUT", state, event(CLOSING)) == []


@pytest.mark.parametrize("j", ["OR", "CT"])
def test_outside_california_no_text_requires_an_empty_inventory_first(j: str) -> None:
    state = _state(j, status="revoked")
    state.left = InventoryLeft(plants=1, unassigned_uids=40)
    assert check("CLOSED-OUT", state, event(CLOSING)) == []


# --- item 9 and training: authorisation when the event happened ---------------------------

CANCELLED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _with_leaver(j: str, *losses: OutageState) -> MemoryState:
    state = _state(j)
    state.users["leaver"] = UserState("leaver", "Lee Ver", "user", date(2024, 1, 1), CANCELLED)
    state.losses = list(losses)
    return state


def _loss(
    station: str | None, restored: datetime | None = CANCELLED + timedelta(hours=2)
) -> OutageState:
    """A loss of access from 3 hours before the cancellation (to 2 hours after it)."""
    return OutageState("lost-1", station, CANCELLED - timedelta(hours=3), restored, 5, 0)


def _made(at: datetime, station: str = "harvest-1") -> EventEnvelope:
    return event(TAGS, operator="leaver", at=at, station=station)


@pytest.mark.parametrize("j", ["OR", "CA"])
def test_a_cancelled_workers_outage_backlog_is_entered(j: str) -> None:
    before = CANCELLED - timedelta(hours=1)
    for loss in (_loss("harvest-1"), _loss(None), _loss("harvest-1", restored=None)):
        assert check("USER-AUTHORISED", _with_leaver(j, loss), _made(before)) == [], loss


@pytest.mark.parametrize("j", ["OR", "CA"])
def test_a_cancelled_worker_still_records_nothing_else(j: str) -> None:
    words = "leaver's access was cancelled on 2026-11-20 04:00 PST; they may not record"
    cases = [
        (_with_leaver(j, _loss("harvest-1")), _made(CANCELLED + timedelta(minutes=1))),  # after
        (_with_leaver(j), _made(CANCELLED - timedelta(hours=1))),  # no outage documented
        (_with_leaver(j, _loss("veg-2")), _made(CANCELLED - timedelta(hours=1))),  # elsewhere
        (_with_leaver(j, _loss("harvest-1")), _made(CANCELLED - timedelta(hours=4))),  # before it
    ]
    for state, ev in cases:
        rejected(check("USER-AUTHORISED", state, ev), "USER-AUTHORISED", words)


@pytest.mark.parametrize("j", ["OR", "CA"])
def test_training_is_judged_on_the_premises_day_not_utc(j: str) -> None:
    """03:00 UTC on 21 November is 19:00 on the 20th in Los Angeles: a worker trained on the
    21st did not yet have that training."""
    state = _state(j)
    state.users["new"] = UserState("new", "New Hire", "user", date(2026, 11, 21), None)
    evening = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
    rejected(
        check("USER-AUTHORISED", state, event(TAGS, operator="new", at=evening)),
        "USER-AUTHORISED",
        "new is trained only from 2026-11-21; this event is dated 2026-11-20 on the premises' "
        "calendar (America/Los_Angeles)",
    )
    state.users["new"] = UserState("new", "New Hire", "user", date(2026, 11, 20), None)
    assert check("USER-AUTHORISED", state, event(TAGS, operator="new", at=evening)) == []
