import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import StockMovement
from purchasing.models import Allocation, Invoice, Round, SupplierOrder
from purchasing.selectors import round_fill_changed
from purchasing.services.consolidation import round_consolidate
from purchasing.services.receipt import supplier_order_receive
from tests.factories import (
    CooperativeFactory,
    ProductFactory,
    RoundFactory,
    ShopFactory,
    SupplierFactory,
    make_order,
)

from .test_consolidation import close, place_example


@pytest.fixture
def consolidated(example):
    place_example(example)
    close(example["round"])
    example["supplier_order"] = round_consolidate(round_id=example["round"].pk)
    return example


def receive(api, coordinator, ex, lines=None):
    return api.as_user(coordinator).post(
        f"/api/supplier-orders/{ex['supplier_order'].pk}/receipt/",
        {"lines": lines or []},
        format="json",
    )


def test_a_full_receipt_issues_the_invoices_of_the_worked_example(api, coordinator, consolidated):
    response = receive(api, coordinator, consolidated)
    assert response.status_code == 201, response.json()
    invoices = {inv["shop"]: inv for inv in response.json()["invoices"]}
    assert set(invoices) == {101, 102, 103}
    first = invoices[101]
    assert first["total_excl_vat"] == "30.59"
    assert first["total_incl_vat"] == "34.61"
    assert first["total_vat"] == "4.02"
    assert first["vat"] == [
        {"rate": "5.50", "base": "14.42", "amount": "0.79"},
        {"rate": "20.00", "base": "16.17", "amount": "3.23"},
    ]
    labels = [ln["label"] for ln in first["lines"]]
    assert labels[:2] == ["Produit P1", "Produit P2"]
    assert labels[2].startswith("Quote-part des frais de port (TVA 5,5\u00a0%")
    assert labels[4].startswith("Frais de service de la coopérative (2\u00a0%")
    amounts = [
        (ln["product"], ln["quantity"], ln["unit_price"], ln["amount"], ln["vat_rate"])
        for ln in first["lines"]
    ]
    p1, p2 = consolidated["p1"].pk, consolidated["p2"].pk
    assert amounts == [
        (p1, 8, "1.2000", "9.60", "5.50"),
        (p2, 3, "3.5000", "10.50", "20.00"),
        (None, 1, "4.8200", "4.82", "5.50"),
        (None, 1, "5.2700", "5.27", "20.00"),
        (None, 1, "0.4000", "0.40", "20.00"),
    ]
    shipping = [Decimal(inv["shipping"]) for inv in (invoices[101], invoices[102], invoices[103])]
    assert shipping == [Decimal("10.09"), Decimal("11.30"), Decimal("3.61")]
    for invoice in invoices.values():
        assert Decimal(invoice["total_excl_vat"]) == sum(
            Decimal(ln["amount"]) for ln in invoice["lines"]
        )
        assert Decimal(invoice["total_incl_vat"]) == Decimal(invoice["total_excl_vat"]) + sum(
            Decimal(v["amount"]) for v in invoice["vat"]
        )
        assert invoice["savings"] == "0.00"  # no tier reached
        assert re.fullmatch(r"MACHE-\d{4}-\d{6}", invoice["number"])
    assert Round.objects.get(pk=consolidated["round"].pk).status == "invoiced"
    assert SupplierOrder.objects.get().status == "received"


def test_invoice_numbers_have_no_gap_within_the_year(api, coordinator, consolidated):
    receive(api, coordinator, consolidated)
    year = timezone.localdate().year
    assert sorted(Invoice.objects.filter(year=year).values_list("sequence", flat=True)) == [1, 2, 3]
    # a second round continues the sequence
    supplier = consolidated["supplier"]
    other = RoundFactory(supplier=supplier)
    make_order(other, consolidated["shops"][101], (consolidated["p2"], 6, 0))
    close(other)
    supplier_order = round_consolidate(round_id=other.pk)
    invoices = supplier_order_receive(supplier_order_id=supplier_order.pk, received={})
    assert [inv.number for inv in invoices] == [f"MACHE-{year}-000004"]


def test_goods_enter_each_shops_stock_at_their_full_cost(api, coordinator, consolidated):
    """The group price plus the line's share of the invoice's shipping and fee (issue 13,
    point 8: tests/purchasing/test_receipt_full_cost.py)."""
    receive(api, coordinator, consolidated)
    stock = {
        (m.shop_id, m.product.sku): (m.quantity, m.unit_cost)
        for m in StockMovement.objects.select_related("product")
    }
    assert stock == {
        (101, "P1"): (8, Decimal("1.82625000")),  # 14.61 / 8
        (102, "P1"): (10, Decimal("1.82700000")),  # 18.27 / 10
        (103, "P1"): (6, Decimal("1.82500000")),  # 10.95 / 6
        (101, "P2"): (3, Decimal("5.32666667")),  # 15.98 / 3
        (102, "P2"): (3, Decimal("5.32666667")),  # 15.98 / 3
    }
    assert {m.kind for m in StockMovement.objects.all()} == {"receipt"}


