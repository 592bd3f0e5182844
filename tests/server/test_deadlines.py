"""Each section B deadline on SQLite and PostgreSQL: what opens it (with its rule ID, citation
and due time on the licensee's calendar), what resolves it, what does not open it, and overdue
marking when the clock passes the due time."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from schemas.events import EventEnvelope
from server.compliance.deadlines import (
    Category,
    DismissRefused,
    NotificationPublic,
    State,
    dismiss,
    get_notification,
)
from server.compliance.rules.catalogue import CATALOGUE
from server.db.core_tables import NOTIFICATIONS as N
from server.ingest.users import register_user
from tests.pinned import START
from tests.server.conftest import add_unstaffed_licensee
from tests.server.desk import (
    CA_LICENCE,
    OR_LICENCE,
    Desk,
    access_lost,
    access_restored,
    arrived,
    corrected,
    destroyed,
    discovered,
    flagged,
    la,
    licence_updated,
    received,
    reported,
    retired,
    sale,
    tags_ordered,
    tags_received,
    training_registered,
    user_registered,
    weighed,
)
from tests.server.domain import reconciled
from tests.server.floor import harvested, uid


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def only(desk: Desk, rule_id: str) -> NotificationPublic:
    found = desk.notifications(rule_id)
    assert len(found) == 1, found
    n = found[0]
    assert n.rule_id == rule_id
    # The licensee's own state's provisions only (issue 16 item 1).
    jurisdiction = "CA" if desk.licence.startswith("CA-") else "OR"
    assert n.citation == CATALOGUE[rule_id].cite(jurisdiction)
    return n


def leaves_no_trace(
    desk: Desk,
    rule_id: str,
    payload: dict[str, Any],
    occurred_at: datetime,
    received_at: datetime | None = None,
) -> None:
    """``payload``, sent (:meth:`Desk.send`), is in time or no deadline of the licensee's: no
    notice on its ack, and no notification of ``rule_id`` kept."""
    _, notices = desk.send(payload, occurred_at, received_at=received_at)
    assert notices == []
    assert desk.notifications(rule_id) == []


def outage(
    desk: Desk,
    lost_at: datetime,
    restored_at: datetime,
    backlog: int,
    station_id: str | None = None,
) -> EventEnvelope:
    """A loss of access (of ``station_id``; None: the whole premises) recorded as it began, and
    its restoration with ``backlog`` events behind; returns the ``access.lost`` event."""
    lost, _ = desk.send(access_lost(lost_at, station_id), lost_at)
    desk.send(access_restored(lost.event_id, restored_at, backlog), restored_at)
    return lost


def overdue_at(desk: Desk, rule_id: str, due: datetime) -> None:
    """The sweep leaves it open just before ``due`` and marks it overdue at ``due``."""
    desk.sweep(due - timedelta(seconds=1))
    assert only(desk, rule_id).state is State.OPEN
    desk.sweep(due)
    n = only(desk, rule_id)
    assert n.state is State.OVERDUE
    assert n.overdue_at == due


# --- UID-RETIRE-3BD -------------------------------------------------------------------------


def test_uid_retire_opens_on_destruction_and_resolves_on_retirement(engine: Engine) -> None:
    desk = Desk(engine)
    # Wednesday before Thanksgiving: Thursday 26 and Friday 27 are CA holidays.
    desk.send(destroyed(uid(1)), la(2026, 11, 25, 10, 0))
    n = only(desk, "UID-RETIRE-3BD")
    assert n.citation == "CA 8403(e)"
    assert n.category is Category.COMPLIANCE
    assert (n.subject_type, n.subject_id) == ("tag", uid(1))
    assert n.due_at == utc(2026, 12, 3, 8, 0)  # end of Wednesday 2 December, PST
    assert "tag.retired" in n.resolves_by
    _, notices = desk.send(retired(uid(1)), la(2026, 12, 2, 16, 0))
    n = only(desk, "UID-RETIRE-3BD")
    assert n.state is State.RESOLVED
    assert n.resolved_at == la(2026, 12, 2, 16, 0)
    assert notices == []


def test_uid_retire_goes_overdue_when_the_clock_passes(engine: Engine) -> None:
    desk = Desk(engine)
    desk.send(destroyed(uid(1)), la(2026, 11, 25, 10, 0))
    overdue_at(desk, "UID-RETIRE-3BD", utc(2026, 12, 3, 8, 0))
    _, notices = desk.send(retired(uid(1)), la(2026, 12, 3, 9, 0))
    assert only(desk, "UID-RETIRE-3BD").state is State.RESOLVED
    assert [n.rule_id for n in notices] == ["UID-RETIRE-3BD"]
    assert "Recorded late" in notices[0].message
    assert notices[0].message.endswith("(CA 8403(e))")


def test_uid_retire_is_not_in_the_oregon_pack_nor_for_untagged_plants(engine: Engine) -> None:
    oregon = Desk(engine, OR_LICENCE)
    oregon.send(destroyed(uid(1)), la(2026, 11, 25, 10, 0))
    assert oregon.notifications("UID-RETIRE-3BD") == []
    desk = Desk(engine)
    batch_destroyed = {**destroyed(uid(2)), "uid": None, "batch_id": "B-1", "count": 4}
    desk.send(batch_destroyed, la(2026, 11, 25, 10, 0))
    assert desk.notifications("UID-RETIRE-3BD") == []


# --- DISPOSITION-3BD ------------------------------------------------------------------------


def test_disposition_recorded_in_time_leaves_no_trace(engine: Engine) -> None:
    desk = Desk(engine)
    # Friday 20 November + 3 business days: Mon 23, Tue 24, Wed 25 -> due Thu 26 00:00 PST.
    dry = weighed("HB-1", "dry")
    received_at = la(2026, 11, 25, 23, 59)
    leaves_no_trace(desk, "DISPOSITION-3BD", dry, la(2026, 11, 20, 10, 0), received_at=received_at)


def test_disposition_recorded_late_is_flagged_and_kept(engine: Engine) -> None:
    desk = Desk(engine)
    event, notices = desk.send(
        weighed("HB-1", "dry"), la(2026, 11, 20, 10, 0), received_at=la(2026, 11, 26, 0, 0)
    )
    assert [(v.rule_id, v.citation) for v in notices] == [("DISPOSITION-3BD", "CA 8405(c)")]
    assert "harvest_batch.weighed of harvest batch HB-1" in notices[0].message
    assert "Thu 2026-11-26 00:00 PST" in notices[0].message
    n = only(desk, "DISPOSITION-3BD")
    assert (n.subject_type, n.subject_id) == ("event", event.event_id)
    assert n.state is State.RESOLVED
    assert n.late


def test_disposition_during_a_loss_of_access_has_until_3_days_after_restoration(
    engine: Engine,
) -> None:
    desk = Desk(engine)
    outage(desk, la(2026, 12, 1, 8, 0), la(2026, 12, 8, 9, 0), 1)
    # Happened Tuesday 1 December during the loss; 3 business days after it is long past, but
    # it may be entered until the end of Friday 11 December (3 business days after restoring).
    dry = weighed("HB-1", "dry")
    received_at = la(2026, 12, 10, 15, 0)
    leaves_no_trace(desk, "DISPOSITION-3BD", dry, la(2026, 12, 1, 10, 0), received_at=received_at)


# --- NET-WEIGHT-60D -------------------------------------------------------------------------


def test_net_weight_within_60_calendar_days_of_harvest(engine: Engine) -> None:
    desk = Desk(engine)
    desk.send(harvested(uid(1), "500", "HB-1"), la(2026, 1, 10, 15, 0))
    desk.send(harvested(uid(2), "500", "HB-1"), la(2026, 1, 11, 15, 0))
    n = only(desk, "NET-WEIGHT-60D")  # the first harvest starts it, once
    assert n.citation == "CA 8406(b)"
    assert (n.subject_type, n.subject_id) == ("harvest_batch", "HB-1")
    assert n.due_at == utc(2026, 3, 12, 7, 0)  # local midnight, PDT by then
    desk.send(weighed("HB-1", "dry"), la(2026, 2, 1, 9, 0))
    assert only(desk, "NET-WEIGHT-60D").state is State.OPEN  # a dry weight does not close it
    desk.send(weighed("HB-1", "net"), la(2026, 2, 20, 9, 0))
    assert only(desk, "NET-WEIGHT-60D").state is State.RESOLVED


def test_net_weight_overdue(engine: Engine) -> None:
    desk = Desk(engine)
    desk.send(harvested(uid(1), "500", "HB-1"), la(2026, 1, 10, 15, 0))
    overdue_at(desk, "NET-WEIGHT-60D", utc(2026, 3, 12, 7, 0))


# --- TAG-RECEIPT-3BD ------------------------------------------------------------------------


def test_tag_receipt_documented_in_time_across_thanksgiving(engine: Engine) -> None:
    desk = Desk(engine)
    # Delivered Monday 23 November: Tue 24, Wed 25, (Thanksgiving and the day after), Mon 30.
    delivered = tags_received(1, 100, delivered_at=la(2026, 11, 23, 9, 0))
    leaves_no_trace(desk, "TAG-RECEIPT-3BD", delivered, la(2026, 11, 30, 16, 0))


def test_tag_receipt_documented_late_is_flagged(engine: Engine) -> None:
    desk = Desk(engine)
    _, notices = desk.send(
        tags_received(1, 100, delivered_at=la(2026, 11, 23, 9, 0)), la(2026, 12, 1, 9, 0)
    )
    assert [(v.rule_id, v.citation) for v in notices] == [("TAG-RECEIPT-3BD", "CA 8403(a)(3)")]
    n = only(desk, "TAG-RECEIPT-3BD")
    assert n.subject_id == f"{uid(1)}..{uid(100)}"
    assert n.due_at == utc(2026, 12, 1, 8, 0)
    assert n.late


# --- TAG-REQUEST-5BD ------------------------------------------------------------------------


def _unstaffed(engine: Engine) -> Desk:
    """A CA licensee with nobody registered yet: the engine fixture's licensees already have an
    account manager, credentialed at set-up time, whose TAG-REQUEST-5BD is already running."""
    add_unstaffed_licensee(engine, "CA-3003", "Sierra Seedlings", "CA")
    return Desk(engine, licence="CA-3003")


def test_tag_request_within_5_business_days_of_credentialing(engine: Engine) -> None:
    desk = _unstaffed(engine)
    desk.send(user_registered("ana.ruiz"), la(2026, 11, 30, 9, 0))
    n = only(desk, "TAG-REQUEST-5BD")
    assert n.citation == "CA 8403(a)"
    assert n.due_at == utc(2026, 12, 8, 8, 0)  # Tue 1 ... Mon 7, due end of Monday 7
    overdue_at(desk, "TAG-REQUEST-5BD", utc(2026, 12, 8, 8, 0))
    desk.send(tags_ordered(), la(2026, 12, 8, 10, 0))
    assert only(desk, "TAG-REQUEST-5BD").state is State.RESOLVED


def test_tag_request_not_opened_once_tags_were_ordered_or_for_a_plain_user(
    engine: Engine,
) -> None:
    desk = _unstaffed(engine)
    desk.send(user_registered("sam.lee", role="user"), la(2026, 11, 30, 9, 0))
    desk.send(tags_ordered(), la(2026, 11, 30, 10, 0))
    desk.send(user_registered("ana.ruiz"), la(2026, 11, 30, 11, 0))
    assert desk.notifications("TAG-REQUEST-5BD") == []


# --- TRANSFER-RECEIPT-24H -------------------------------------------------------------------


def test_transfer_receipt_within_24_hours_across_the_dst_change(engine: Engine) -> None:
    desk = Desk(engine)
    a, b = uid(7, "1A4FF02000000220"), uid(8, "1A4FF02000000220")
    desk.send(arrived("M-9", [a, b], la(2026, 10, 31, 12, 0)), la(2026, 10, 31, 12, 5))
    n = only(desk, "TRANSFER-RECEIPT-24H")
    assert n.citation == "CA 8405(b)"
    # 24 elapsed hours: 11:00 PST on Sunday, the clock having gone back an hour.
    assert n.due_at == utc(2026, 11, 1, 19, 0)
    assert n.pending == [a, b]
    desk.send(received("M-9", accepted=[a]), la(2026, 10, 31, 15, 0))
    n = only(desk, "TRANSFER-RECEIPT-24H")
    assert (n.state, n.pending) == (State.OPEN, [b])
    desk.send(received("M-9", accepted=[], rejected=(b,)), la(2026, 10, 31, 16, 0))
    assert only(desk, "TRANSFER-RECEIPT-24H").state is State.RESOLVED


def test_transfer_receipt_overdue_and_an_arrival_recorded_too_late(engine: Engine) -> None:
    desk = Desk(engine)
    desk.send(arrived("M-9", [uid(7)], la(2026, 10, 31, 12, 0)), la(2026, 10, 31, 12, 5))
    overdue_at(desk, "TRANSFER-RECEIPT-24H", utc(2026, 11, 1, 19, 0))
    _, notices = desk.send(arrived("M-10", [uid(9)], la(2026, 11, 2, 8, 0)), la(2026, 11, 3, 9, 0))
    assert [v.rule_id for v in notices] == ["TRANSFER-RECEIPT-24H"]
    assert notices[0].message.startswith("Already overdue")
    states = {n.subject_id: n.state for n in desk.notifications("TRANSFER-RECEIPT-24H")}
    assert states == {"M-9": State.OVERDUE, "M-10": State.OVERDUE}


# --- CORRECTION-3BD -------------------------------------------------------------------------


def test_correction_within_3_business_days_of_discovery_in_california(engine: Engine) -> None:
    desk = Desk(engine, CA_LICENCE)
    wrong, _ = desk.send(weighed("HB-1"), la(2026, 12, 1, 9, 0))
    desk.send(flagged(wrong.event_id, la(2026, 12, 4, 16, 0)), la(2026, 12, 4, 16, 5))
    n = only(desk, "CORRECTION-3BD")
    assert n.citation == "CA 8402(b)(6)"
    assert (n.subject_type, n.subject_id) == ("event", wrong.event_id)
    assert n.due_at == utc(2026, 12, 10, 8, 0)  # Mon 7, Tue 8, Wed 9
    overdue_at(desk, "CORRECTION-3BD", utc(2026, 12, 10, 8, 0))
    _, notices = desk.send(corrected(wrong.event_id, la(2026, 12, 4, 16, 0)), la(2026, 12, 10, 9))
    assert only(desk, "CORRECTION-3BD").state is State.RESOLVED
    assert [v.rule_id for v in notices] == ["CORRECTION-3BD"]  # said once, though late twice


def test_oregon_sets_the_duty_to_correct_but_no_3_day_limit(engine: Engine) -> None:
    """OR CTS Requirements (5)(d) requires the correction without a time limit: the
    notification stands until the correction, with no due time, and is never late."""
    desk = Desk(engine, OR_LICENCE)
    wrong, _ = desk.send(weighed("HB-1"), la(2026, 12, 1, 9, 0))
    desk.send(flagged(wrong.event_id, la(2026, 12, 4, 16, 0)), la(2026, 12, 4, 16, 5))
    n = only(desk, "CORRECTION-3BD")
    assert (n.state, n.due_at) == (State.OPEN, None)
    desk.sweep(la(2027, 1, 15, 9, 0))
    assert only(desk, "CORRECTION-3BD").state is State.OPEN  # weeks later: still not overdue
    _, notices = desk.send(corrected(wrong.event_id, la(2026, 12, 4, 16, 0)), la(2027, 1, 15, 9))
    assert only(desk, "CORRECTION-3BD").state is State.RESOLVED
    assert notices == []  # not late: Oregon sets no limit


def test_an_unflagged_correction_is_judged_by_its_own_discovery_time(engine: Engine) -> None:
    desk = Desk(engine)
    wrong, _ = desk.send(weighed("HB-1"), la(2026, 11, 30, 9, 0))
    _, on_time = desk.send(corrected(wrong.event_id, la(2026, 11, 30, 10, 0)), la(2026, 12, 3, 9))
    assert on_time == []
    assert desk.notifications("CORRECTION-3BD") == []
    _, late = desk.send(corrected(wrong.event_id, la(2026, 11, 30, 10, 0)), la(2026, 12, 4, 9))
    assert [(v.rule_id, v.citation) for v in late] == [("CORRECTION-3BD", "CA 8402(b)(6)")]


# --- OUTAGE-BACKFILL ------------------------------------------------------------------------


def test_outage_backfill_resolves_when_the_backlog_is_entered(engine: Engine) -> None:
    desk = Desk(engine, CA_LICENCE)
    lost, _ = desk.send(access_lost(la(2026, 12, 7, 8, 0), "desk-1"), la(2026, 12, 7, 8, 0))
    assert desk.notifications("OUTAGE-BACKFILL") == []  # the clock starts at restoration
    desk.send(access_restored(lost.event_id, la(2026, 12, 7, 12, 0), 2), la(2026, 12, 7, 12, 0))
    n = only(desk, "OUTAGE-BACKFILL")
    assert n.citation == "CA 8402(d)(1)-(2)"
    assert (n.subject_type, n.subject_id) == ("outage", lost.event_id)
    assert n.due_at == utc(2026, 12, 11, 8, 0)  # Tue 8, Wed 9, Thu 10
    assert "internet down" in n.message
    assert "2 events" in n.message
    assert n.message.startswith("Station desk-1 lost access ")  # which one, when, why
    desk.send(weighed("HB-1", "dry"), la(2026, 12, 7, 13, 0))  # after restoration: not backlog
    desk.send(weighed("HB-2", "dry"), la(2026, 12, 7, 9, 0), received_at=la(2026, 12, 7, 14))
    assert only(desk, "OUTAGE-BACKFILL").state is State.OPEN
    desk.send(weighed("HB-3", "dry"), la(2026, 12, 7, 10, 0), received_at=la(2026, 12, 8, 9))
    assert only(desk, "OUTAGE-BACKFILL").state is State.RESOLVED


def test_outage_without_backlog_is_resolved_at_once_and_overdue_otherwise(
    engine: Engine,
) -> None:
    desk = Desk(engine)
    outage(desk, la(2026, 12, 7, 8, 0), la(2026, 12, 7, 8, 30), 0)
    assert only(desk, "OUTAGE-BACKFILL").state is State.RESOLVED
    later = Desk(engine, station_id="desk-2")
    lost = outage(later, la(2026, 12, 8, 8, 0), la(2026, 12, 8, 12, 0), 5)
    [second] = [n for n in later.notifications("OUTAGE-BACKFILL") if n.subject_id == lost.event_id]
    assert second.message.startswith("The whole premises lost access ")
    assert second.due_at == utc(2026, 12, 12, 8, 0)  # Wed 9, Thu 10, Fri 11 (CA): end of Fri
    later.sweep(utc(2026, 12, 12, 8, 0))
    assert get_notification(engine, second.id).state is State.OVERDUE


def test_oregon_backfill_has_no_3_day_limit(engine: Engine) -> None:
    """OR CTS Requirements (8): the loss documented and everything entered once access is
    restored, with no limit set: no due time, and a backlog event entered weeks later is not
    late."""
    desk = Desk(engine, OR_LICENCE)
    outage(desk, la(2026, 12, 7, 8, 0), la(2026, 12, 7, 12, 0), 1, "desk-1")
    n = only(desk, "OUTAGE-BACKFILL")
    assert (n.state, n.due_at) == (State.OPEN, None)
    desk.sweep(la(2027, 1, 15, 9, 0))
    assert only(desk, "OUTAGE-BACKFILL").state is State.OPEN
    _, notices = desk.send(weighed("HB-2", "dry"), la(2026, 12, 7, 9), received_at=la(2027, 1, 15))
    assert only(desk, "OUTAGE-BACKFILL").state is State.RESOLVED
    assert notices == []


# --- DAILY-RECONCILE ------------------------------------------------------------------------


def test_daily_reconcile_opens_each_business_day_due_at_close_of_business(
    engine: Engine,
) -> None:
    desk = Desk(engine, OR_LICENCE)
    desk.registered_on(la(2026, 11, 24, 8, 0))
    desk.sweep(la(2026, 11, 24, 0, 5))  # before registration day's first sweep: nothing
    desk.sweep(la(2026, 11, 24, 9, 0))
    n = only(desk, "DAILY-RECONCILE")
    assert n.citation == "OR Reconciliation (1)(b),(2),(3)"  # Oregon's own only
    assert (n.subject_type, n.subject_id) == ("business_day", "2026-11-24")
    assert n.due_at == utc(2026, 11, 25, 1, 0)  # 17:00 PST, the default close of business
    desk.send(reconciled(date(2026, 11, 24)), la(2026, 11, 24, 16, 45))
    assert only(desk, "DAILY-RECONCILE").state is State.RESOLVED
    _, again = desk.send(reconciled(date(2026, 11, 24)), la(2026, 11, 24, 18, 0))
    assert again == []  # the day was reconciled in time; a second one is not late
    # Wednesday opens; Thursday is Thanksgiving (an OR holiday); the weekend opens nothing.
    desk.sweep(la(2026, 11, 29, 12, 0))
    days = {n.subject_id: n.state for n in desk.notifications("DAILY-RECONCILE")}
    assert days == {
        "2026-11-24": State.RESOLVED,
        "2026-11-25": State.OVERDUE,
        "2026-11-27": State.OVERDUE,  # the day after Thanksgiving is a business day in OR
    }


def test_daily_reconcile_follows_the_configured_close_and_the_licensure_grace(
    engine: Engine,
) -> None:
    desk = Desk(engine)  # CA: Friday 27 November is a holiday too
    desk.registered_on(la(2026, 11, 20, 8, 0))
    desk.send(licence_updated(date(2026, 11, 20), time(18, 30)), la(2026, 11, 20, 8, 0))
    desk.send(tags_ordered(), la(2026, 11, 20, 9, 0))
    desk.sweep(la(2026, 11, 27, 12, 0))  # first 10 days of licensure, tags in transit: none
    assert desk.notifications("DAILY-RECONCILE") == []
    desk.send(reconciled(date(2026, 12, 1)), la(2026, 12, 1, 8, 0))  # recorded early: kept
    desk.sweep(la(2026, 12, 1, 9, 0))
    days = {n.subject_id: n for n in desk.notifications("DAILY-RECONCILE")}
    assert sorted(days) == ["2026-11-30", "2026-12-01"]
    assert days["2026-11-30"].due_at == utc(2026, 12, 1, 2, 30)  # 18:30 PST
    assert days["2026-11-30"].state is State.OVERDUE
    assert days["2026-12-01"].state is State.RESOLVED


CT_LICENCE = "CT-4004"


def _add_connecticut(engine: Engine) -> None:
    """Registers CT_LICENCE, a Connecticut licensee (whose pack opens no deadlines)."""
    add_unstaffed_licensee(engine, CT_LICENCE, "Nutmeg", "CT", "America/New_York")


def test_daily_reconcile_not_in_connecticut(engine: Engine) -> None:
    _add_connecticut(engine)
    desk = Desk(engine, CT_LICENCE)
    desk.registered_on(la(2026, 11, 30, 5, 0))
    desk.sweep(la(2026, 12, 2, 12, 0))
    desk.send(destroyed(uid(1)), la(2026, 12, 2, 12, 0))
    desk.send(weighed("HB-1"), la(2026, 11, 1, 12, 0), received_at=la(2026, 12, 2, 12, 0))
    assert desk.notifications() == []


# --- RETAIL-SALES-EOD -----------------------------------------------------------------------


def test_retail_sales_recorded_by_close_of_business(engine: Engine) -> None:
    desk = Desk(engine, OR_LICENCE)
    package = uid(40)
    _, on_time = desk.send(sale(package, la(2026, 12, 1, 12, 0)), la(2026, 12, 1, 16, 59))
    # Sold after the 17:00 close: due at close of the next business day.
    _, evening = desk.send(sale(package, la(2026, 12, 1, 18, 0)), la(2026, 12, 2, 10, 0))
    assert on_time == evening == []
    assert desk.notifications("RETAIL-SALES-EOD") == []
    _, late = desk.send(sale(package, la(2026, 12, 3, 12, 0)), la(2026, 12, 3, 17, 5))
    assert [(v.rule_id, v.citation) for v in late] == [
        ("RETAIL-SALES-EOD", "OR Reconciliation (4)")
    ]
    _, again = desk.send(sale(package, la(2026, 12, 3, 13, 0)), la(2026, 12, 3, 17, 6))
    assert [v.rule_id for v in again] == ["RETAIL-SALES-EOD"]  # every late sale is flagged
    n = only(desk, "RETAIL-SALES-EOD")  # one record per sales day
    assert (n.subject_type, n.subject_id, n.state) == ("sales_day", "2026-12-03", State.RESOLVED)
    assert n.due_at == utc(2026, 12, 4, 1, 0)


def test_retail_sales_is_oregon_only(engine: Engine) -> None:
    desk = Desk(engine)
    leaves_no_trace(
        desk, "RETAIL-SALES-EOD", sale(uid(40), la(2026, 12, 1, 12, 0)), la(2026, 12, 8, 12, 0)
    )


# --- TRAINING-5BD ---------------------------------------------------------------------------


def test_training_registration_within_5_business_days_of_licensure(engine: Engine) -> None:
    desk = Desk(engine)
    desk.send(user_registered("ana.ruiz"), la(2026, 11, 30, 9, 0))
    desk.send(user_registered("sam.lee", role="user"), la(2026, 11, 30, 9, 0))
    assert desk.notifications("TRAINING-5BD") == []  # no licensure date yet
    desk.send(licence_updated(date(2026, 12, 1)), la(2026, 12, 1, 9, 0))
    n = only(desk, "TRAINING-5BD")  # only the account manager
    assert n.citation == "CA 8402(b)(2)"
    assert (n.subject_type, n.subject_id) == ("user", "ana.ruiz")
    assert n.due_at == utc(2026, 12, 9, 8, 0)  # Wed 2 ... Tue 8
    overdue_at(desk, "TRAINING-5BD", utc(2026, 12, 9, 8, 0))
    desk.send(training_registered("ana.ruiz", date(2026, 12, 9)), la(2026, 12, 9, 9, 0))
    assert only(desk, "TRAINING-5BD").state is State.RESOLVED


def test_training_not_needed_by_a_trained_account_manager(engine: Engine) -> None:
    desk = Desk(engine)
    desk.send(licence_updated(date(2026, 12, 1)), la(2026, 12, 1, 9, 0))
    desk.send(
        {
            "kind": "user.trained",
            "user_id": "ana.ruiz",
            "trained_on": "2026-11-02",
            "description": "CalCannabis track-and-trace",
            "trainer": "CDFA",
        },
        la(2026, 12, 1, 9, 30),
    )
    assert desk.notifications("TRAINING-5BD") == []
    desk.send(user_registered("ana.ruiz"), la(2026, 12, 1, 10, 0))
    # Registered after licensure: 5 business days from registration.
    assert only(desk, "TRAINING-5BD").due_at == utc(2026, 12, 9, 8, 0)


# --- DIVERSION-REPORT-3BD -------------------------------------------------------------------


def test_diversion_report_within_3_business_days_over_christmas(engine: Engine) -> None:
    desk = Desk(engine)
    found, _ = desk.send(discovered(la(2026, 12, 24, 15, 0)), la(2026, 12, 24, 15, 10))
    n = only(desk, "DIVERSION-REPORT-3BD")
    assert n.citation == "CA 8409"
    assert n.due_at == utc(2026, 12, 31, 8, 0)  # Mon 28, Tue 29, Wed 30
    overdue_at(desk, "DIVERSION-REPORT-3BD", utc(2026, 12, 31, 8, 0))
    _, notices = desk.send(reported(found.event_id, la(2026, 12, 31, 9)), la(2026, 12, 31, 9))
    assert only(desk, "DIVERSION-REPORT-3BD").state is State.RESOLVED
    assert [v.rule_id for v in notices] == ["DIVERSION-REPORT-3BD"]


def test_diversion_is_not_an_oregon_deadline(engine: Engine) -> None:
    desk = Desk(engine, OR_LICENCE)
    desk.send(discovered(la(2026, 12, 24, 15, 0)), la(2026, 12, 24, 15, 10))
    assert desk.notifications("DIVERSION-REPORT-3BD") == []


def test_a_connecticut_refusal_to_dismiss_cites_no_other_states_law(engine: Engine) -> None:
    """Connecticut's pack opens no deadlines, but the state connector files BioTrack's
    refusals as compliance notifications; refusing to dismiss one names seedtrace's own
    policy, never OR's or CA's provisions."""
    _add_connecticut(engine)
    register_user(
        engine,
        CT_LICENCE,
        "rosa.diaz",
        "Rosa Diaz",
        "account_manager",
        date(2026, 11, 2),
        "State",
        clock=ManualClock(START),
    )
    with engine.begin() as conn:
        notification = conn.execute(
            N.insert()
            .values(
                licence=CT_LICENCE,
                rule_id="STATE-REFUSAL",
                citation="CT (BioTrack)",
                category="compliance",
                subject_type="event",
                subject_id="e-1",
                message="BioTrack refused the plant's move.",
                resolves_by="a resend",
                pending="[]",
                state="open",
                started_at=START,
                opened_at=START,
            )
            .returning(N.c.id)
        ).scalar_one()
    with pytest.raises(DismissRefused) as refused:
        dismiss(engine, notification, by="rosa.diaz", now=START + timedelta(hours=1))
    message = str(refused.value)
    assert "seedtrace house policy" in message
    assert "OR " not in message
    assert "CA " not in message
    with engine.connect() as conn:
        state = conn.execute(sa.select(N.c.state).where(N.c.id == notification)).scalar_one()
    assert state == "open"
