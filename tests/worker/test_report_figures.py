"""The figures of the monthly reports, each checked against the statement, the API or
the documents it comes from, for a month of trade built with the services."""

import datetime as dt
import statistics
from contextlib import contextmanager
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
from django.utils import timezone

from accounting.models import Ledger
from accounting.postings import COOP_AUX, stock_variation_post
from accounting.sales.services import sales_day_record
from accounting.services import LineIn, entry_post
from accounting.statements import income_statement, trial_balance
from inventory.models import StockBalance, StockLot
from inventory.services import MovementIn, movements_record
from mache.money import money
from mache.periods import PARIS, current_month, last_day_of_month, previous_month
from purchasing.models import Invoice, Round
from purchasing.services.consolidation import round_consolidate
from purchasing.services.receipt import supplier_order_receive
from shops.models import Cooperative, Shop, User
from tests.factories import (
    ProductFactory,
    RoundFactory,
    ShopFactory,
    SupplierFactory,
    UserFactory,
    add_tiers,
    make_order,
)
from tests.purchasing.conftest import example, example_orders  # noqa: F401  (fixture)
from worker.impact import QUERIES as IMPACT_QUERIES
from worker.impact import impact_figures
from worker.reports import cooperative_report_data, shop_report_data
from worker.reports.figures import (
    EXPIRY_HORIZON_DAYS,
    shops_figures,
    statements_by_ledger,
    window,
)

# Issue 14: two more each, the invoices' receivables (worker/reports/figures/receivables.py).
# Issue 20: the month's impact figures, one worker.impact.impact_figures call each.
SHOP_REPORT_QUERIES = 21 + IMPACT_QUERIES
COOPERATIVE_REPORT_QUERIES = 14 + IMPACT_QUERIES


def last_finished_month() -> dt.date:
    """The last finished month: movements and Z tickets refuse future dates. Read as the
    test runs, never at import: a run may cross midnight, and a month, in Paris."""
    return previous_month(current_month())


@pytest.fixture
def month() -> dt.date:
    return last_finished_month()


@pytest.fixture
def last_day(month) -> dt.date:
    return last_day_of_month(month)


def at(day: int, hour: int = 12, *, month: dt.date) -> dt.datetime:
    return dt.datetime(month.year, month.month, day, hour, tzinfo=PARIS)


def day_of(day: int, *, month: dt.date) -> dt.date:
    return month.replace(day=day)


@contextmanager
def clock_at(moment: dt.datetime):
    """The services date receipts and invoices "now": set now to a day of the month
    being built. The clock, not the database, is what is replaced."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: moment)
        yield


def receive_round(round_, orders, *, day: int, month: dt.date, lots=None):
    """Orders placed on the 1st, deadline and receipt on `day` of the month."""
    Round.objects.filter(pk=round_.pk).update(
        opens_at=at(1, 8, month=month),
        closes_at=at(day, 8, month=month),
        delivery_date=day_of(day, month=month),
    )
    for index, (shop, lines) in enumerate(orders):
        make_order(
            round_, shop, *lines, created_at=at(1, 9, month=month) + dt.timedelta(minutes=index)
        )
    with clock_at(at(day, 10, month=month)):
        supplier_order = round_consolidate(round_id=round_.pk)
        return supplier_order_receive(
            supplier_order_id=supplier_order.pk, received={}, lots=lots or {}
        )


def z_ticket(shop, day: dt.date, amount: D):
    """A day's sales at 5.5 %, paid part cash, part card."""
    cash = money(amount * D("0.3"))
    sales_day_record(
        shop=shop,
        date=day,
        user=None,
        lines=[{"vat_rate": D("5.50"), "amount_incl_vat": amount}],
        payments={"cash": cash, "card": amount - cash},
    )


