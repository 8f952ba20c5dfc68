"""The figures of a shop's monthly management report (docs/reports.md).

`shop_report_data` reads them in a fixed number of queries (SHOP_REPORT_QUERIES in
tests/worker/test_report_figures.py), whatever the number of products, movements,
entries or shops, and returns plain values only, so the report can be rendered, stored
and compared with the statements and the API in tests.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from accounting import accounts
from accounting.models import Entry, EntryLine, Ledger
from accounting.postings import COOP_AUX
from accounting.statements import IncomeStatement, income_statement
from inventory.models import StockLot, StockMovement
from inventory.selectors import stock_value_at
from mache.money import money
from mache.periods import previous_month
from purchasing.models import Invoice
from worker import impact as impact_figures_module

from .common import (
    INVOICE_FIELDS,
    ZERO,
    InvoiceSaving,
    Medians,
    Window,
    active_shops,
    cooperative_name_and_radius,
    days_open,
    invoice_savings,
    loss_values,
    medians,
    per_day,
    percent,
    shops_figures,
    window,
    with_supplements,
)
from .receivables import NO_RECEIVABLES, Receivables, receivables_by_shop

if TYPE_CHECKING:  # worker.impact reads the figures' helpers: imported as a module above
    from worker.impact import Impact

# Lots are listed when they expire at the latest this many days after the month's end:
# what the shopkeeper must sell or withdraw in the first week of the next month.
EXPIRY_HORIZON_DAYS = 7
TOP_PRODUCTS = 10


@dataclass(frozen=True)
class MonthFigures:
    """A month of the shop's income statement (accounting.statements.income_statement
    over the month's first and last days): its numbers, unchanged."""

    month: dt.date
    sales_of_goods: Decimal  # excl. VAT
    purchases_of_goods: Decimal
    stock_variation: Decimal  # a charge when the stock fell
    cost_of_goods_sold: Decimal
    gross_margin: Decimal
    margin_rate: Decimal | None  # percent; None without sales
    external_charges: Decimal
    total_income: Decimal
    total_charges: Decimal
    result: Decimal


def month_figures(month: dt.date, statement: IncomeStatement) -> MonthFigures:
    return MonthFigures(
        month=month,
        sales_of_goods=statement.amount("sales_of_goods"),
        purchases_of_goods=statement.amount("purchases_of_goods"),
        stock_variation=statement.amount("stock_variation"),
        cost_of_goods_sold=statement.cost_of_goods_sold,
        gross_margin=statement.gross_margin,
        margin_rate=statement.margin_rate,
        external_charges=statement.amount("external_charges"),
        total_income=statement.total_income,
        total_charges=statement.total_charges,
        result=statement.result,
    )


@dataclass(frozen=True)
class Savings:
    """Pooling savings of the invoices issued to the shop in the month (InvoiceSaving)."""

    volume: Decimal
    shipping: Decimal
    total: Decimal
    invoices: list[InvoiceSaving]


@dataclass(frozen=True)
class SupplierAmount:
    supplier: str
    goods_excl_vat: Decimal
    invoices: int


@dataclass(frozen=True)
class LossLine:
    reason: str  # StockMovement.Reason value
    label: str  # its French label
    units: int
    value: Decimal


@dataclass(frozen=True)
class ExpiringLot:
    product: str
    lot: str
    expires_on: dt.date
    quantity: int  # units left in the lot


@dataclass(frozen=True)
class TopProduct:
    product: str
    units: int
    cost: Decimal  # cost of the units sold: -quantity x unit_cost, to the cent


@dataclass(frozen=True)
class DaySales:
    day: dt.date
    sales: Decimal  # excl. VAT


@dataclass(frozen=True)
class BenchmarkLine:
    """The shop's figure beside the cooperative's median (see common.Medians)."""

    key: str  # margin_rate, sales_per_day_open, losses_rate
    label: str
    unit: str  # "%" or "€"
    shop: Decimal | None
    median: Decimal | None
    shops: int  # how many shops the median is taken over


