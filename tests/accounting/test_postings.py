"""Automatic postings: each source document exactly once, lines as docs/postings.md says."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from accounting.models import Entry, Ledger
from accounting.postings import stock_variation_post
from inventory.services import MovementIn, movements_record
from mache.periods import PARIS, current_month, previous_month
from purchasing.models import Invoice, SupplierOrder
from purchasing.services.consolidation import round_consolidate
from purchasing.services.receipt import receipt_post, supplier_order_receive
from tests.factories import ProductFactory, ShopFactory
from tests.purchasing.conftest import example  # noqa: F401  (the worked example fixture)
from tests.purchasing.test_consolidation import close, place_example


def lines_of(entry):
    return [
        (
            ln.account.number,
            ln.debit,
            ln.credit,
            ln.vat_rate,
            ln.auxiliary.code if ln.auxiliary else None,
        )
        for ln in entry.lines.select_related("account", "auxiliary").order_by("id")
    ]


@pytest.fixture
def received(example):  # noqa: F811
    place_example(example)
    close(example["round"])
    supplier_order = round_consolidate(round_id=example["round"].pk)
    example["invoices"] = supplier_order_receive(supplier_order_id=supplier_order.pk, received={})
    example["supplier_order"] = supplier_order
    return example


def test_the_invoice_of_shop_101_in_its_own_books(received):
    invoice = Invoice.objects.get(shop_id=101)
    entry = Entry.objects.get(ledger__shop_id=101, source=f"invoice:{invoice.number}")
    assert entry.journal.code == "ACH" and entry.piece_ref == invoice.number
    assert lines_of(entry) == [
        ("607000", D("9.60"), D("0"), D("5.50"), None),
        ("607000", D("10.50"), D("0"), D("20.00"), None),
        ("624100", D("4.82"), D("0"), D("5.50"), None),
        ("624100", D("5.27"), D("0"), D("20.00"), None),
        ("622800", D("0.40"), D("0"), D("20.00"), None),
        ("445660", D("0.79"), D("0"), D("5.50"), None),
        ("445660", D("3.23"), D("0"), D("20.00"), None),
        ("401000", D("0"), D("34.61"), None, "COOP"),
    ]


def test_the_same_invoice_in_the_cooperatives_books(received):
    invoice = Invoice.objects.get(shop_id=101)
    coop = Ledger.objects.get(kind="cooperative")
    entry = Entry.objects.get(ledger=coop, source=f"invoice:{invoice.number}")
    assert entry.journal.code == "VTE"
    assert lines_of(entry) == [
        ("411000", D("34.61"), D("0"), None, "C000101"),
        ("707000", D("0"), D("9.60"), D("5.50"), None),
        ("707000", D("0"), D("10.50"), D("20.00"), None),
        ("708000", D("0"), D("4.82"), D("5.50"), None),
        ("708000", D("0"), D("5.27"), D("20.00"), None),
        ("706000", D("0"), D("0.40"), D("20.00"), None),
        ("445710", D("0"), D("0.79"), D("5.50"), None),
        ("445710", D("0"), D("3.23"), D("20.00"), None),
    ]


def test_the_supplier_order_received_in_the_cooperatives_books(received):
    entry = Entry.objects.get(source=f"supplier-order:{received['supplier_order'].pk}")
    # goods 28.80 (5.5 %) and 21.00 (20 %); shipping 25.00 split 14.46 / 10.54 by goods;
    # VAT round(43.26 x 5.5 %) = 2.38 and round(31.54 x 20 %) = 6.31
    assert lines_of(entry) == [
        ("607000", D("28.80"), D("0"), D("5.50"), None),
        ("607000", D("21.00"), D("0"), D("20.00"), None),
        ("624100", D("14.46"), D("0"), D("5.50"), None),
        ("624100", D("10.54"), D("0"), D("20.00"), None),
        ("445660", D("2.38"), D("0"), D("5.50"), None),
        ("445660", D("6.31"), D("0"), D("20.00"), None),
        ("401000", D("0"), D("83.49"), None, f"F{received['supplier'].pk:06d}"),
    ]


def test_posting_a_receipt_again_posts_nothing_new(received):
    before = Entry.objects.count()
    assert before == 1 + 2 * 3  # the supplier order, then each invoice twice
    supplier_order = SupplierOrder.objects.get(pk=received["supplier_order"].pk)
    receipt_post(
        supplier_order=supplier_order,
        lines=list(supplier_order.lines.select_related("product")),
        invoices=received["invoices"],
        date=timezone.localdate(),
    )
    assert Entry.objects.count() == before


def test_every_posted_entry_balances(received):
    for entry in Entry.objects.prefetch_related("lines"):
        lines = list(entry.lines.all())
        assert sum(ln.debit for ln in lines) == sum(ln.credit for ln in lines)


def at(day: dt.date, hour=12):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=PARIS)


def test_the_month_end_stock_variation_is_posted_once(db):
    shop, product = ShopFactory(), ProductFactory()
    month = previous_month(current_month())
    before = previous_month(month)
    movements_record(
        movements=[
            MovementIn(
                shop_id=shop.pk,
                product_id=product.pk,
                kind="receipt",
                quantity=10,
                unit_cost=D("2.0000"),
                occurred_at=at(before.replace(day=10)),
            ),
            MovementIn(
                shop_id=shop.pk,
                product_id=product.pk,
                kind="sale",
                quantity=-4,
                occurred_at=at(month.replace(day=5)),
            ),
        ]
    )
    entry = stock_variation_post(shop=shop, month=month)
    # 20.00 at the opening, 12.00 at the closing: the stock fell by 8.00
    assert lines_of(entry) == [
        ("603700", D("8.00"), D("0"), None, None),
        ("370000", D("0"), D("8.00"), None, None),
    ]
    assert entry.journal.code == "OD" and entry.date.month == month.month
    assert stock_variation_post(shop=shop, month=month).pk == entry.pk
    assert Entry.objects.filter(source=f"stock:{month:%Y-%m}").count() == 1


def test_a_rising_stock_is_credited_to_the_variation(db):
    shop, product = ShopFactory(), ProductFactory()
    month = previous_month(current_month())
    movements_record(
        movements=[
            MovementIn(
                shop_id=shop.pk,
                product_id=product.pk,
                kind="receipt",
                quantity=3,
                unit_cost=D("1.5000"),
                occurred_at=at(month.replace(day=2)),
            )
        ]
    )
    entry = stock_variation_post(shop=shop, month=month)
    assert lines_of(entry) == [
        ("370000", D("4.50"), D("0"), None, None),
        ("603700", D("0"), D("4.50"), None, None),
    ]


def test_the_current_month_is_not_over(db):
    with pytest.raises(ValueError):
        stock_variation_post(shop=ShopFactory(), month=current_month())
