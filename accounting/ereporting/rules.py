"""The rules of the B2C e-reporting (docs/e-reporting.md), pure functions: the periods
of a shop's VAT regime, what a day reports, the totals of a period and their
reconciliation with the sales journal.

A day's figures per rate are `accounting.sales.rules.sales_by_rate` of its Z ticket, the
very split the ticket's entry posts: what is reported is what is in the books.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from mache.formats import format_date
from mache.money import ZERO
from mache.periods import last_day_of_month

from ..sales.rules import RateSales, sales_by_rate

# The shop's VAT regime (shops.Shop.VatRegime): the monthly real regime reports three
# times a month, the others once.
MONTHLY = "monthly"
QUARTERLY = "quarterly"
SIMPLIFIED = "simplified"
REGIMES = (MONTHLY, QUARTERLY, SIMPLIFIED)
# Shops sell goods to consumers; services would be a category of their own.
GOODS = "goods"
# The days a monthly regime's first two periods end on; the third ends with the month.
DECADE_ENDS = (10, 20)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    @property
    def label(self) -> str:
        return f"du {format_date(self.start)} au {format_date(self.end)}"


def periods_of_month(month: dt.date, regime: str) -> list[Period]:
    """The periods of the month of `month` under `regime`, in order: monthly, 1-10,
    11-20 and 21 to the month's last day (28, 29, 30 or 31); otherwise the month."""
    first = month.replace(day=1)
    last = last_day_of_month(first)
    if regime not in REGIMES:
        raise ValueError(f"unknown VAT regime {regime!r}")
    if regime != MONTHLY:
        return [Period(first, last)]
    starts = [first, *(first.replace(day=end + 1) for end in DECADE_ENDS)]
    ends = [*(first.replace(day=end) for end in DECADE_ENDS), last]
    return [Period(start, end) for start, end in zip(starts, ends, strict=True)]


def period_of(day: dt.date, regime: str) -> Period:
    """The period `day` falls in under `regime`."""
    return next(period for period in periods_of_month(day, regime) if day in period)


@dataclass(frozen=True)
class DayReport:
    """A day of B2C sales as reported: its transactions (None: the ticket did not say)
    and its base and VAT per rate."""

    date: dt.date
    transactions: int | None
    by_rate: tuple[RateSales, ...]
    category: str = GOODS


def day_report(
    day: dt.date, transactions: int | None, lines: Sequence[tuple[Decimal, Decimal]]
) -> DayReport:
    """A standing Z ticket's report: `lines` are its (rate, amount incl. VAT)."""
    return DayReport(date=day, transactions=transactions, by_rate=tuple(sales_by_rate(lines)))


def rate_totals(days: Iterable[DayReport]) -> list[RateSales]:
    """Base and VAT per rate over days, rates ascending."""
    sums = defaultdict(lambda: [ZERO, ZERO])
    for day in days:
        for sales in day.by_rate:
            sums[sales.rate][0] += sales.base
            sums[sales.rate][1] += sales.vat
    return [RateSales(rate=rate, base=base, vat=vat) for rate, (base, vat) in sorted(sums.items())]


@dataclass(frozen=True)
class RateCheck:
    """One rate of a period: what the e-reporting says, what the sales journal holds.
    `rate` None: a journal line that names no rate (never a reported one)."""

    rate: Decimal | None
    reported_base: Decimal
    reported_vat: Decimal
    books_base: Decimal
    books_vat: Decimal

    @property
    def base_gap(self) -> Decimal:
        """Reported minus booked: positive, the books hold less than reported."""
        return self.reported_base - self.books_base

    @property
    def vat_gap(self) -> Decimal:
        return self.reported_vat - self.books_vat

    @property
    def equal(self) -> bool:
        return not self.base_gap and not self.vat_gap


def reconcile(
    reported: Sequence[RateSales], books: Iterable[tuple[Decimal | None, Decimal, Decimal]]
) -> list[RateCheck]:
    """Each rate of either side, reported against booked ((rate, base, vat) of the sales
    journal's collected VAT), rates ascending, a rate-less journal line last."""
    sides: dict[Decimal | None, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO, ZERO])
    for sales in reported:
        sides[sales.rate][0] += sales.base
        sides[sales.rate][1] += sales.vat
    for rate, base, vat in books:
        sides[rate][2] += base
        sides[rate][3] += vat
    ordered = sorted(sides, key=lambda rate: (rate is None, rate or ZERO))
    return [RateCheck(rate, *sides[rate]) for rate in ordered]


def transactions_total(days: Iterable[DayReport]) -> tuple[int, int]:
    """The transactions of days that gave them, and the number of days that did not."""
    total = missing = 0
    for day in days:
        if day.transactions is None:
            missing += 1
        else:
            total += day.transactions
    return total, missing