@dataclass(frozen=True)
class ShopReportData:
    shop_id: int
    shop_name: str
    commune: str
    cooperative_name: str
    month: dt.date  # the first day
    date_from: dt.date
    date_to: dt.date
    figures: MonthFigures
    previous: MonthFigures | None  # None: no entry in the shop's books that month
    year_before: MonthFigures | None
    purchases_through_cooperative: Decimal  # goods of the month's invoices, excl. VAT
    other_purchases: Decimal  # purchases of goods - purchases through the cooperative
    savings: Savings
    purchases_by_supplier: list[SupplierAmount]
    losses: list[LossLine]  # every reason, in the model's order
    losses_units: int
    losses_value: Decimal
    losses_rate: Decimal | None  # losses value / sales of goods, percent
    stock_value: Decimal  # at the end of the month's last day
    expiry_horizon: dt.date
    expiring_lots: list[ExpiringLot]
    top_products: list[TopProduct]
    cash_balance: Decimal
    bank_balance: Decimal
    due_to_cooperative: Decimal
    receivables: Receivables  # the cooperative's invoices: invoiced, paid, due, DSO
    days_open: int  # days with a Z ticket
    sales_per_day_open: Decimal | None
    daily_sales: list[DaySales]  # every day of the month
    benchmark: list[BenchmarkLine]
    # Short supply chains (docs/impact.md): worker.impact.impact_figures of the month for
    # the shop, unchanged, and the cooperative's radius that makes a supplier local.
    impact: "Impact"
    local_radius_km: int


def _months_with_entries(ledger: Ledger, months: dict[str, Window]) -> set[str]:
    """Which of the named months have an entry in the ledger: one query."""
    counts = Entry.objects.filter(ledger=ledger).aggregate(
        **{
            name: Count("id", filter=Q(date__gte=w.date_from, date__lte=w.date_to))
            for name, w in months.items()
        }
    )
    return {name for name, count in counts.items() if count}


def _savings(shop, win: Window) -> tuple[Savings, list[SupplierAmount], Decimal]:
    """The month's invoices (one query): savings, goods by supplier, goods in all."""
    rows = (
        with_supplements(
            Invoice.objects.filter(
                shop=shop, issued_on__gte=win.date_from, issued_on__lte=win.date_to
            )
        )
        .order_by("issued_on", "number")
        .values_list(*INVOICE_FIELDS)
    )
    invoices = invoice_savings(rows)
    by_supplier: dict[str, list] = {}
    for invoice in invoices:
        amount, count = by_supplier.get(invoice.supplier, (ZERO, 0))
        by_supplier[invoice.supplier] = (amount + invoice.goods_excl_vat, count + 1)
    suppliers = sorted(
        (SupplierAmount(name, amount, count) for name, (amount, count) in by_supplier.items()),
        key=lambda s: (-s.goods_excl_vat, s.supplier),
    )
    volume = sum((i.volume for i in invoices), ZERO)
    shipping = sum((i.shipping for i in invoices), ZERO)
    savings = Savings(volume, shipping, volume + shipping, invoices)
    return savings, suppliers, sum((i.goods_excl_vat for i in invoices), ZERO)


def _losses(shop, win: Window) -> list[LossLine]:
    found = loss_values(shop_ids=[shop.pk], win=win).get(shop.pk, {})
    return [
        LossLine(reason, label, *found.get(reason, (0, ZERO)))
        for reason, label in StockMovement.Reason.choices
    ]


def _expiring_lots(shop, win: Window, horizon: dt.date) -> list[ExpiringLot]:
    """Lots received by the month's end that still hold units (lots keep no history:
    as they stand when the report is made) and expire by `horizon`, expired ones
    included: they are still on the shelf. One query."""
    lots = (
        StockLot.objects.filter(
            shop=shop,
            remaining__gt=0,
            expires_on__isnull=False,
            expires_on__lte=horizon,
            received_at__lt=win.end,
        )
        .order_by("expires_on", "product__name", "id")
        .values_list("product__name", "code", "expires_on", "remaining")
    )
    return [ExpiringLot(*lot) for lot in lots]