def trade_month(ex, *, month: dt.date, products: int = 3, extra_shops: int = 0, busy: bool = False):
    """A `month` of trade for the worked example's shops 101-103 (and `extra_shops` more):
    two rounds received (the example's and a mill's with `products` products), sales,
    losses, Z tickets, a local purchase, a cash deposit, a payment to the cooperative
    and the month-end stock variation; a Z ticket the month before for shop 101."""
    last_day = last_day_of_month(month)
    shops = ex["shops"]
    more = [
        ShopFactory(name=f"Épicerie voisine {n}", commune=f"Bourg {n}") for n in range(extra_shops)
    ]
    receive_round(
        ex["round"],
        [(shops[n], lines) for n, lines in example_orders(ex)],
        day=2,
        lots={
            ex["p1"].pk: ("L-P1", last_day + dt.timedelta(days=30)),
            ex["p2"].pk: ("L-P2", last_day + dt.timedelta(days=3)),
        },
        month=month,
    )
    mill = SupplierFactory(
        name="Moulin de Rimou", shipping_fee=D("18.00"), free_shipping_threshold=D("600.00")
    )
    flours = [
        ProductFactory(
            supplier=mill,
            sku=f"F{n}",
            name=f"Farine T{65 + n}",
            case_size=1,
            unit_price=D("1.9000") + D(n) / 10,
        )
        for n in range(products)
    ]
    for flour in flours:  # the shops together reach the volume price
        add_tiers(flour, (20, str(flour.unit_price - D("0.2"))))
    buyers = [shops[101], shops[102], *more]
    receive_round(
        RoundFactory(supplier=mill),
        [
            (shop, [(f, 60 + 20 * i + 5 * (n % 4), 0) for n, f in enumerate(flours)])
            for i, shop in enumerate(buyers)
        ],
        day=9,
        lots={flours[0].pk: ("L-F0", day_of(20, month=month))},
        month=month,
    )

    # Sales and losses after the receipts, in one batch per day.
    everyone = [*shops.values(), *more]
    balances = list(StockBalance.objects.filter(shop__in=everyone).order_by("pk"))
    sales, losses = [], []
    for n, balance in enumerate(balances):
        sold = balance.quantity // 2 - n % 3
        if sold > 0:
            sales.append(
                MovementIn(
                    shop_id=balance.shop_id,
                    product_id=balance.product_id,
                    kind="sale",
                    quantity=-sold,
                    occurred_at=at(12 + n % 10, month=month),
                )
            )
        if balance.quantity - max(sold, 0) >= 3 and n % 2 == 0:
            reason = ("expired", "damaged", "theft", "other")[n % 4]
            losses.append(
                MovementIn(
                    shop_id=balance.shop_id,
                    product_id=balance.product_id,
                    kind="loss",
                    quantity=-(1 + n % 2),
                    reason=reason,
                    occurred_at=at(25, month=month),
                )
            )
    movements_record(movements=sales)
    movements_record(movements=losses)

    # Z tickets: shop 101 opens most days, 102 fewer, 103 a few, the neighbours some.
    days = range(3, last_day.day + 1) if busy else range(3, 28, 2)
    for day in days:
        z_ticket(shops[101], day_of(day, month=month), D("52.00") + D(day))
        if day % 3:
            z_ticket(shops[102], day_of(day, month=month), D("45.50") + D(day) * 2)
    for day in (5, 12, 19):
        z_ticket(shops[103], day_of(day, month=month), D("16.00"))
    for n, shop in enumerate(more):
        for day in range(4, 28, 4 + n % 3):
            z_ticket(shop, day_of(day, month=month), D("110.00") + D(n * 7))
    z_ticket(shops[101], day_of(15, month=previous_month(month)), D("150.00"))

    ledger = Ledger.objects.get(shop=shops[101])
    entry_post(
        ledger=ledger,
        journal="ACH",
        date=day_of(14, month=month),
        label="Achat au producteur",
        piece_ref="F-LOCAL-1",
        lines=[
            LineIn("607000", debit=D("84.00"), vat_rate=D("5.50")),
            LineIn("445660", debit=D("4.62"), vat_rate=D("5.50")),
            LineIn("401000", credit=D("88.62"), auxiliary=("FLOCAL", "Ferme locale")),
        ],
    )
    entry_post(
        ledger=ledger,
        journal="BQ",
        date=day_of(20, month=month),
        label="Dépôt d'espèces",
        piece_ref="DEP-1",
        lines=[LineIn("512000", debit=D("150.00")), LineIn("530000", credit=D("150.00"))],
    )
    entry_post(
        ledger=ledger,
        journal="BQ",
        date=day_of(28, month=month),
        label="Règlement coopérative",
        piece_ref="VIR-1",
        lines=[
            LineIn("401000", debit=D("60.00"), auxiliary=COOP_AUX),
            LineIn("512000", credit=D("60.00")),
        ],
    )
    for shop in everyone:
        stock_variation_post(shop=shop, month=month)
    return {**ex, "mill": mill, "flours": flours, "more": more, "everyone": everyone}


