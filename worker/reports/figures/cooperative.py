"""The figures of the cooperative's monthly report for the coordinator
(docs/reports.md): members, purchases per supplier, savings produced, fees, rounds, shops.

`cooperative_report_data` reads them in a fixed number of queries
(COOPERATIVE_REPORT_QUERIES in tests/worker/test_report_figures.py), whatever the
number of shops, suppliers, rounds, invoices or entries.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, Q, Sum

from accounting import accounts
from accounting.models import Ledger
from accounting.statements import income_statement
from mache.periods import paris_date
from purchasing.models import Invoice, Round, SupplierOrder
from shops.models import Shop
from worker import impact as impact_figures_module

from .common import (
    INVOICE_FIELDS,
    ZERO,
    Medians,
    active_shops,
    cooperative_name_and_radius,
    invoice_savings,
    medians,
    percent,
    shops_figures,
    window,
    with_supplements,
)
from .receivables import Receivables, receivables_by_shop, receivables_total

if TYPE_CHECKING:  # worker.impact reads the figures' helpers: imported as a module above
    from worker.impact import Impact

FEE_ACCOUNT = accounts.SERVICES_SOLD[:3]  # the cooperative's service fees


@dataclass(frozen=True)
class MemberRow:
    status: str  # French label
    counts: list[int]  # per zone, in CooperativeReportData.zones order
    total: int


@dataclass(frozen=True)
class MemberChange:
    name: str
    commune: str
    on: dt.date  # joined_on or left_on


@dataclass(frozen=True)
class SupplierPurchase:
    """Supplier orders received in the month (Paris time), by supplier."""

    supplier: str
    orders: int
    total_excl_vat: Decimal
    shipping: Decimal


@dataclass(frozen=True)
class RoundHeld:
    supplier: str
    closes_on: dt.date  # Paris date of the deadline
    status: str  # French label
    asked: int  # units ordered by the shops (their allocations' quantities)
    allocated: int
    fill_rate: Decimal | None  # allocated / asked, percent; None when nothing was asked


@dataclass(frozen=True)
class ShopLine:
    """An active shop's key figures: the income statement's (common.shops_figures) and
    its month's invoices."""

    shop_id: int
    name: str
    sales_of_goods: Decimal
    margin_rate: Decimal | None
    sales_per_day_open: Decimal | None
    losses_rate: Decimal | None
    purchases_through_cooperative: Decimal
    savings: Decimal


@dataclass(frozen=True)
class ShopReceivables:
    """A shop's invoices from the cooperative at the month's end (receivables.py)."""

    shop_id: int
    name: str
    receivables: Receivables


@dataclass(frozen=True)
class CooperativeReportData:
    month: dt.date
    date_from: dt.date
    date_to: dt.date
    cooperative_name: str
    zones: list[str]  # French labels, the columns of `members`
    members: list[MemberRow]  # every status, in the model's order
    members_by_zone: list[int]  # all statuses, per zone
    members_total: int
    new_members: list[MemberChange]
    departed_members: list[MemberChange]
    purchases_by_supplier: list[SupplierPurchase]  # largest first
    purchases_total: Decimal
    shipping_total: Decimal
    savings_volume: Decimal
    savings_shipping: Decimal
    savings_total: Decimal
    fees_collected: Decimal
    rounds: list[RoundHeld]
    rounds_asked: int
    rounds_allocated: int
    fill_rate: Decimal | None
    shops: list[ShopLine]
    medians: Medians
    receivables: Receivables  # every shop's, summed; the DSO of the sums
    receivables_by_shop: list[ShopReceivables]  # most overdue first
    # Short supply chains (docs/impact.md): worker.impact.impact_figures of the month for
    # the whole cooperative, unchanged (by zone included), and the local radius.
    impact: "Impact"
    local_radius_km: int


def _members() -> tuple[list[str], list[MemberRow], list[int], int]:
    """Shops by status and zone: one grouped query."""
    counts = defaultdict(int)
    for status, zone, count in (
        Shop.objects.values_list("status", "zone").annotate(count=Count("id")).order_by()
    ):
        counts[(status, zone)] = count
    zones = Shop.Zone.choices
    rows = [
        MemberRow(
            label,
            [counts[(status, zone)] for zone, _ in zones],
            sum(counts[(status, zone)] for zone, _ in zones),
        )
        for status, label in Shop.Status.choices
    ]
    by_zone = [sum(row.counts[index] for row in rows) for index in range(len(zones))]
    return [label for _, label in zones], rows, by_zone, sum(by_zone)


def _member_changes(win) -> tuple[list[MemberChange], list[MemberChange]]:
    """Shops that joined (joined_on) or left (left_on) in the month, by name: one query."""
    joined = Q(joined_on__gte=win.date_from, joined_on__lte=win.date_to)
    left = Q(left_on__gte=win.date_from, left_on__lte=win.date_to)
    rows = list(
        Shop.objects.filter(joined | left)
        .order_by("name", "id")
        .values_list("name", "commune", "joined_on", "left_on")
    )
    new = [
        MemberChange(name, commune, on)
        for name, commune, on, _ in rows
        if on and win.date_from <= on <= win.date_to
    ]
    departed = [
        MemberChange(name, commune, on)
        for name, commune, _, on in rows
        if on and win.date_from <= on <= win.date_to
    ]
    return new, departed


def _purchases_by_supplier(win) -> list[SupplierPurchase]:
    rows = (
        SupplierOrder.objects.filter(received_at__gte=win.start, received_at__lt=win.end)
        .values_list("round__supplier__name")
        .annotate(orders=Count("id"), total=Sum("total_excl_vat"), shipping=Sum("shipping"))
        .order_by("-total", "round__supplier__name")
    )
    return [SupplierPurchase(*row) for row in rows]


