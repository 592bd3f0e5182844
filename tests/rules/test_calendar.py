"""Business days and deadlines against the real state holiday calendars, midnight and DST."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.compliance.rules.calendar import (
    Jurisdiction,
    add_business_days,
    add_calendar_days,
    add_hours,
    business_days_between,
    close_of_business,
    is_business_day,
    is_late,
    local_date,
    nth_business_day,
)

LA = ZoneInfo("America/Los_Angeles")
NY = ZoneInfo("America/New_York")


def at(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz)  # type: ignore[misc]


def test_weekends_are_not_business_days() -> None:
    assert is_business_day(date(2026, 3, 6), "OR")  # Friday
    assert not is_business_day(date(2026, 3, 7), "OR")
    assert not is_business_day(date(2026, 3, 8), "OR")


def test_thanksgiving_and_the_day_after_in_california() -> None:
    # The holidays package lists "Day After Thanksgiving" for CA only, matching CA state law.
    assert not is_business_day(date(2026, 11, 26), "CA")
    assert not is_business_day(date(2026, 11, 27), "CA")
    assert not is_business_day(date(2026, 11, 26), "OR")
    assert is_business_day(date(2026, 11, 27), "OR")
    assert is_business_day(date(2026, 11, 27), "CT")


@pytest.mark.parametrize("jurisdiction", ["OR", "CA", "CT"])
def test_july_4_on_a_saturday_is_observed_on_friday(jurisdiction: str) -> None:
    assert date(2026, 7, 4).weekday() == 5
    assert not is_business_day(date(2026, 7, 3), jurisdiction)  # type: ignore[arg-type]
    assert is_business_day(date(2026, 7, 6), jurisdiction)  # type: ignore[arg-type]


def test_july_4_on_a_sunday_is_observed_on_monday() -> None:
    assert date(2027, 7, 4).weekday() == 6
    assert not is_business_day(date(2027, 7, 5), "OR")
    assert nth_business_day(date(2027, 7, 2), 1, "OR") == date(2027, 7, 6)


def test_juneteenth() -> None:
    assert date(2026, 6, 19).weekday() == 4
    assert not is_business_day(date(2026, 6, 19), "CT")
    # Thursday 18 June + 1 business day skips Juneteenth and the weekend.
    assert nth_business_day(date(2026, 6, 18), 1, "CT") == date(2026, 6, 22)


def test_state_specific_holidays_differ() -> None:
    assert not is_business_day(date(2026, 3, 31), "CA")  # Cesar Chavez Day
    assert is_business_day(date(2026, 3, 31), "OR")
    assert not is_business_day(date(2026, 4, 3), "CT")  # Good Friday
    assert is_business_day(date(2026, 4, 3), "CA")


def test_a_datetime_is_refused_where_a_local_date_is_meant() -> None:
    with pytest.raises(TypeError, match="local date"):
        is_business_day(datetime(2026, 3, 6, tzinfo=UTC), "OR")


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_business_days(datetime(2026, 3, 6, 12), 3, "OR", LA)


def test_docstring_example_over_thanksgiving() -> None:
    start = at(LA, 2026, 11, 25, 10, 0)
    assert add_business_days(start, 3, "CA", LA) == datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    with_close = add_business_days(start, 3, "CA", LA, close=time(17, 0))
    assert with_close == datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    # Oregon has no holiday on the Friday: one day earlier.
    assert add_business_days(start, 3, "OR", LA) == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def test_the_local_date_decides_not_the_utc_date() -> None:
    # Thursday 23:30 in Los Angeles is already Friday in UTC; it happened on Thursday.
    thursday_late = at(LA, 2026, 3, 5, 23, 30)
    assert thursday_late.astimezone(UTC).date() == date(2026, 3, 6)
    assert add_business_days(thursday_late, 1, "OR", LA) == at(LA, 2026, 3, 7, 0, 0)
    # Friday 00:30 local is Friday: its next business day is Monday.
    friday_early = at(LA, 2026, 3, 6, 0, 30)
    assert add_business_days(friday_early, 1, "OR", LA) == at(LA, 2026, 3, 10, 0, 0)


def test_friday_2330_and_saturday_0030() -> None:
    friday = at(LA, 2026, 2, 27, 23, 30)
    saturday = at(LA, 2026, 2, 28, 0, 30)
    # Friday evening: the same business day ends at Friday's midnight; Saturday's rolls to Monday.
    assert add_business_days(friday, 0, "OR", LA) == at(LA, 2026, 2, 28, 0, 0)
    assert add_business_days(saturday, 0, "OR", LA) == at(LA, 2026, 3, 3, 0, 0)
    # Recorded Wednesday: 3 business days after Friday (Mon, Tue, Wed), also after Saturday.
    wednesday = at(LA, 2026, 3, 4, 9, 0)
    assert business_days_between(friday, wednesday, "OR", LA) == 3
    assert business_days_between(saturday, wednesday, "OR", LA) == 3
    # Recorded Thursday morning is late for the Friday event.
    thursday = at(LA, 2026, 3, 5, 9, 0)
    assert is_late(friday, thursday, 3, "OR", LA)
    assert not is_late(friday, wednesday, 3, "OR", LA)


def test_business_days_deadline_across_the_march_change() -> None:
    # Friday 6 March 2026 (PST); DST starts Sunday 8 March. Due end of Wed 11 March, in PDT.
    due = add_business_days(at(LA, 2026, 3, 6, 14, 0), 3, "OR", LA)
    assert due == datetime(2026, 3, 12, 7, 0, tzinfo=UTC)
    assert due.astimezone(LA).time() == time(0, 0)
    cob = add_business_days(at(LA, 2026, 3, 6, 14, 0), 3, "OR", LA, close=time(17, 0))
    assert cob == datetime(2026, 3, 12, 0, 0, tzinfo=UTC)


def test_business_days_deadline_across_the_november_change() -> None:
    # Friday 30 October 2026 (EDT); DST ends Sunday 1 November. Due end of Wed 4 Nov, in EST.
    due = add_business_days(at(NY, 2026, 10, 30, 14, 0), 3, "CT", NY, close=time(17, 0))
    assert due == datetime(2026, 11, 4, 22, 0, tzinfo=UTC)
    assert due.astimezone(NY).time() == time(17, 0)


def test_calendar_days_across_dst() -> None:
    due = add_calendar_days(at(LA, 2026, 1, 10, 15, 0), 60, LA)
    assert due == datetime(2026, 3, 12, 7, 0, tzinfo=UTC)
    assert due.astimezone(LA) == at(LA, 2026, 3, 12, 0, 0)


def test_hours_are_elapsed_time_across_dst() -> None:
    start = at(LA, 2026, 10, 31, 23, 0)  # PDT
    due = add_hours(start, 24)
    assert due - start == timedelta(hours=24)
    assert due.astimezone(LA) == at(LA, 2026, 11, 1, 22, 0)  # PST: the clock went back
    assert due.tzinfo is UTC


def test_close_of_business_is_local() -> None:
    assert close_of_business(date(2026, 7, 1), NY, time(17, 30)) == datetime(
        2026, 7, 1, 21, 30, tzinfo=UTC
    )
    assert close_of_business(date(2026, 12, 1), NY, time(17, 30)) == datetime(
        2026, 12, 1, 22, 30, tzinfo=UTC
    )


@given(
    happened=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    ),
    delay=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)),
    jurisdiction=st.sampled_from(["OR", "CA", "CT"]),
)
def test_is_late_is_past_the_nth_business_day(
    happened: datetime, delay: timedelta, jurisdiction: str
) -> None:
    recorded = happened + delay
    j: Jurisdiction = jurisdiction  # type: ignore[assignment]
    late = is_late(happened, recorded, 3, j, LA)
    third = nth_business_day(local_date(happened, LA), 3, j)
    assert late == (local_date(recorded, LA) > third)
    if business_days_between(happened, recorded, j, LA) > 3:
        assert late