@pytest.fixture
def traded(example, month):  # noqa: F811
    return trade_month(example, month=month)


@pytest.fixture
def coordinator_api(api, traded):
    return api.as_user(UserFactory(username="coordination", role=User.Role.COORDINATOR))


# --- The shop's figures -------------------------------------------------------------------


def test_month_figures_are_the_income_statement(traded, coordinator_api, month, last_day):
    shop = traded["shops"][101]

    data = shop_report_data(shop=shop, month=month)

    response = coordinator_api.get(
        "/api/statements/income-statement/",
        {"shop": shop.pk, "from": month.isoformat(), "to": last_day.isoformat()},
    )
    assert response.status_code == 200
    api = response.json()
    figures = data.figures
    assert figures.month == month
    assert figures.sales_of_goods == D(api["sales_of_goods"]) > 0
    assert figures.purchases_of_goods == D(api["purchases_of_goods"]) > 0
    assert figures.stock_variation == D(api["stock_variation"]) != 0
    assert figures.gross_margin == D(api["gross_margin"])
    assert figures.margin_rate == D(api["margin_rate"])
    assert figures.external_charges == D(api["external_charges"]) > 0
    assert figures.result == D(api["result"])
    assert (figures.total_income, figures.total_charges) == (
        D(api["total_income"]),
        D(api["total_charges"]),
    )
    statement = income_statement(ledger=shop.ledger, date_from=month, date_to=last_day)
    assert figures.cost_of_goods_sold == statement.cost_of_goods_sold


def test_months_without_entries_are_absent(traded, month):
    shop_101, shop_103 = traded["shops"][101], traded["shops"][103]

    with_previous = shop_report_data(shop=shop_101, month=month)
    without = shop_report_data(shop=shop_103, month=month)

    before = previous_month(month)
    statement = income_statement(
        ledger=shop_101.ledger, date_from=before, date_to=last_day_of_month(before)
    )
    assert with_previous.previous.month == before
    assert with_previous.previous.sales_of_goods == statement.amount("sales_of_goods") > 0
    assert with_previous.previous.margin_rate == statement.margin_rate
    assert with_previous.year_before is None
    assert without.previous is None and without.year_before is None


def test_the_same_month_a_year_before_when_the_books_hold_it(traded, month):
    shop = traded["shops"][101]
    year_before = month.replace(year=month.year - 1)
    z_ticket(shop, year_before.replace(day=10), D("99.00"))

    data = shop_report_data(shop=shop, month=month)

    statement = income_statement(
        ledger=shop.ledger, date_from=year_before, date_to=last_day_of_month(year_before)
    )
    assert data.year_before.month == year_before
    assert data.year_before.sales_of_goods == statement.amount("sales_of_goods") == D("93.84")


def test_pooling_savings_are_those_of_the_invoices(traded, month, last_day):
    shop = traded["shops"][101]

    data = shop_report_data(shop=shop, month=month)

    invoices = list(
        Invoice.objects.filter(
            shop=shop, issued_on__gte=month, issued_on__lte=last_day
        ).select_related("round__supplier")
    )
    assert len(invoices) == 2
    assert data.savings.volume == sum(i.savings for i in invoices) > 0
    shipping = D("0")
    for invoice in invoices:
        supplier = invoice.round.supplier
        reached = invoice.goods_excl_vat >= supplier.free_shipping_threshold
        shipping += (D("0") if reached else supplier.shipping_fee) - invoice.shipping
    assert data.savings.shipping == shipping
    assert data.savings.total == data.savings.volume + data.savings.shipping
    assert {i.number for i in data.savings.invoices} == {i.number for i in invoices}
    assert data.purchases_through_cooperative == sum(i.goods_excl_vat for i in invoices)
    assert data.other_purchases == D("84.00")  # the local producer's invoice
    assert {(s.supplier, s.goods_excl_vat) for s in data.purchases_by_supplier} == {
        (i.round.supplier.name, i.goods_excl_vat) for i in invoices
    }


