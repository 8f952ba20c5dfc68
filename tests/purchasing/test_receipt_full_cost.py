"""Stock at its full cost (issue 13, point 8; docs/inventory.md, "Stock at its full
cost"): the shipping share and the fee of each invoice are spread over its goods lines by
amount and enter their weighted average cost, so that a shop's stock right after a
receipt is worth its invoice excl. VAT to the cent, and the month-end stock variation
follows."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounting.models import EntryLine
from accounting.postings import stock_variation_post
from inventory.costing import cost_round
from inventory.models import StockBalance, StockMovement
from inventory.services import movement_create
from mache.money import money
from mache.periods import current_month, previous_month
from purchasing import rules
from purchasing.models import Invoice, Round, SupplierOrder
from purchasing.services.consolidation import round_consolidate
from purchasing.services.lifecycle import supplier_order_confirm
from purchasing.services.receipt import supplier_order_receive
from tests.factories import (
    CooperativeFactory,
    ProductFactory,
    RoundFactory,
    ShopFactory,
    SupplierFactory,
    close_round,
    make_order,
)

from .test_consolidation import place_example

D = Decimal


def stock_value(shop_id) -> Decimal:
    return StockBalance.objects.filter(shop_id=shop_id).aggregate(v=Sum("value"))["v"] or D("0")


def assert_stock_is_worth_the_invoices(invoices):
    for invoice in invoices:
        full = invoice.goods_excl_vat + invoice.shipping + invoice.fee
        assert full == invoice.total_excl_vat
        assert stock_value(invoice.shop_id) == full, invoice.number


@pytest.fixture
def consolidated(example):
    place_example(example)
    close_round(example["round"])
    example["supplier_order"] = round_consolidate(round_id=example["round"].pk)
    return example


def test_the_worked_example_enters_each_shops_stock_at_its_invoice_excl_vat(consolidated):
    invoices = supplier_order_receive(
        supplier_order_id=consolidated["supplier_order"].pk, received={}
    )

    assert_stock_is_worth_the_invoices(invoices)
    # Shop 101: goods 9.60 (P1) and 10.50 (P2), shipping 10.09 + fee 0.40 = 10.49 split
    # by 960 / 1050: 501.01 and 547.99 cents, the cent left to the larger remainder (P2).
    stock = {
        (b.shop_id, b.product.sku): (b.quantity, b.value, b.average_cost)
        for b in StockBalance.objects.select_related("product")
    }
    assert stock[(101, "P1")] == (8, D("14.61"), D("1.82625000"))
    assert stock[(101, "P2")] == (3, D("15.98"), D("5.32666667"))
    # Shop 102: 11.30 + 0.45 = 11.75 by 1200 / 1050: 626.67 and 548.33, the cent to P1.
    assert stock[(102, "P1")] == (10, D("18.27"), D("1.82700000"))
    assert stock[(102, "P2")] == (3, D("15.98"), D("5.32666667"))
    # Shop 103: 7.20 + 3.61 + 0.14, all on its one line.
    assert stock[(103, "P1")] == (6, D("10.95"), D("1.82500000"))
    # The receipt movement carries the full unit cost; the API shows it to 4 decimals.
    movement = StockMovement.objects.get(shop_id=101, product__sku="P2")
    assert movement.unit_cost == D("5.32666667")


def test_the_api_gives_full_costs_to_four_decimals_half_up(api, coordinator, consolidated):
    supplier_order_receive(supplier_order_id=consolidated["supplier_order"].pk, received={})
    rows = api.as_user(coordinator).get("/api/stock/?shop=101").json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    costs = {row["product"]: (row["average_cost"], row["value"]) for row in rows}
    assert costs[consolidated["p1"].pk] == ("1.8263", "14.61")
    assert costs[consolidated["p2"].pk] == ("5.3267", "15.98")


def test_a_short_delivery_spreads_the_costs_over_what_was_really_invoiced(consolidated):
    p1 = consolidated["p1"]
    invoices = supplier_order_receive(
        supplier_order_id=consolidated["supplier_order"].pk, received={p1.pk: 12}
    )

    assert_stock_is_worth_the_invoices(invoices)
    # split(12, [8, 10, 6]) = 4, 5, 3: shop 103 is invoiced 3 units at 1.20 = 3.60.
    invoice = next(i for i in invoices if i.shop_id == 103)
    assert invoice.goods_excl_vat == D("3.60")
    balance = StockBalance.objects.get(shop_id=103, product=p1)
    assert balance.quantity == 3
    assert balance.value == invoice.total_excl_vat
    assert balance.average_cost == cost_round(invoice.total_excl_vat / 3)
    # Shipping does not change (rule 5): the shops share all of it, over fewer goods.
    assert sum(i.shipping for i in invoices) == D("25.00")
    assert sum(stock_value(i.shop_id) for i in invoices) == sum(i.total_excl_vat for i in invoices)


def test_a_product_received_twice_averages_its_full_costs(consolidated):
    p2 = consolidated["p2"]
    [first] = [
        i
        for i in supplier_order_receive(
            supplier_order_id=consolidated["supplier_order"].pk, received={}
        )
        if i.shop_id == 101
    ]
    before = StockBalance.objects.get(shop_id=101, product=p2)
    assert (before.quantity, before.value) == (3, D("15.98"))

    # A second round: shop 101 alone, 6 units of P2 (one case), shipping 25.00 on 21.00.
    other = RoundFactory(supplier=consolidated["supplier"])
    make_order(other, consolidated["shops"][101], (p2, 6, 0))
    close_round(other)
    supplier_order = round_consolidate(round_id=other.pk)
    [second] = supplier_order_receive(supplier_order_id=supplier_order.pk, received={})
    assert (second.goods_excl_vat, second.shipping, second.fee) == (
        D("21.00"),
        D("25.00"),
        D("0.42"),
    )

    after = StockBalance.objects.get(shop_id=101, product=p2)
    # (3 x 5.32666667 + 6 x 7.73666667) / 9, to 8 decimals: the weighted average of the
    # two full costs, 15.98 and 46.42.
    assert after.quantity == 9
    assert after.average_cost == cost_round(
        (3 * D("5.32666667") + 6 * cost_round(D("46.42") / 6)) / 9
    )
    assert after.average_cost == D("6.93333334")
    assert after.value == D("15.98") + D("46.42") == D("62.40")
    assert first.total_excl_vat + second.total_excl_vat == stock_value(101)


def test_the_month_end_stock_variation_is_the_change_of_full_cost_value(consolidated):
    month = previous_month(current_month())
    closed = timezone.make_aware(dt.datetime.combine(month.replace(day=10), dt.time(12)))
    Round.objects.filter(pk=consolidated["round"].pk).update(
        opens_at=closed - dt.timedelta(days=2), closes_at=closed
    )
    supplier_order = consolidated["supplier_order"]
    SupplierOrder.objects.filter(pk=supplier_order.pk).update(created_at=closed)
    invoices = supplier_order_receive(
        supplier_order_id=supplier_order.pk, received={}, received_on=month.replace(day=15)
    )
    shop = consolidated["shops"][101]
    invoice = next(i for i in invoices if i.shop_id == shop.pk)
    # Two units of P2 lost later that month leave at the full average cost.
    movement_create(
        shop=shop,
        product=consolidated["p2"],
        kind="loss",
        quantity=2,
        reason="damaged",
        occurred_on=month.replace(day=20),
    )
    lost = money(2 * D("5.32666667"))

    stock_variation_post(shop=shop, month=month)

    lines = EntryLine.objects.filter(
        entry__ledger=shop.ledger, entry__source=f"stock:{month:%Y-%m}"
    )
    by_account = {(line.account.number, line.debit, line.credit) for line in lines}
    rose = invoice.total_excl_vat - lost
    assert rose == stock_value(shop.pk) == D("30.59") - D("10.65")
    assert by_account == {("370000", rose, D("0.00")), ("603700", D("0.00"), rose)}


# --- Any round ----------------------------------------------------------------------------

# From 0.0100: every goods line is worth a cent at least.
PRICES = st.integers(100, 99999).map(lambda tenths_of_a_mill: Decimal(tenths_of_a_mill) / 10000)


@st.composite
def rounds(draw):
    products = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "case_size": st.sampled_from([1, 2, 3, 6, 12]),
                    "price": PRICES,
                    "vat": st.sampled_from(["5.50", "10.00", "20.00"]),
                }
            ),
            min_size=1,
            max_size=3,
        )
    )
    count = len(products)
    line = st.tuples(st.integers(0, count - 1), st.integers(1, 40), st.integers(0, 8))
    return {
        "products": products,
        "shops": draw(
            st.lists(
                st.lists(line, min_size=1, max_size=count, unique_by=lambda ln: ln[0]),
                min_size=1,
                max_size=4,
            )
        ),
        "shipping": draw(st.sampled_from(["0.00", "25.00", "9.99", "13.37"])),
        "fee": draw(st.sampled_from(["0.02", "0.035", "0.00"])),
        # Per product, the share of the ordered units really delivered.
        "delivered": draw(st.lists(st.sampled_from([1, 0.9, 0.5, 0.1, 0]), min_size=3)),
    }


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=rounds())
def test_after_any_receipt_each_shops_stock_is_worth_its_invoice_excl_vat(world):
    with transaction.atomic():
        CooperativeFactory(service_fee_rate=Decimal(world["fee"]))
        supplier = SupplierFactory(
            shipping_fee=Decimal(world["shipping"]),
            free_shipping_threshold=None,
            min_order_amount=D("0.00"),
        )
        products = [
            ProductFactory(
                supplier=supplier,
                case_size=spec["case_size"],
                unit_price=spec["price"],
                vat_rate=Decimal(spec["vat"]),
            )
            for spec in world["products"]
        ]
        round_ = RoundFactory(supplier=supplier)
        base = timezone.now() - dt.timedelta(hours=1)
        for n, spec in enumerate(world["shops"]):
            make_order(
                round_,
                ShopFactory(),
                *[(products[i], q, t) for i, q, t in spec],
                created_at=base + dt.timedelta(seconds=n),
            )
        close_round(round_)
        supplier_order = round_consolidate(round_id=round_.pk)
        if supplier_order.lines.exists():
            if supplier_order.status == SupplierOrder.Status.NEEDS_REVIEW:
                supplier_order_confirm(supplier_order_id=supplier_order.pk)
            received = {
                line.product_id: int(line.units * world["delivered"][n])
                for n, line in enumerate(supplier_order.lines.order_by("product_id"))
            }
            invoices = supplier_order_receive(
                supplier_order_id=supplier_order.pk, received=received
            )
            assert_stock_is_worth_the_invoices(invoices)
            for invoice in invoices:
                # Line by line: each goods line's movement is worth its amount plus its
                # share of shipping and fee, and those shares sum to shipping + fee.
                values = {
                    m.product_id: money(m.quantity * m.unit_cost)
                    for m in StockMovement.objects.filter(shop_id=invoice.shop_id)
                }
                goods = {
                    line.product_id: line.amount for line in invoice.lines.filter(kind="goods")
                }
                assert set(values) == set(goods)
                assert all(values[p] >= goods[p] for p in goods)
                assert sum(values.values()) - sum(goods.values()) == (
                    invoice.shipping + invoice.fee
                )
            assert not Invoice.objects.exclude(pk__in=[i.pk for i in invoices]).exists()
        transaction.set_rollback(True)


@given(
    amounts=st.lists(st.integers(0, 10**6), min_size=1, max_size=8),
    extra=st.integers(0, 10**5),
)
def test_the_extra_costs_split_over_the_goods_lines_to_the_cent(amounts, extra):
    draft = rules.InvoiceDraft(shop=1)
    for n, cents in enumerate(amounts):
        amount = Decimal(cents) / 100
        draft.lines.append(rules.InvoiceLineDraft("goods", "x", n, 1, amount, amount, D("5.50")))
    draft.shipping = Decimal(extra) / 100 if sum(amounts) else D("0.00")
    draft.fee = D("0.00")
    full = rules.goods_full_costs(draft)
    assert list(full) == list(range(len(amounts)))
    assert sum(full.values()) == sum(Decimal(c) for c in amounts) / 100 + draft.shipping
    for n, cents in enumerate(amounts):
        if cents == 0:
            assert full[n] == 0  # a free line carries none of it