def _top_products(shop, win: Window) -> list[TopProduct]:
    """The products with the most units sold (sale movements) in the month: one query."""
    rows = (
        StockMovement.objects.filter(
            shop=shop,
            kind=StockMovement.Kind.SALE,
            occurred_at__gte=win.start,
            occurred_at__lt=win.end,
        )
        .values_list("product_id", "product__name")
        .annotate(units=Sum("quantity"), cost=Sum(F("quantity") * F("unit_cost")))
        # Exits are negative: the most sold come first in ascending order.
        .order_by("units", "product__name", "product_id")[:TOP_PRODUCTS]
    )
    return [TopProduct(name, -units, money(-cost)) for _, name, units, cost in rows]


def _balances(ledger: Ledger, day: dt.date) -> dict[str, Decimal]:
    """Cash (530000) and bank (512000): debit - credit; due to the cooperative (401000,
    auxiliary COOP): credit - debit; over every line dated up to `day`. One query."""

    def total(expression, condition):
        return Coalesce(Sum(expression, filter=condition), ZERO)

    debit_balance, credit_balance = F("debit") - F("credit"), F("credit") - F("debit")
    return EntryLine.objects.filter(ledger=ledger, date__lte=day).aggregate(
        cash=total(debit_balance, Q(account__number=accounts.CASH)),
        bank=total(debit_balance, Q(account__number=accounts.BANK)),
        due=total(
            credit_balance, Q(account__number=accounts.SUPPLIERS, auxiliary__code=COOP_AUX[0])
        ),
    )


def _daily_sales(ledger: Ledger, win: Window) -> list[DaySales]:
    """Sales of goods excl. VAT per day: the 707 lines (credit - debit) by date, every
    day of the month (0 without sales), so they add up to the statement's sales. One
    query."""
    by_day = dict(
        EntryLine.objects.filter(
            ledger=ledger,
            date__gte=win.date_from,
            date__lte=win.date_to,
            account__number__startswith=accounts.SALES[:3],
        )
        .values_list("date")
        .annotate(sales=Sum("credit") - Sum("debit"))
        .order_by()
    )
    days = (win.date_to - win.date_from).days + 1
    return [
        DaySales(day, by_day.get(day, ZERO))
        for day in (win.date_from + dt.timedelta(days=n) for n in range(days))
    ]


def _benchmark(
    *, margin_rate, sales_per_day_open, losses_rate, peers: Medians
) -> list[BenchmarkLine]:
    return [
        BenchmarkLine(
            "margin_rate",
            "Taux de marge brute",
            "%",
            margin_rate,
            peers.margin_rate,
            peers.margin_rate_shops,
        ),
        BenchmarkLine(
            "sales_per_day_open",
            "Ventes HT par jour d'ouverture",
            "€",
            sales_per_day_open,
            peers.sales_per_day_open,
            peers.sales_per_day_open_shops,
        ),
        BenchmarkLine(
            "losses_rate",
            "Taux de pertes",
            "%",
            losses_rate,
            peers.losses_rate,
            peers.losses_rate_shops,
        ),
    ]


def cooperative_medians(*, month: dt.date) -> "Medians":
    """The cooperative's medians of a month over its active shops (grouped queries).
    The same for every shop of a month: a run of reports computes them once."""
    return medians(shops_figures(shops=active_shops(), win=window(month)).values())