def test_shipping_alone_is_free_past_the_threshold(example, month):  # noqa: F811
    # Shop 102 alone orders enough to reach the mill's threshold: nothing saved on
    # shipping, since alone it would not have paid any either.
    shops = example["shops"]
    mill = SupplierFactory(
        name="Moulin", shipping_fee=D("18.00"), free_shipping_threshold=D("50.00")
    )
    flour = ProductFactory(supplier=mill, case_size=1, unit_price=D("2.0000"))
    receive_round(
        RoundFactory(supplier=mill),
        [(shops[102], [(flour, 30, 0)]), (shops[101], [(flour, 5, 0)])],
        day=3,
        month=month,
    )

    alone = shop_report_data(shop=shops[102], month=month).savings
    helped = shop_report_data(shop=shops[101], month=month).savings

    assert alone.shipping == D("0.00") and alone.invoices[0].shipping_alone == D("0.00")
    assert helped.invoices[0].shipping_alone == D("18.00")
    assert helped.shipping == D("18.00") - helped.invoices[0].shipping_share
    assert helped.invoices[0].shipping_share == D("0.00")  # the round reached free shipping


def test_losses_by_reason_and_their_rate(traded, month):
    shop = traded["shops"][101]

    data = shop_report_data(shop=shop, month=month)

    expected = {}
    for movement in shop.stock_movements.filter(kind="loss"):
        units, value = expected.get(movement.reason, (0, D("0")))
        expected[movement.reason] = (
            units - movement.quantity,
            value - movement.quantity * movement.unit_cost,
        )
    assert [line.reason for line in data.losses] == ["expired", "damaged", "theft", "other"]
    assert {line.reason: (line.units, line.value) for line in data.losses if line.units} == {
        reason: (units, money(value)) for reason, (units, value) in expected.items()
    }
    assert data.losses_value == sum(line.value for line in data.losses) > 0
    assert data.losses_units == sum(units for units, _ in expected.values())
    assert data.losses_rate == (data.losses_value * 100 / data.figures.sales_of_goods).quantize(
        D("0.01"), rounding=ROUND_HALF_UP
    )


def test_stock_value_is_the_apis_and_lots_expiring_soon(traded, coordinator_api, month, last_day):
    shop = traded["shops"][101]

    data = shop_report_data(shop=shop, month=month)

    response = coordinator_api.get(
        "/api/stock/value/", {"shop": shop.pk, "date": last_day.isoformat()}
    )
    assert response.status_code == 200
    assert data.stock_value == D(response.json()["value"]) > 0
    assert data.expiry_horizon == last_day + dt.timedelta(days=EXPIRY_HORIZON_DAYS)
    lots = StockLot.objects.filter(shop=shop, remaining__gt=0, expires_on__lte=data.expiry_horizon)
    assert sorted((lot.code, lot.expires_on, lot.remaining) for lot in lots) == sorted(
        (lot.lot, lot.expires_on, lot.quantity) for lot in data.expiring_lots
    )
    codes = [lot.lot for lot in data.expiring_lots]
    # P1 expires a month after the horizon; F0 expired within the month, still on the shelf.
    assert "L-P2" in codes and "L-F0" in codes and "L-P1" not in codes


def test_top_products_by_units_sold(example, month):  # noqa: F811
    traded = trade_month(example, products=14, month=month)
    shop = traded["shops"][101]

    data = shop_report_data(shop=shop, month=month)

    sales = {}
    for movement in shop.stock_movements.filter(kind="sale").select_related("product"):
        units, cost = sales.get(movement.product.name, (0, D("0")))
        sales[movement.product.name] = (
            units - movement.quantity,
            cost - movement.quantity * movement.unit_cost,
        )
    assert len(sales) > 10
    assert len(data.top_products) == 10
    ranked = sorted(sales.items(), key=lambda item: (-item[1][0], item[0]))[:10]
    assert [(p.product, p.units, p.cost) for p in data.top_products] == [
        (name, units, money(cost)) for name, (units, cost) in ranked
    ]


