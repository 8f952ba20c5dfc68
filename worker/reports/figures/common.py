"""Figures both reports share: the month's window, pooling savings, and the figures of
many shops at once (the cooperative's median, the cooperative's table of shops).

Money stays Decimal throughout; rates are percentages to the hundredth, rounded half-up
as the income statement rounds its margin rate.
"""

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum, Value
from django.db.models.functions import Coalesce

from accounting.models import EntryLine, Ledger, SalesDay
from accounting.statements import IncomeStatement
from accounting.statements.income import income_from_movements
from accounting.statements.trial_balance import AccountMovements
from inventory.models import StockMovement
from mache.money import ZERO, money
from mache.periods import last_day_of_month, month_bounds
from purchasing import rules
from shops.models import Cooperative, Shop

MONEY = DecimalField(max_digits=14, decimal_places=2)

RATE_PLACES = Decimal("0.01")
# Below three shops a median gives another shop away: with two, the median is their
# average, from which the reader's own figure recovers the other shop's.
MIN_SHOPS_FOR_MEDIAN = 3


@dataclass(frozen=True)
class Window:
    """A month as the two kinds of records see it: the books by date (first and last
    day), stock movements and other timestamps by Paris time [start, end)."""

    month: dt.date
    date_from: dt.date
    date_to: dt.date
    start: dt.datetime
    end: dt.datetime


def window(month: dt.date) -> Window:
    start, end = month_bounds(month)
    return Window(month, month, last_day_of_month(month), start, end)


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """part / whole in percent to the hundredth (half-up); None when whole is zero."""
    if not whole:
        return None
    return (part * 100 / whole).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def median_of(values: Iterable[Decimal | None]) -> tuple[Decimal | None, int]:
    """The median of the values that exist, to the hundredth (half-up), and how many
    shops it is taken over; None below MIN_SHOPS_FOR_MEDIAN shops (anonymity)."""
    present = [value for value in values if value is not None]
    if len(present) < MIN_SHOPS_FOR_MEDIAN:
        return None, len(present)
    # statistics.median stays in Decimal: the mean of the two middle values when even.
    return (statistics.median(present).quantize(RATE_PLACES, rounding=ROUND_HALF_UP), len(present))


# --- Pooling savings ----------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceSaving:
    """One invoice's pooling savings: volume prices (Invoice.savings, computed when
    invoiced: allocated units x (base price - group price)) and shipping shared
    (shipping_alone - the invoice's share of the round's shipping)."""

    number: str
    shop_id: int
    supplier: str
    goods_excl_vat: Decimal
    volume: Decimal
    shipping_alone: Decimal
    shipping_share: Decimal
    shipping: Decimal  # shipping_alone - shipping_share
    total: Decimal  # volume + shipping


INVOICE_FIELDS = (
    "number",
    "shop_id",
    "round__supplier__name",
    "goods_paid",
    "savings",
    "shipping_paid",
    "round__supplier__shipping_fee",
    "round__supplier__free_shipping_threshold",
)


def with_supplements(invoices):
    """The round's invoices of `invoices`, each with the goods and the shipping of its
    supplementary invoices added (`goods_paid`, `shipping_paid`): what a supplier billed
    more and the shop paid on top is part of that round's purchase, not a purchase made
    alone (docs/supplier-differences.md). One query still."""

    def paid(field):
        return ExpressionWrapper(
            F(field)
            + Coalesce(Sum(f"supplementary_invoices__{field}"), Value(ZERO), output_field=MONEY),
            output_field=MONEY,
        )

    return invoices.filter(supplements__isnull=True).annotate(
        goods_paid=paid("goods_excl_vat"), shipping_paid=paid("shipping")
    )


def invoice_savings(rows: Iterable[tuple]) -> list[InvoiceSaving]:
    """InvoiceSaving of each row of
    `with_supplements(Invoice.objects...).values_list(*INVOICE_FIELDS)`."""
    savings = []
    for number, shop_id, supplier, goods, volume, share, fee, threshold in rows:
        # What the shop would have paid for shipping ordering the same goods alone, with
        # the supplier's fee and threshold as they stand now (suppliers keep no history).
        alone = rules.shipping_for(goods, fee, threshold)
        savings.append(
            InvoiceSaving(
                number,
                shop_id,
                supplier,
                goods,
                volume,
                alone,
                share,
                alone - share,
                volume + alone - share,
            )
        )
    return savings


# --- Losses -------------------------------------------------------------------------------

LossesByReason = dict[str, tuple[int, Decimal]]  # {reason: (units, value)}


def loss_values(*, shop_ids: Sequence[int], win: Window) -> dict[int, LossesByReason]:
    """{shop id: {reason: (units, value)}} of the loss movements of the month, one
    grouped query. value = sum of -quantity x unit_cost (the cost the units left the
    stock at), rounded half-up to the cent per reason; units are positive."""
    rows = (
        StockMovement.objects.filter(
            shop_id__in=shop_ids,
            kind=StockMovement.Kind.LOSS,
            occurred_at__gte=win.start,
            occurred_at__lt=win.end,
        )
        .values_list("shop_id", "reason")
        .annotate(units=Sum("quantity"), value=Sum(F("quantity") * F("unit_cost")))
        .order_by()
    )
    losses: dict[int, LossesByReason] = defaultdict(dict)
    for shop_id, reason, units, value in rows:
        losses[shop_id][reason] = (-units, money(-value))
    return losses