def shop_report_data(*, shop, month: dt.date, peer_medians=None) -> "ShopReportData":
    """Every figure of a shop's report for `month` (its first day).

    - figures, previous, year_before: the shop's income statement of the month, of the
      month before and of the same month a year before (MonthFigures); the last two
      None when the shop's ledger holds no entry in that month.
    - savings: of the invoices issued to the shop in the month: volume = sum of
      Invoice.savings; shipping = per invoice, what the shop would have paid ordering
      alone (its supplier's shipping fee, 0 when its goods reach the supplier's
      free-shipping threshold) - its share of the round's shipping; total = both.
    - purchases_by_supplier: the same invoices' goods excl. VAT by the round's supplier,
      largest first; purchases_through_cooperative their sum, other_purchases the rest
      of the statement's purchases of goods.
    - losses: per reason, units and value of the month's loss movements (-quantity x
      unit_cost, rounded half-up to the cent per reason); losses_value their sum,
      losses_rate = losses_value / sales of goods in percent (None without sales).
    - stock_value: inventory.selectors.stock_value_at the month's last day;
      expiring_lots: see _expiring_lots, up to EXPIRY_HORIZON_DAYS after the month.
    - top_products: the TOP_PRODUCTS products with the most units sold in the month.
    - cash_balance, bank_balance, due_to_cooperative: see _balances, at the last day.
    - receivables: the cooperative's invoices to the shop, as they stood at the last
      day (receivables.Receivables: invoiced, paid, credited, due, overdue, DSO).
    - sales_per_day_open: sales of goods / days with a Z ticket (None without one);
      daily_sales: the sales of goods of each day (the 707 lines).
    - benchmark: the shop's margin rate, sales per day open and losses rate beside the
      cooperative's medians over its active shops (common.shops_figures: grouped
      queries, the same formulas); no other shop is named.
    - impact: worker.impact.impact_figures of the month for the shop (local and organic
      shares, what went to local producers: docs/impact.md), one call.
    """
    win = window(month)
    previous_win = window(previous_month(month))
    year_before_win = window(month.replace(year=month.year - 1))
    ledger = Ledger.objects.get(kind=Ledger.Kind.SHOP, shop=shop)
    present = _months_with_entries(
        ledger, {"previous": previous_win, "year_before": year_before_win}
    )
    # Every statement is read, present or not: the query count stays the same.
    statements = {
        name: income_statement(ledger=ledger, date_from=w.date_from, date_to=w.date_to)
        for name, w in (
            ("month", win),
            ("previous", previous_win),
            ("year_before", year_before_win),
        )
    }
    figures = month_figures(month, statements["month"])
    previous = (
        month_figures(previous_win.month, statements["previous"]) if "previous" in present else None
    )
    year_before = (
        month_figures(year_before_win.month, statements["year_before"])
        if "year_before" in present
        else None
    )

    savings, suppliers, through_cooperative = _savings(shop, win)
    losses = _losses(shop, win)
    losses_value = sum((line.value for line in losses), ZERO)
    losses_rate = percent(losses_value, figures.sales_of_goods)
    horizon = win.date_to + dt.timedelta(days=EXPIRY_HORIZON_DAYS)
    stock_value = sum(
        (state.value for _, state in stock_value_at(shop=shop, day=win.date_to)), ZERO
    )
    balances = _balances(ledger, win.date_to)
    _, receivables = receivables_by_shop(win=win, shop_ids=[shop.pk]).get(
        shop.pk, (shop.name, NO_RECEIVABLES)
    )
    days = days_open(shop_ids=[shop.pk], win=win).get(shop.pk, 0)
    sales_per_day_open = per_day(figures.sales_of_goods, days)
    if peer_medians is None:
        peer_medians = cooperative_medians(month=month)
    cooperative_name, radius = cooperative_name_and_radius()
    impact = impact_figures_module.impact_figures(start=win.date_from, end=win.date_to, shop=shop)

    return ShopReportData(
        shop_id=shop.pk,
        shop_name=shop.name,
        commune=shop.commune,
        cooperative_name=cooperative_name,
        month=month,
        date_from=win.date_from,
        date_to=win.date_to,
        figures=figures,
        previous=previous,
        year_before=year_before,
        purchases_through_cooperative=through_cooperative,
        other_purchases=figures.purchases_of_goods - through_cooperative,
        savings=savings,
        purchases_by_supplier=suppliers,
        losses=losses,
        losses_units=sum(line.units for line in losses),
        losses_value=losses_value,
        losses_rate=losses_rate,
        stock_value=stock_value,
        expiry_horizon=horizon,
        expiring_lots=_expiring_lots(shop, win, horizon),
        top_products=_top_products(shop, win),
        cash_balance=balances["cash"],
        bank_balance=balances["bank"],
        due_to_cooperative=balances["due"],
        receivables=receivables,
        days_open=days,
        sales_per_day_open=sales_per_day_open,
        daily_sales=_daily_sales(ledger, win),
        benchmark=_benchmark(
            margin_rate=figures.margin_rate,
            sales_per_day_open=sales_per_day_open,
            losses_rate=losses_rate,
            peers=peer_medians,
        ),
        impact=impact,
        local_radius_km=radius,
    )