def test_a_short_delivery_is_reallocated_in_proportion(api, coordinator, consolidated):
    response = receive(
        api, coordinator, consolidated, [{"product": consolidated["p1"].pk, "received_units": 12}]
    )
    assert response.status_code == 201
    received = dict(
        Allocation.objects.filter(product=consolidated["p1"]).values_list("shop_id", "received")
    )
    # split(12, [8, 10, 6]): 4, 5, 3 exactly
    assert received == {101: 4, 102: 5, 103: 3}
    p2 = dict(
        Allocation.objects.filter(product=consolidated["p2"]).values_list("shop_id", "received")
    )
    assert p2 == {101: 3, 102: 3}  # not named: received in full
    invoice = Invoice.objects.get(shop_id=103)
    assert invoice.goods_excl_vat == Decimal("3.60")


def test_nothing_received_for_a_shop_means_no_invoice_for_it(api, coordinator, consolidated):
    receive(
        api, coordinator, consolidated, [{"product": consolidated["p1"].pk, "received_units": 0}]
    )
    assert sorted(Invoice.objects.values_list("shop_id", flat=True)) == [101, 102]


def test_receiving_twice_is_409(api, coordinator, consolidated):
    assert receive(api, coordinator, consolidated).status_code == 201
    response = receive(api, coordinator, consolidated)
    assert response.status_code == 409
    assert response.json()["code"] == "already_received"
    assert Invoice.objects.count() == 3
    assert StockMovement.objects.count() == 5


@pytest.mark.parametrize(
    "lines",
    [
        [{"product": "P1", "received_units": 25}],  # more than the 24 ordered
        [{"product": "P1", "received_units": -1}],
        [{"product": "P1", "received_units": 1.5}],
        [{"product": "P3", "received_units": 1}],  # dropped at consolidation
        [{"product": "P1", "received_units": 3}, {"product": "P1", "received_units": 4}],
    ],
)
def test_bad_receipts_are_400_and_write_nothing(api, coordinator, consolidated, lines):
    for line in lines:
        line["product"] = consolidated[line["product"].lower()].pk
    response = receive(api, coordinator, consolidated, lines)
    assert response.status_code == 400
    assert "lines" in response.json()
    assert not Invoice.objects.exists()
    assert not StockMovement.objects.exists()
    assert SupplierOrder.objects.get().status == "confirmed"
    assert not Allocation.objects.filter(received__isnull=False).exists()


def test_a_supplier_order_under_review_must_be_confirmed_first(api, coordinator, example):
    example["supplier"].min_order_amount = Decimal("80.00")
    example["supplier"].save()
    place_example(example)
    close(example["round"])
    example["supplier_order"] = round_consolidate(round_id=example["round"].pk)
    response = receive(api, coordinator, example)
    assert response.status_code == 409 and response.json()["code"] == "needs_review"
    client = api.as_user(coordinator)
    confirm = client.post(f"/api/supplier-orders/{example['supplier_order'].pk}/confirm/")
    assert confirm.status_code == 200 and confirm.json()["status"] == "confirmed"
    again = client.post(f"/api/supplier-orders/{example['supplier_order'].pk}/confirm/")
    assert again.status_code == 409
    assert receive(api, coordinator, example).status_code == 201


