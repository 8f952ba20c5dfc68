"""Matching a supplier's invoice (docs/supplier-invoices.md, "Matching"): the VAT per
rate against what the invoice bills at the order's rates, and difference strings that do
not depend on how a value was written or stored."""

import dataclasses
from decimal import Decimal

import pytest

from accounting.models import Entry
from purchasing.services.supplier_invoices import (
    SupplierInvoiceInconsistent,
    supplier_invoice_approve,
    supplier_invoice_receive,
    supplier_invoice_record,
    supplier_invoices_rematch,
)
from purchasing.supplier_invoices import matching
from purchasing.supplier_invoices.document import ReceivedVat
from tests.factories.supplier_einvoices import Shipping, spec_for_supplier_order, ubl_xml

from .supplier_invoice_helpers import received_for, two_product_round

D = Decimal

GALETTES = matching.ExpectedLine(1, "GAL", "Galettes", 18, D("2.5000"), D("5.50"))
CIDRE = matching.ExpectedLine(2, "CID", "Cidre", 12, D("1.0000"), D("20.00"))


def billed(product, quantity, price, rate):
    quantity, price = D(quantity), D(price)
    return matching.BilledLine(product, "x", quantity, price, (quantity * price), D(rate))


def test_difference_strings_do_not_depend_on_how_values_are_written():
    found = matching.differences(
        expected=[GALETTES, CIDRE],
        billed=[billed(1, "12.0000", "2.500000", "5.50"), billed(3, "2.0000", "100", "5.5")],
        expected_shipping=D("25.00"),
        invoiced_shipping=D("0"),
    )
    assert [d.as_json() for d in found] == [
        {"product": 1, "field": "units", "expected": "18", "invoiced": "12"},
        {"product": 1, "field": "amount", "expected": "45.00", "invoiced": "30.00"},
        {"product": 2, "field": "missing", "expected": "12.00", "invoiced": "0.00"},
        {"product": 3, "field": "unexpected", "expected": "0", "invoiced": "x : 2 × 100 = 200.00"},
        {"product": None, "field": "shipping", "expected": "25.00", "invoiced": "0.00"},
    ]


def test_the_vat_per_rate_is_matched_at_the_orders_rates():
    lines = [billed(1, "18", "2.50", "5.50"), billed(2, "12", "1.00", "20.00")]
    # 25.00 of shipping, split 19.74 / 5.26 as the receipt split it.
    kwargs = {"expected_shipping": D("25.00"), "invoiced_shipping": D("25.00")}
    right = {D("5.50"): D("3.56"), D("20.00"): D("3.45")}
    assert (
        matching.vat_by_rate(expected=[GALETTES, CIDRE], billed=lines, invoiced_shipping=D(25))
        == right
    )
    assert (
        matching.differences(expected=[GALETTES, CIDRE], billed=lines, invoiced_vat=right, **kwargs)
        == []
    )
    # The whole shipping at 20 %.
    wrong = {D("5.50"): D("2.48"), D("20.00"): D("7.40")}
    assert [
        d.as_json()
        for d in matching.differences(
            expected=[GALETTES, CIDRE], billed=lines, invoiced_vat=wrong, **kwargs
        )
    ] == [
        {"product": None, "field": "vat", "expected": "5.50 % : 3.56", "invoiced": "5.50 % : 2.48"},
        {
            "product": None,
            "field": "vat",
            "expected": "20.00 % : 3.45",
            "invoiced": "20.00 % : 7.40",
        },
    ]


@pytest.fixture
def supplier_order(db):
    """Galettes 18 × 2.50 at 5.5 %, cider 12 × 1.00 at 20 %, 25.00 of shipping."""
    return two_product_round()[0]


def test_shipping_billed_at_another_rate_is_a_difference(supplier_order):
    spec = spec_for_supplier_order(supplier_order, number="F-VAT")
    spec = spec.replace(shipping=(Shipping(D("25.00"), D("20.00")),))
    invoice = supplier_invoice_receive(data=ubl_xml(spec), filename="f.xml")
    assert invoice.status == "discrepancies"
    assert invoice.differences == [
        {"product": None, "field": "vat", "expected": "5.50 % : 3.56", "invoiced": "5.50 % : 2.48"},
        {
            "product": None,
            "field": "vat",
            "expected": "20.00 % : 3.45",
            "invoiced": "20.00 % : 7.40",
        },
    ]


def test_the_differences_read_the_same_once_stored(supplier_order):
    spec = spec_for_supplier_order(supplier_order, number="F-UNITS", units={"GAL": 12})
    invoice = supplier_invoice_receive(data=ubl_xml(spec), filename="f.xml")
    galettes = invoice.lines.get(seller_item_id="GAL").product_id
    as_received = [
        {"product": galettes, "field": "units", "expected": "18", "invoiced": "12"},
        {"product": galettes, "field": "amount", "expected": "45.00", "invoiced": "30.00"},
    ]
    assert invoice.differences == as_received
    supplier_invoices_rematch(supplier_order_id=supplier_order.pk)  # from the stored rows
    invoice.refresh_from_db()
    assert invoice.differences == as_received


def test_a_breakdown_giving_negative_shipping_at_a_rate_is_not_posted(supplier_order):
    """An invoice recorded without the reader (whose checks refuse it): 30.00 of base
    moved from 5.5 % to 20 % leaves -5.00 of shipping at 5.5 %: approval refuses to post
    it."""
    received = received_for(supplier_order, number="F-NEG")  # shipping at 5.5 %
    low, high = received.vat
    vat = (
        ReceivedVat("S", low.rate, low.base - 30, D("2.20")),
        ReceivedVat("S", high.rate, high.base + 30, D("8.40")),
    )
    received = dataclasses.replace(
        received,
        vat=vat,
        total_vat=D("10.60"),
        total_incl_vat=received.total_excl_vat + D("10.60"),
    )
    invoice = supplier_invoice_record(
        received=received, data=b"<x/>", filename="f.xml", source="api"
    )
    entries = Entry.objects.count()
    with pytest.raises(SupplierInvoiceInconsistent):
        supplier_invoice_approve(supplier_invoice_id=invoice.pk)
    assert Entry.objects.count() == entries