def test_cash_bank_and_due_to_the_cooperative(traded, coordinator_api, month, last_day):
    shop = traded["shops"][101]

    data = shop_report_data(shop=shop, month=month)

    balances = {
        a.account: a.balance
        for a in trial_balance(
            ledger=shop.ledger, date_from=dt.date(2000, 1, 1), date_to=last_day
        ).accounts
    }
    assert data.cash_balance == balances["530000"] > 0
    assert data.bank_balance == balances["512000"] > 0
    ledger = coordinator_api.get(
        "/api/statements/general-ledger/",
        {"shop": shop.pk, "from": "2000-01-01", "to": last_day.isoformat()},
    ).json()
    [suppliers] = [a for a in ledger["accounts"] if a["account"] == "401000"]
    due = sum(
        (
            D(line["credit"]) - D(line["debit"])
            for line in suppliers["lines"]
            if line["auxiliary"] == COOP_AUX[0]
        ),
        D("0"),
    )
    invoiced = sum(i.total_incl_vat for i in Invoice.objects.filter(shop=shop))
    assert data.due_to_cooperative == due == invoiced - D("60.00") > 0


def test_sales_per_day_open_and_the_days(traded, month, last_day):
    shop = traded["shops"][101]

    data = shop_report_data(shop=shop, month=month)

    days = shop.sales_days.filter(date__gte=month, date__lte=last_day).count()
    assert data.days_open == days == len(range(3, 28, 2))
    assert data.sales_per_day_open == money(data.figures.sales_of_goods / days)
    assert len(data.daily_sales) == last_day.day
    assert sum(d.sales for d in data.daily_sales) == data.figures.sales_of_goods
    assert data.daily_sales[2].day == day_of(3, month=month) and data.daily_sales[2].sales > 0
    assert data.daily_sales[3].sales == 0  # the 4th: closed


def test_no_z_ticket_no_sales_per_day(example, month):  # noqa: F811
    data = shop_report_data(shop=example["shops"][101], month=month)

    assert data.days_open == 0 and data.sales_per_day_open is None
    assert data.figures.margin_rate is None and data.losses_rate is None
    assert data.savings.total == 0 and data.top_products == [] and data.expiring_lots == []


# --- The cooperative's median ---------------------------------------------------------------


def test_the_grouped_figures_are_each_shops_income_statement(traded, month, last_day):
    shops = list(
        Shop.objects.filter(pk__in=[s.pk for s in traded["everyone"]]).select_related("ledger")
    )
    win = window(month)

    grouped = statements_by_ledger(ledgers=[s.ledger for s in shops], win=win)
    figures = shops_figures(shops=shops, win=win)

    for shop in shops:
        own = income_statement(ledger=shop.ledger, date_from=month, date_to=last_day)
        assert grouped[shop.ledger.pk].amounts == own.amounts
        assert grouped[shop.ledger.pk].result == own.result
        assert figures[shop.pk].gross_margin == own.gross_margin
        assert figures[shop.pk].margin_rate == own.margin_rate
        data = shop_report_data(shop=shop, month=month)
        assert figures[shop.pk].sales_per_day_open == data.sales_per_day_open
        assert figures[shop.pk].losses_rate == data.losses_rate
        assert figures[shop.pk].losses_value == data.losses_value