def test_cancelling_a_round_keeps_orders_and_cancels_the_supplier_order(
    api, coordinator, consolidated, django_capture_on_commit_callbacks
):
    client = api.as_user(coordinator)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(f"/api/rounds/{consolidated['round'].pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    # The shops are told, after commit (and the live fill's cached copy is dropped).
    told = [c for c in callbacks if getattr(c, "func", None) is not round_fill_changed]
    assert len(told) == 1
    assert SupplierOrder.objects.get().status == "cancelled"
    assert consolidated["round"].orders.count() == 3
    assert receive(api, coordinator, consolidated).status_code == 409


def test_a_received_round_cannot_be_cancelled(api, coordinator, consolidated):
    receive(api, coordinator, consolidated)
    response = api.as_user(coordinator).post(f"/api/rounds/{consolidated['round'].pk}/cancel/")
    assert response.status_code == 409
    assert Round.objects.get(pk=consolidated["round"].pk).status == "invoiced"


def test_pooling_savings_on_the_invoice(api, coordinator, example):
    make_order(example["round"], example["shops"][101], (example["p1"], 60, 0))
    close(example["round"])
    example["supplier_order"] = round_consolidate(round_id=example["round"].pk)
    body = receive(api, coordinator, example).json()
    # 60 units at 1.1000 instead of 1.2000
    assert body["invoices"][0]["savings"] == "6.00"


def test_shopkeepers_see_their_allocations_only_and_cannot_receive(api, consolidated):
    client = api.as_user(consolidated["keepers"][102])
    body = client.get(f"/api/rounds/{consolidated['round'].pk}/consolidation/").json()
    assert {row["shop"] for row in body["allocations"]} == {102}
    assert body["total_excl_vat"] == "49.80"
    response = client.post(
        f"/api/supplier-orders/{consolidated['supplier_order'].pk}/receipt/",
        {"lines": []},
        format="json",
    )
    assert response.status_code == 403
    assert not Invoice.objects.exists()


def test_the_invoice_list_is_scoped_and_counted(
    api, coordinator, consolidated, django_assert_num_queries
):
    receive(api, coordinator, consolidated)
    client = api.as_user(consolidated["keepers"][101])
    with django_assert_num_queries(5):  # token, count, page, lines, vat
        body = client.get("/api/invoices/").json()
    assert [inv["shop"] for inv in body["results"]] == [101]
    other = Invoice.objects.get(shop_id=102)
    assert client.get(f"/api/invoices/{other.pk}/").status_code == 404


def test_receipt_query_count_does_not_grow_with_shops(db):
    CooperativeFactory()  # the cooperative and its books exist, as in every installation

    def queries(shop_count):
        supplier = SupplierFactory()
        products = [
            ProductFactory(supplier=supplier, case_size=1, vat_rate=rate)
            for rate in (Decimal("5.50"), Decimal("20.00"))
        ]
        round_ = RoundFactory(supplier=supplier)
        for _ in range(shop_count):
            make_order(round_, ShopFactory(), *[(p, 2, 0) for p in products])
        close(round_)
        supplier_order = round_consolidate(round_id=round_.pk)
        with CaptureQueriesContext(connection) as captured:
            supplier_order_receive(
                supplier_order_id=supplier_order.pk, received={products[0].pk: shop_count}
            )
        return len(captured)

    assert queries(3) == queries(25)


def test_shipping_split_sums_to_the_supplier_shipping(api, coordinator, coop):
    supplier = SupplierFactory(shipping_fee=Decimal("19.99"), free_shipping_threshold=None)
    product = ProductFactory(supplier=supplier, case_size=1, unit_price=Decimal("1.3333"))
    round_ = RoundFactory(supplier=supplier)
    for n in range(7):
        make_order(
            round_,
            ShopFactory(),
            (product, n + 1, 0),
            created_at=timezone.now() - dt.timedelta(minutes=10 - n),
        )
    close(round_)
    supplier_order = round_consolidate(round_id=round_.pk)
    invoices = supplier_order_receive(supplier_order_id=supplier_order.pk, received={})
    assert sum(inv.shipping for inv in invoices) == Decimal("19.99")


def test_a_delivery_gives_lots_and_expiry_dates_to_each_shops_stock(api, coordinator, consolidated):
    from inventory.models import StockBalance, StockLot

    expiry = timezone.localdate() + dt.timedelta(days=12)
    response = receive(
        api,
        coordinator,
        consolidated,
        [{"product": consolidated["p1"].pk, "lot": "L2611", "expires_on": str(expiry)}],
    )
    assert response.status_code == 201
    lots = {
        (lot.shop_id, lot.code, lot.expires_on, lot.remaining)
        for lot in StockLot.objects.filter(product=consolidated["p1"])
    }
    assert lots == {
        (101, "L2611", expiry, 8),
        (102, "L2611", expiry, 10),
        (103, "L2611", expiry, 6),
    }
    stock = StockBalance.objects.get(shop_id=101, product=consolidated["p1"])
    assert (stock.quantity, stock.average_cost, stock.value) == (
        8,
        Decimal("1.82625"),  # at full cost: 9.60 of goods + 5.01 of shipping and fee
        Decimal("14.61"),
    )


def test_an_expiry_date_before_the_delivery_is_400(api, coordinator, consolidated):
    response = receive(
        api,
        coordinator,
        consolidated,
        [{"product": consolidated["p1"].pk, "lot": "OLD", "expires_on": "2020-01-01"}],
    )
    assert response.status_code == 400
    assert "précède" in response.json()["lines"][0]
    assert not Invoice.objects.exists()
