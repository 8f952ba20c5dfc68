"""Which fiscal year a day belongs to (docs/fiscal-years.md). Pure: given a ledger's stored
fiscal years (`FiscalYear` rows, in order), the posting engine, the FEC export and the
closing all agree on the span of a day and on its name (`Entry.fiscal_year`, the year
of the closing date).

- a day inside a stored year: that year;
- after the last stored year: years of twelve months follow it, each closing at the
  end of the same month as the last stored one;
- before the first stored year (or with none stored): calendar years, the one just
  before the first stored year ending the day before it; closed when the first stored
  year is (years close in order).
"""

import datetime as dt
from dataclasses import dataclass

from mache.periods import last_day_of_month

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Span:
    start: dt.date
    end: dt.date
    closed: bool = False
    pk: int | None = None

    @property
    def name(self) -> int:
        return self.end.year


def roll(end: dt.date) -> dt.date:
    """The closing date twelve months after `end` (a month's last day)."""
    return last_day_of_month(dt.date(end.year + 1, end.month, 1))


def calendar_span(year: int) -> Span:
    return Span(dt.date(year, 1, 1), dt.date(year, 12, 31))


def _stored(year) -> Span:
    return Span(year.start, year.end, year.status == "closed", year.pk)


def span_of(day: dt.date, years) -> Span:
    """The fiscal year of `day` among `years` (stored, ordered by start)."""
    for year in years:
        if year.start <= day <= year.end:
            return _stored(year)
    if years and day > years[-1].end:
        start, end = years[-1].end + ONE_DAY, roll(years[-1].end)
        while day > end:
            start, end = end + ONE_DAY, roll(end)
        return Span(start, end)
    # Before the stored years: closed when they are (years close in order).
    closed = bool(years) and years[0].status == "closed"
    if years and day.year == years[0].start.year:
        return Span(dt.date(day.year, 1, 1), years[0].start - ONE_DAY, closed)
    span = calendar_span(day.year)
    return Span(span.start, span.end, closed)


def span_named(name: int, years) -> Span:
    """The fiscal year closing in the year `name` (a ledger has at most one)."""
    for year in years:
        if year.end.year == name:
            return _stored(year)
    if years and name > years[-1].end.year:
        anchor = years[-1].end
        return span_of(last_day_of_month(dt.date(name, anchor.month, 1)), years)
    if years and name == years[0].start.year and years[0].start.month > 1:
        return span_of(dt.date(name, 1, 1), years)
    return calendar_span(name)