# --- Many shops at once ---------------------------------------------------------------------


def statement_of(
    ledger: Ledger, win: Window, movements: Iterable[AccountMovements]
) -> IncomeStatement:
    """The income statement of a ledger's month from its accounts' movements, by the
    statements' own rule (`income_from_movements`), so a shop's grouped figures are its
    statement's figures."""
    return income_from_movements(
        ledger=ledger, date_from=win.date_from, date_to=win.date_to, movements=movements
    )


def statements_by_ledger(*, ledgers: Sequence[Ledger], win: Window) -> dict[int, IncomeStatement]:
    """{ledger id: IncomeStatement of the month}: ONE query grouped by ledger and account,
    where income_statement() would take one query per ledger."""
    rows = (
        EntryLine.objects.filter(
            ledger_id__in=[ledger.pk for ledger in ledgers],
            date__gte=win.date_from,
            date__lte=win.date_to,
        )
        .filter(Q(account__number__startswith="6") | Q(account__number__startswith="7"))
        .values_list("ledger_id", "account__number", "account__label")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
        .order_by("ledger_id", "account__number")
    )
    movements = defaultdict(list)
    for ledger_id, number, label, debit, credit in rows:
        movements[ledger_id].append(AccountMovements(number, label, debit, credit))
    return {ledger.pk: statement_of(ledger, win, movements[ledger.pk]) for ledger in ledgers}


def days_open(*, shop_ids: Sequence[int], win: Window) -> dict[int, int]:
    """{shop id: number of days of the month with a standing Z ticket (a reversed one
    does not count: its day may have a new one)}: one grouped query."""
    return dict(
        SalesDay.objects.filter(
            shop_id__in=shop_ids,
            date__gte=win.date_from,
            date__lte=win.date_to,
            reversed_by__isnull=True,
        )
        .values_list("shop_id")
        .annotate(days=Count("id"))
        .order_by()
    )


def per_day(sales: Decimal, days: int) -> Decimal | None:
    """Sales per day open, to the cent (half-up); None without a Z ticket."""
    return money(sales / days) if days else None


@dataclass(frozen=True)
class ShopFigures:
    """What the benchmark and the cooperative's table of shops know of one shop."""

    shop_id: int
    name: str
    sales_of_goods: Decimal
    gross_margin: Decimal
    margin_rate: Decimal | None
    days_open: int
    sales_per_day_open: Decimal | None
    losses_value: Decimal
    losses_rate: Decimal | None


def shops_figures(*, shops: Sequence, win: Window) -> dict[int, ShopFigures]:
    """{shop id: ShopFigures} of shops that come with their ledger (select_related):
    three grouped queries (ledger lines, losses, Z tickets), whatever the number of
    shops, entries or products. The margin is the income statement's (statement_of)."""
    shop_ids = [shop.pk for shop in shops]
    statements = statements_by_ledger(ledgers=[shop.ledger for shop in shops], win=win)
    losses = loss_values(shop_ids=shop_ids, win=win)
    days = days_open(shop_ids=shop_ids, win=win)
    figures = {}
    for shop in shops:
        statement = statements[shop.ledger.pk]
        sales = statement.amount("sales_of_goods")
        lost = sum((value for _, value in losses.get(shop.pk, {}).values()), ZERO)
        figures[shop.pk] = ShopFigures(
            shop_id=shop.pk,
            name=shop.name,
            sales_of_goods=sales,
            gross_margin=statement.gross_margin,
            margin_rate=statement.margin_rate,
            days_open=days.get(shop.pk, 0),
            sales_per_day_open=per_day(sales, days.get(shop.pk, 0)),
            losses_value=lost,
            losses_rate=percent(lost, sales),
        )
    return figures


def cooperative_name_and_radius() -> tuple[str, int]:
    """The cooperative's name and its local radius (a supplier within it of the hub is
    local: docs/impact.md), in one query; the defaults before the cooperative exists."""
    row = Cooperative.objects.values_list("name", "local_radius_km").first()
    if row is None:
        return "Coopérative", Cooperative._meta.get_field("local_radius_km").default
    return row


def active_shops() -> list[Shop]:
    """The cooperative's active shops with their ledgers, by name: one query. Every shop
    has its books (shops.services); one that would not has no figure to compare."""
    return list(
        Shop.objects.filter(status=Shop.Status.ACTIVE, ledger__isnull=False)
        .select_related("ledger")
        .order_by("name", "id")
    )


@dataclass(frozen=True)
class Medians:
    """The cooperative's medians over its active shops whose figure exists that month
    (a margin rate and a losses rate need sales; sales per day open a Z ticket), with
    the number of shops each is taken over; None below MIN_SHOPS_FOR_MEDIAN."""

    margin_rate: Decimal | None
    margin_rate_shops: int
    sales_per_day_open: Decimal | None
    sales_per_day_open_shops: int
    losses_rate: Decimal | None
    losses_rate_shops: int


def medians(figures: Iterable[ShopFigures]) -> Medians:
    figures = list(figures)
    margin, margin_n = median_of(f.margin_rate for f in figures)
    per_day_, per_day_n = median_of(f.sales_per_day_open for f in figures)
    losses, losses_n = median_of(f.losses_rate for f in figures)
    return Medians(margin, margin_n, per_day_, per_day_n, losses, losses_n)