def _fees_collected(win) -> Decimal:
    """706 accounts of the cooperative's income statement for the month (two queries)."""
    ledger = Ledger.objects.filter(kind=Ledger.Kind.COOPERATIVE).first()
    if ledger is None:
        return ZERO
    statement = income_statement(ledger=ledger, date_from=win.date_from, date_to=win.date_to)
    return sum(
        (
            account.amount
            for group in statement.income
            for account in group.accounts
            if account.account.startswith(FEE_ACCOUNT)
        ),
        ZERO,
    )


def _rounds(win) -> list[RoundHeld]:
    """Rounds whose deadline falls in the month, cancelled ones left out, with the sums
    of their allocations: one grouped query."""
    labels = dict(Round.Status.choices)
    rows = (
        Round.objects.filter(closes_at__gte=win.start, closes_at__lt=win.end)
        .exclude(status=Round.Status.CANCELLED)
        .annotate(
            asked=Sum("supplier_order__allocations__quantity"),
            allocated=Sum("supplier_order__allocations__allocated"),
        )
        .order_by("closes_at", "id")
        .values_list("supplier__name", "closes_at", "status", "asked", "allocated")
    )
    return [
        RoundHeld(
            supplier,
            paris_date(closes_at),
            labels[status],
            asked or 0,
            allocated or 0,
            percent(Decimal(allocated or 0), Decimal(asked or 0)),
        )
        for supplier, closes_at, status, asked, allocated in rows
    ]


def cooperative_report_data(*, month: dt.date) -> CooperativeReportData:
    """Every figure of the cooperative's report for `month` (its first day).

    - members: shops by status and zone; new_members: joined_on in the month,
      departed_members: left_on in the month, by name.
    - purchases_by_supplier: supplier orders received in the month (received_at in the
      Paris month): their number, total_excl_vat and shipping, by supplier.
    - savings_*: the month's invoices to every shop, as in the shop's report
      (common.InvoiceSaving): volume, shipping shared, and both.
    - fees_collected: the 706 accounts of the cooperative's income statement (ledger of
      kind "cooperative") over the month.
    - rounds: rounds whose deadline (closes_at) falls in the Paris month, not cancelled;
      fill_rate = sum of allocated / sum of quantity asked over their allocations, in
      percent, per round and over all of them.
    - shops: the active shops with their sales of goods and margin rate (income
      statement), sales per day open and losses rate (as in the shop's report), goods
      invoiced by the cooperative in the month and the savings of those invoices;
      medians: the cooperative's medians over them (common.Medians).
    - receivables: the cooperative's invoices to every shop (departed ones included) as
      they stood at the month's last day (receivables.Receivables); receivables_by_shop:
      per shop with something invoiced, paid or due, the most overdue first.
    - impact: worker.impact.impact_figures of the month for the whole cooperative (local
      and organic shares, local producers, member shops by zone: docs/impact.md).
    """
    win = window(month)
    cooperative_name, radius = cooperative_name_and_radius()
    zones, members, by_zone, members_total = _members()
    new, departed = _member_changes(win)
    suppliers = _purchases_by_supplier(win)

    invoices = invoice_savings(
        with_supplements(
            Invoice.objects.filter(issued_on__gte=win.date_from, issued_on__lte=win.date_to)
        )
        .order_by("issued_on", "number")
        .values_list(*INVOICE_FIELDS)
    )
    goods_by_shop, savings_by_shop = defaultdict(lambda: ZERO), defaultdict(lambda: ZERO)
    for invoice in invoices:
        goods_by_shop[invoice.shop_id] += invoice.goods_excl_vat
        savings_by_shop[invoice.shop_id] += invoice.total
    volume = sum((invoice.volume for invoice in invoices), ZERO)
    shipping = sum((invoice.shipping for invoice in invoices), ZERO)

    rounds = _rounds(win)
    asked = sum(r.asked for r in rounds)
    allocated = sum(r.allocated for r in rounds)
    figures = shops_figures(shops=active_shops(), win=win)
    shops = [
        ShopLine(
            f.shop_id,
            f.name,
            f.sales_of_goods,
            f.margin_rate,
            f.sales_per_day_open,
            f.losses_rate,
            goods_by_shop[f.shop_id],
            savings_by_shop[f.shop_id],
        )
        for f in figures.values()
    ]

    owed = [
        ShopReceivables(shop_id, name, figures_)
        for shop_id, (name, figures_) in receivables_by_shop(win=win).items()
        if not figures_.empty
    ]
    owed.sort(key=lambda row: (-row.receivables.overdue, -row.receivables.due, row.name))

    return CooperativeReportData(
        month=month,
        date_from=win.date_from,
        date_to=win.date_to,
        cooperative_name=cooperative_name,
        zones=zones,
        members=members,
        members_by_zone=by_zone,
        members_total=members_total,
        new_members=new,
        departed_members=departed,
        purchases_by_supplier=suppliers,
        purchases_total=sum((s.total_excl_vat for s in suppliers), ZERO),
        shipping_total=sum((s.shipping for s in suppliers), ZERO),
        savings_volume=volume,
        savings_shipping=shipping,
        savings_total=volume + shipping,
        fees_collected=_fees_collected(win),
        rounds=rounds,
        rounds_asked=asked,
        rounds_allocated=allocated,
        fill_rate=percent(Decimal(allocated), Decimal(asked)),
        shops=shops,
        medians=medians(figures.values()),
        receivables=receivables_total(row.receivables for row in owed),
        receivables_by_shop=owed,
        impact=impact_figures_module.impact_figures(start=win.date_from, end=win.date_to),
        local_radius_km=radius,
    )