def test_the_benchmark_is_the_median_of_the_active_shops(example, month):  # noqa: F811
    traded = trade_month(example, extra_shops=3, month=month)
    suspended = traded["more"][2]
    Shop.objects.filter(pk=suspended.pk).update(status=Shop.Status.SUSPENDED)
    shop = traded["shops"][101]

    data = shop_report_data(shop=shop, month=month)

    active = [s for s in traded["everyone"] if s.pk != suspended.pk]
    reports = [shop_report_data(shop=s, month=month) for s in active]
    lines = {line.key: line for line in data.benchmark}
    for key, own in (
        ("margin_rate", data.figures.margin_rate),
        ("sales_per_day_open", data.sales_per_day_open),
        ("losses_rate", data.losses_rate),
    ):
        values = [
            v
            for v in (
                getattr(r.figures, key, None) if key == "margin_rate" else getattr(r, key)
                for r in reports
            )
            if v is not None
        ]
        assert len(values) >= 3
        assert lines[key].shop == own
        assert lines[key].shops == len(values)
        assert lines[key].median == statistics.median(values).quantize(
            D("0.01"), rounding=ROUND_HALF_UP
        )


def test_no_median_below_three_shops(traded, month):
    # Shops 102 and 103 leave the cooperative: one other shop would be given away.
    Shop.objects.filter(pk__in=[102, 103]).update(status=Shop.Status.LEFT)

    data = shop_report_data(shop=traded["shops"][101], month=month)

    assert all(line.median is None and line.shops == 1 for line in data.benchmark)


# --- The cooperative's report ------------------------------------------------------------------


def test_the_cooperatives_figures(traded, month, last_day):
    shops = traded["shops"]
    ShopFactory(
        name="Boulangerie nouvelle",
        status=Shop.Status.CANDIDATE,
        zone=Shop.Zone.QPV,
        joined_on=day_of(12, month=month),
    )
    ShopFactory(
        name="Bar du port", status=Shop.Status.LEFT, left_on=last_day, joined_on=dt.date(2020, 1, 1)
    )
    cancelled = RoundFactory(supplier=traded["mill"], status=Round.Status.CANCELLED)
    Round.objects.filter(pk=cancelled.pk).update(
        opens_at=at(1, month=month), closes_at=at(5, month=month)
    )

    data = cooperative_report_data(month=month)

    assert data.zones == ["Rurale", "QPV", "Urbaine"]
    by_status = {row.status: (row.counts, row.total) for row in data.members}
    assert by_status == {
        "Candidat": ([0, 1, 0], 1),
        "Actif": ([3, 0, 0], 3),
        "Suspendu": ([0, 0, 0], 0),
        "Parti": ([1, 0, 0], 1),
    }
    assert data.members_by_zone == [4, 1, 0] and data.members_total == 5
    assert [(m.name, m.on) for m in data.new_members] == [
        ("Boulangerie nouvelle", day_of(12, month=month))
    ]
    assert [(m.name, m.on) for m in data.departed_members] == [("Bar du port", last_day)]

    orders = {
        r.supplier.name: r.supplier_order
        for r in Round.objects.filter(supplier_order__received_at__isnull=False).select_related(
            "supplier", "supplier_order"
        )
    }
    assert [
        (s.supplier, s.orders, s.total_excl_vat, s.shipping) for s in data.purchases_by_supplier
    ] == sorted(
        [(name, 1, o.total_excl_vat, o.shipping) for name, o in orders.items()],
        key=lambda row: -row[2],
    )

    invoices = Invoice.objects.filter(issued_on__gte=month, issued_on__lte=last_day)
    per_shop = {shop.pk: shop_report_data(shop=shop, month=month) for shop in shops.values()}
    assert data.savings_volume == sum(i.savings for i in invoices)
    assert data.savings_total == sum(r.savings.total for r in per_shop.values())
    assert data.savings_total == data.savings_volume + data.savings_shipping

    coop = income_statement(
        ledger=Ledger.objects.get(kind="cooperative"), date_from=month, date_to=last_day
    )
    fees = [a.amount for g in coop.income for a in g.accounts if a.account == "706000"]
    assert data.fees_collected == sum(fees) == sum(i.fee for i in invoices) > 0

    assert len(data.rounds) == 2  # the cancelled one left out
    asked = allocated = 0
    for round_ in Round.objects.exclude(status="cancelled").prefetch_related(
        "supplier_order__allocations"
    ):
        allocations = list(round_.supplier_order.allocations.all())
        asked += sum(a.quantity for a in allocations)
        allocated += sum(a.allocated for a in allocations)
    assert (data.rounds_asked, data.rounds_allocated) == (asked, allocated)
    assert data.fill_rate == (D(allocated) * 100 / asked).quantize(
        D("0.01"), rounding=ROUND_HALF_UP
    )

    assert [line.name for line in data.shops] == ["Commerce 101", "Commerce 102", "Commerce 103"]
    for line in data.shops:
        report = per_shop[line.shop_id]
        assert line.sales_of_goods == report.figures.sales_of_goods
        assert line.margin_rate == report.figures.margin_rate
        assert line.sales_per_day_open == report.sales_per_day_open
        assert line.losses_rate == report.losses_rate
        assert line.purchases_through_cooperative == report.purchases_through_cooperative
        assert line.savings == report.savings.total
    lines = {line.key: line.median for line in per_shop[101].benchmark}
    assert data.medians.margin_rate == lines["margin_rate"] is not None
    assert data.medians.sales_per_day_open == lines["sales_per_day_open"]


