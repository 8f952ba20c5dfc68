"""Reads of the B2C e-reporting (docs/e-reporting.md): a shop's days over a span (the
API's JSON and CSV), and a month's periods reconciled with the sales journal (the page).

Callers pass a shop the user may see (shops.selectors.visible_shop, or the ledger
accounting.selectors.ledger_for gave): nothing here scopes.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch

from shops.models import Shop

from ..models import Ledger, SalesDay, SalesDayLine
from ..sales.rules import JOURNAL, RateSales
from ..statements.table import Column, ColumnKind, Percent, Row, StatementTable
from ..statements.vat import VatStatement, vat_statement
from .rules import (
    DayReport,
    Period,
    RateCheck,
    day_report,
    periods_of_month,
    rate_totals,
    reconcile,
    transactions_total,
)


def e_reporting_days(*, shop: Shop, date_from: dt.date, date_to: dt.date) -> list[DayReport]:
    """The days of [date_from, date_to] with a standing Z ticket (a reversed one reports
    nothing: its entry was cancelled), in date order. Two queries."""
    tickets = (
        SalesDay.objects.filter(
            shop=shop, date__gte=date_from, date__lte=date_to, reversed_by__isnull=True
        )
        .only("id", "date", "transactions")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=SalesDayLine.objects.only("sales_day_id", "vat_rate", "amount_incl_vat"),
            )
        )
        .order_by("date")
    )
    return [
        day_report(
            ticket.date,
            ticket.transactions,
            [(line.vat_rate, line.amount_incl_vat) for line in ticket.lines.all()],
        )
        for ticket in tickets
    ]


@dataclass(frozen=True)
class EReport:
    """A shop's days over a span, as the API sends them."""

    shop: Shop
    date_from: dt.date
    date_to: dt.date
    days: list[DayReport]

    def table(self) -> StatementTable:
        """One row per day and rate (the CSV): the day's number of sales on its first row
        only (a sum of the column counts each sale once); a day whose ticket has only
        zero lines (no rate to report) one row with its count, as the JSON lists it
        (docs/e-reporting.md)."""
        return StatementTable(
            title="E-reporting des ventes aux particuliers",
            slug="e-reporting",
            ledger_name=self.shop.name,
            date_from=self.date_from,
            date_to=self.date_to,
            columns=(
                Column("Jour", ColumnKind.DATE),
                Column("Catégorie"),
                Column("Nombre de ventes"),
                Column("Taux", ColumnKind.RATE, 9),
                Column("Base HT", ColumnKind.MONEY, 16),
                Column("TVA", ColumnKind.MONEY, 16),
            ),
            rows=tuple(row for day in self.days for row in _day_rows(day)),
        )


def _day_rows(day: DayReport) -> list[Row]:
    count = "" if day.transactions is None else str(day.transactions)
    if not day.by_rate:
        return [Row((day.date, day.category, count, None, None, None))]
    return [
        Row(
            (
                day.date,
                day.category,
                count if index == 0 else "",
                Percent(sales.rate),
                sales.base,
                sales.vat,
            )
        )
        for index, sales in enumerate(day.by_rate)
    ]


def e_reporting(*, shop: Shop, date_from: dt.date, date_to: dt.date) -> EReport:
    return EReport(
        shop, date_from, date_to, e_reporting_days(shop=shop, date_from=date_from, date_to=date_to)
    )


@dataclass(frozen=True)
class PeriodReport:
    """A period of a month: its days, its totals per rate, and the sales journal's
    collected VAT over the same days, rate by rate."""

    period: Period
    days: list[DayReport]
    totals: list[RateSales]
    books: VatStatement
    checks: list[RateCheck]

    @property
    def transactions(self) -> int:
        return transactions_total(self.days)[0]

    @property
    def days_without_count(self) -> int:
        return transactions_total(self.days)[1]

    @property
    def total_base(self) -> Decimal:
        return sum((sales.base for sales in self.totals), Decimal("0.00"))

    @property
    def total_vat(self) -> Decimal:
        return sum((sales.vat for sales in self.totals), Decimal("0.00"))

    @property
    def reconciled(self) -> bool:
        return all(check.equal for check in self.checks)


@dataclass(frozen=True)
class MonthReport:
    shop: Shop
    month: dt.date
    periods: list[PeriodReport]

    @property
    def start(self) -> dt.date:
        return self.periods[0].period.start

    @property
    def end(self) -> dt.date:
        return self.periods[-1].period.end


def e_reporting_month(*, ledger: Ledger, month: dt.date) -> MonthReport:
    """The periods of a shop's month under its VAT regime, each reconciled with the
    sales journal (VTE) of its books: two queries for the days, one per period for the
    journal (three at most)."""
    shop = ledger.shop
    periods = periods_of_month(month, shop.vat_regime)
    days = e_reporting_days(shop=shop, date_from=periods[0].start, date_to=periods[-1].end)
    reports = []
    for period in periods:
        period_days = [day for day in days if day.date in period]
        totals = rate_totals(period_days)
        books = vat_statement(
            ledger=ledger, date_from=period.start, date_to=period.end, journal=JOURNAL
        )
        booked = [(line.rate, line.base, line.amount) for line in books.collected]
        reports.append(PeriodReport(period, period_days, totals, books, reconcile(totals, booked)))
    return MonthReport(shop, month.replace(day=1), reports)
