"""The section B definitions as pure functions: which deadlines a jurisdiction gets, due times
on real state holidays, weekends, local midnight and daylight-saving changes, and TAG-SUPPLY's
arithmetic. No database: the facts are a plain object."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from schemas.events import EventEnvelope
from server.compliance.deadlines import DEADLINES, Category
from server.compliance.deadlines.definitions import reconcile_day, supply
from server.compliance.deadlines.engine import effects_for
from server.compliance.deadlines.model import (
    Context,
    LicenseeCalendar,
    Open,
    Outage,
    Person,
    Resolve,
    Subject,
    TagStock,
)
from server.compliance.rules.calendar import Jurisdiction, add_business_days
from server.compliance.rules.catalogue import CATALOGUE, ENTRIES, pack
from tests.server.desk import arrived, destroyed, la, received, sale, user_registered, weighed
from tests.server.floor import Station, uid

LA = ZoneInfo("America/Los_Angeles")
NY = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@dataclass
class Facts:
    ordered: bool = False
    in_transit: bool = False
    staff: list[Person] = field(default_factory=list)
    losses: list[Outage] = field(default_factory=list)
    entered: int = 0

    def tags_ordered(self) -> bool:
        return self.ordered

    def tags_in_transit(self, at: datetime) -> bool:
        return self.in_transit

    def person(self, user_id: str) -> Person | None:
        return next((p for p in self.staff if p.user_id == user_id), None)

    def people(self) -> Sequence[Person]:
        return self.staff

    def outage(self, lost_event_id: str) -> Outage | None:
        return next((o for o in self.losses if o.lost_event_id == lost_event_id), None)

    def outages_covering(self, moment: datetime, station_id: str) -> Sequence[Outage]:
        return [o for o in self.losses if o.covers(moment, station_id)]

    def entered_during(self, outage: Outage) -> int:
        return self.entered

    def tag_stock(self, tag_type: str, since: datetime) -> TagStock:
        raise AssertionError("not asked in these tests")


def calendar(jurisdiction: Jurisdiction = "CA", **kw: Any) -> LicenseeCalendar:
    tz = NY if jurisdiction == "CT" else LA
    return LicenseeCalendar("X-1", jurisdiction, tz, rules=pack(jurisdiction), **kw)


def context(
    payload: dict[str, Any],
    occurred_at: datetime,
    cal: LicenseeCalendar | None = None,
    facts: Facts | None = None,
) -> Context:
    event: EventEnvelope = Station("desk-1", "X-1").event(payload, occurred_at=occurred_at)
    return Context(
        event,
        occurred_at,
        occurred_at,
        calendar() if cal is None else cal,
        Facts() if facts is None else facts,
    )


def test_every_section_b_rule_has_a_definition_with_the_catalogue_citation() -> None:
    section_b = {e.id for e in ENTRIES if e.section == "B"}
    assert set(DEADLINES) == section_b
    for rule_id, d in DEADLINES.items():
        assert d.citation == CATALOGUE[rule_id].citation
        expected = Category.INFORMATIONAL if rule_id == "TAG-SUPPLY" else Category.COMPLIANCE
        assert d.category is expected, rule_id


def test_connecticut_gets_no_deadline_and_oregon_only_its_own() -> None:
    assert not pack("CT") & set(DEADLINES)
    assert pack("OR") & set(DEADLINES) == {
        "CORRECTION-3BD",
        "OUTAGE-BACKFILL",
        "DAILY-RECONCILE",
        "RETAIL-SALES-EOD",
        "TAG-SUPPLY",
    }
    at = la(2026, 12, 1, 10, 0)
    assert effects_for(context(destroyed(uid(1)), at, calendar("CT"))) == []
    assert effects_for(context(destroyed(uid(1)), at, calendar("OR"))) == []
    effects = effects_for(context(destroyed(uid(1)), at, calendar("CA")))
    assert [(type(e).__name__, e.rule_id) for e in effects] == [
        ("Open", "UID-RETIRE-3BD"),
        ("Resolve", "DISPOSITION-3BD"),
    ]


def due(rule_id: str, start: datetime, cal: LicenseeCalendar | None = None) -> datetime | None:
    return (calendar() if cal is None else cal).due(rule_id, start)


def test_business_days_skip_each_states_own_holidays() -> None:
    wednesday = la(2026, 11, 25, 10, 0)
    # CA: Thanksgiving and the day after; OR: Thanksgiving only.
    assert due("CORRECTION-3BD", wednesday) == utc(2026, 12, 3, 8, 0)
    assert add_business_days(wednesday, 3, "OR", LA) == utc(2026, 12, 2, 8, 0)
    assert due("CORRECTION-3BD", wednesday, calendar("OR")) is None  # OR sets no limit
    # Cesar Chavez Day (Tuesday 31 March 2026) is a CA holiday, not an OR one.
    monday = la(2026, 3, 30, 10, 0)
    assert due("CORRECTION-3BD", monday) == utc(2026, 4, 4, 7, 0)  # Wed 1, Thu 2, Fri 3
    assert add_business_days(monday, 3, "OR", LA) == utc(2026, 4, 3, 7, 0)


def test_the_local_date_decides_around_midnight() -> None:
    # Thursday 23:30 in Los Angeles is Friday in UTC; it happened on Thursday: Fri, Mon, Tue.
    thursday_night = la(2026, 12, 3, 23, 30)
    assert thursday_night.astimezone(UTC).day == 4
    assert due("UID-RETIRE-3BD", thursday_night) == utc(2026, 12, 9, 8, 0)
    # Friday 00:30 local: Mon, Tue, Wed.
    assert due("UID-RETIRE-3BD", la(2026, 12, 4, 0, 30)) == utc(2026, 12, 10, 8, 0)
    # Due exactly at local midnight: one minute before is in time, midnight is late.
    deadline = due("UID-RETIRE-3BD", thursday_night)
    assert deadline is not None
    assert deadline.astimezone(LA).time() == time(0, 0)


def test_business_days_across_the_november_change() -> None:
    # Thursday 29 October 2026 (PDT); the clocks go back on Sunday 1 November. Due at the
    # midnight ending Tuesday 3 November, PST: 08:00 UTC, not 07:00.
    assert due("DIVERSION-REPORT-3BD", la(2026, 10, 29, 10, 0)) == utc(2026, 11, 4, 8, 0)


def test_close_of_business_across_the_march_change_and_on_weekends() -> None:
    cal = calendar("OR", close=time(17, 0))
    assert reconcile_day(cal, date(2026, 3, 6)).due_at == utc(2026, 3, 7, 1, 0)  # PST
    assert reconcile_day(cal, date(2026, 3, 9)).due_at == utc(2026, 3, 10, 0, 0)  # PDT
    # A sale on Saturday 7 March is due at close of Monday 9 March, in PDT.
    effects = effects_for(context(sale(uid(1), la(2026, 3, 7, 12, 0)), la(2026, 3, 7, 12), cal))
    (resolve,) = effects
    assert isinstance(resolve, Resolve)
    assert resolve.otherwise is not None
    assert resolve.otherwise.due_at == utc(2026, 3, 10, 0, 0)
    assert resolve.otherwise.subject == Subject("sales_day", "2026-03-09")


def test_disposition_due_3_business_days_after_it_happened() -> None:
    at = la(2026, 11, 20, 10, 0)
    (resolve,) = effects_for(context(weighed("HB-1", "dry"), at))
    assert isinstance(resolve, Resolve)
    assert resolve.rule_id == "DISPOSITION-3BD"
    assert resolve.otherwise is not None
    assert resolve.otherwise.due_at == utc(2026, 11, 26, 8, 0)
    assert not resolve.keep  # on time: nothing stored


def test_transfer_receipt_keeps_each_uid_pending() -> None:
    a, b = uid(1), uid(2)
    at = la(2026, 12, 1, 9, 0)
    (opened,) = effects_for(context(arrived("M-1", [a, b], at), at))
    assert isinstance(opened, Open)
    assert (opened.pending, opened.due_at) == ((a, b), utc(2026, 12, 2, 17, 0))
    (resolve,) = effects_for(context(received("M-1", [a]), at))
    assert isinstance(resolve, Resolve)
    assert resolve.items == (a,)


def test_training_waits_for_the_licensure_date() -> None:
    person = Person("ana", "account_manager", la(2026, 12, 1, 9), None, None)
    at = la(2026, 12, 1, 9, 0)
    ctx = context(user_registered("ana"), at, facts=Facts(staff=[person]))
    assert [e.rule_id for e in effects_for(ctx)] == ["TAG-REQUEST-5BD"]
    cal = calendar(licensure_date=date(2026, 11, 2))
    ctx = context(user_registered("ana"), at, cal, Facts(staff=[person]))
    assert sorted(e.rule_id for e in effects_for(ctx)) == ["TAG-REQUEST-5BD", "TRAINING-5BD"]


def test_licensure_grace_is_the_first_ten_calendar_days() -> None:
    cal = calendar(licensure_date=date(2026, 12, 1))
    assert not cal.in_licensure_grace(date(2026, 11, 30))
    assert cal.in_licensure_grace(date(2026, 12, 1))
    assert cal.in_licensure_grace(date(2026, 12, 10))
    assert not cal.in_licensure_grace(date(2026, 12, 11))
    assert not calendar().in_licensure_grace(date(2026, 12, 1))


def test_an_outage_covers_its_station_or_the_whole_premises() -> None:
    lost, back = la(2026, 12, 1, 8, 0), la(2026, 12, 1, 12, 0)
    one = Outage("e1", "veg-1", lost, "power", back, 2)
    everywhere = Outage("e2", None, lost, "internet", None, None)
    assert one.covers(la(2026, 12, 1, 9, 0), "veg-1")
    assert not one.covers(la(2026, 12, 1, 9, 0), "veg-2")
    assert not one.covers(la(2026, 12, 1, 13, 0), "veg-1")
    assert one.covers(lost, "veg-1")
    assert not one.covers(back, "veg-1")  # done once access was back
    assert everywhere.covers(la(2026, 12, 9, 9, 0), "veg-2")  # not restored yet
    assert (one.complete(1), one.complete(2)) == (False, True)
    assert not everywhere.complete(5)
    zero = Outage("e3", None, lost, "internet", back, 0)
    assert zero.complete(0)


def stock(available: int, used: int) -> TagStock:
    return TagStock("plant", available, used, la(2026, 11, 1, 9, 0))


NOW = la(2026, 12, 1, 9, 0)


@pytest.mark.parametrize(
    ("available", "used", "warns"),
    [
        (10, 0, False),  # no use, no rate: never runs out
        (0, 0, False),
        (14, 14, False),  # 1 a day, 14 days left: enough
        (13, 14, True),
        (0, 1, True),
    ],
)
def test_tag_supply_warns_below_the_configured_days(available: int, used: int, warns: bool) -> None:
    effects = supply(calendar(), stock(available, used), 14, 14, NOW, in_transit=False)
    (effect,) = effects
    assert isinstance(effect, Open) == warns
    assert effect.rule_id == "TAG-SUPPLY"


def test_tag_supply_message_and_the_licensure_grace() -> None:
    (opened,) = supply(calendar(), stock(5, 28), 14, 14, NOW, in_transit=False)
    assert isinstance(opened, Open)
    assert opened.message.startswith("5 unassigned plant tags left: at the last 14 days' rate")
    assert "(2.0 a day) they last about 2 days" in opened.message
    assert opened.due_at is None
    newly_licensed = calendar(licensure_date=date(2026, 11, 28))
    assert supply(newly_licensed, stock(0, 28), 14, 14, NOW, in_transit=True) == []
    assert len(supply(newly_licensed, stock(0, 28), 14, 14, NOW, in_transit=False)) == 1