# --- Short supply chains: the month's impact figures (docs/impact.md) ----------------------------


def test_the_reports_impact_figures_are_those_of_the_month(traded, month, last_day):
    # The mill is a local organic producer, the example's dairy a far wholesaler.
    Cooperative.objects.update(
        hub_latitude=D("48.11170"), hub_longitude=D("-1.68000"), local_radius_km=60
    )
    mill = traded["mill"]
    mill.kind, mill.labels = "producer", ["AB"]
    mill.latitude, mill.longitude = D("48.40000"), D("-1.50000")
    mill.save()
    supplier = traded["supplier"]
    supplier.latitude, supplier.longitude = D("43.60000"), D("1.44000")
    supplier.save()
    shop = traded["shops"][101]

    data = shop_report_data(shop=shop, month=month)
    cooperative = cooperative_report_data(month=month)

    assert data.local_radius_km == cooperative.local_radius_km == 60
    own = impact_figures(start=month, end=last_day, shop=shop)
    assert data.impact == own
    everyone = impact_figures(start=month, end=last_day)
    assert cooperative.impact == everyone
    # The figures are the month's invoices': the mill's goods are the local ones.
    invoices = Invoice.objects.filter(shop=shop, issued_on__gte=month, issued_on__lte=last_day)
    assert own.purchases_excl_vat == sum(i.goods_excl_vat for i in invoices)
    milled = sum(i.goods_excl_vat for i in invoices if i.round.supplier_id == mill.pk)
    assert own.local_excl_vat == own.organic_excl_vat == own.paid_to_local_producers == milled > 0
    assert own.local_producers == 1 and 0 < own.local_share < 100
    assert everyone.purchases_excl_vat == sum(
        i.goods_excl_vat for i in Invoice.objects.filter(issued_on__gte=month)
    )
    assert [(z.zone, z.shops) for z in everyone.by_zone] == [("rural", 3)]


# --- Queries: a fixed number whatever the data ---------------------------------------------------


def test_reports_read_a_fixed_number_of_queries(example, django_assert_num_queries, month):  # noqa: F811
    small = trade_month(example, month=month)

    with django_assert_num_queries(SHOP_REPORT_QUERIES):
        shop_report_data(shop=small["shops"][101], month=month)
    with django_assert_num_queries(COOPERATIVE_REPORT_QUERIES):
        cooperative_report_data(month=month)


def test_the_same_queries_for_a_much_larger_month(
    example,  # noqa: F811
    django_assert_num_queries,
    month,
    last_day,
):
    # Ten times the products, every day open, six more shops.
    large = trade_month(example, products=30, extra_shops=6, busy=True, month=month)
    assert StockBalance.objects.count() > 200

    with django_assert_num_queries(SHOP_REPORT_QUERIES):
        data = shop_report_data(shop=large["shops"][101], month=month)
    with django_assert_num_queries(COOPERATIVE_REPORT_QUERIES):
        cooperative = cooperative_report_data(month=month)
    assert len(data.top_products) == 10 and data.days_open == last_day.day - 2
    assert len(cooperative.shops) == 9
