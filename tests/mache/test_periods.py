import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mache.periods import (
    PARIS,
    format_month,
    last_day_of_month,
    month_bounds,
    next_month,
    paris_date,
    parse_month,
    previous_month,
)


def test_a_paris_month_starts_and_ends_at_paris_midnight():
    start, end = month_bounds(dt.date(2026, 3, 1))
    # March 2026: winter time (UTC+1) at the start, summer time (UTC+2) at the end.
    assert start == dt.datetime(2026, 2, 28, 23, 0, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 3, 31, 22, 0, tzinfo=dt.UTC)


def test_a_late_evening_in_utc_is_already_the_next_paris_day():
    moment = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)
    assert paris_date(moment) == dt.date(2026, 12, 1)


@pytest.mark.parametrize(
    "bad",
    [
        "2026-13",
        "2026-1",
        "26-11",
        "",
        "2026/11",
        "2026-00",
        None,
        # out of the sane years, or not in ASCII digits
        "0001-01",
        "9999-12",
        "1999-12",
        "2101-01",
        "２０２６-01",
        "2026-01\n",
    ],
)
def test_parse_month_refuses_malformed_months(bad):
    with pytest.raises(ValueError):
        parse_month(bad)


def test_parse_and_format_month():
    assert parse_month("2026-11") == dt.date(2026, 11, 1)
    assert format_month(dt.date(2026, 1, 1)) == "2026-01"


def test_month_arithmetic_crosses_years():
    assert next_month(dt.date(2026, 12, 1)) == dt.date(2027, 1, 1)
    assert previous_month(dt.date(2026, 1, 1)) == dt.date(2025, 12, 1)
    assert last_day_of_month(dt.date(2028, 2, 1)) == dt.date(2028, 2, 29)


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 1)))
def test_months_tile_time_without_gap_or_overlap(day):
    month = day.replace(day=1)
    start, end = month_bounds(month)
    assert month_bounds(next_month(month))[0] == end
    assert previous_month(next_month(month)) == month
    assert start.astimezone(PARIS).date() == month
    assert (end - dt.timedelta(microseconds=1)).astimezone(PARIS).date() == last_day_of_month(month)
