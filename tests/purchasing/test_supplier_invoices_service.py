"""Receiving, matching, approving and rejecting suppliers' invoices, through the services
with invoices as read (docs/supplier-invoices.md): the supplier recognised, the order
found, the differences, the 409s with nothing written, the purchase posted from the
invoice to the cent, the receipt's entry reversed, the rejection e-mailed. The files in
the three formats and the differences settled with the shops:
tests/purchasing/test_supplier_invoices_formats.py."""

from dataclasses import replace
from decimal import Decimal

import pytest

from accounting.models import Entry, EntryLine
from mache.errors import InvalidInput
from mache.identifiers import vat_number_for
from mache.models import OutboxMessage
from mache.periods import paris_today
from purchasing.models import SupplierInvoice, SupplierInvoiceLine, SupplierInvoiceVat
from purchasing.services.receipt import supplier_order_receive
from purchasing.services.supplier_invoices import (
    SupplierInvoiceDecided,
    SupplierInvoiceExists,
    SupplierInvoiceUnmatched,
    SupplierOrderInvoiced,
    SupplierOrderNotReceived,
    supplier_invoice_approve,
    supplier_invoice_record,
    supplier_invoice_reject,
)
from purchasing.supplier_invoices import matching
from purchasing.supplier_invoices.document import ReceivedParty
from shops.models import User
from tests.factories import ShopFactory, SupplierFactory, UserFactory
from tests.factories.purchasing import received_round

from .supplier_invoice_helpers import consolidated_round, received_for

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def world(db):
    """Two shops received 6 and 12 units at 2.50 (5.5 %): 45.00 of goods, 25.00 of
    shipping."""
    first, second = ShopFactory(name="Épicerie de Romazy"), ShopFactory(name="Bar de Vieux-Vy")
    invoices = received_round({first: 6, second: 12})
    supplier_order = invoices[first.pk].supplier_order
    return {
        "supplier_order": supplier_order,
        "supplier": supplier_order.round.supplier,
        "product": supplier_order.lines.get().product,
        "coordinator": UserFactory(role=User.Role.COORDINATOR),
    }


def record(received, **kwargs):
    return supplier_invoice_record(
        received=received, data=b"<invoice/>", filename="f.xml", source="upload", **kwargs
    )


def counts():
    return (
        SupplierInvoice.objects.count(),
        SupplierInvoiceLine.objects.count(),
        SupplierInvoiceVat.objects.count(),
        Entry.objects.count(),
    )


def lines_of(entry):
    return sorted(
        (line.account.number, line.debit, line.credit, line.vat_rate)
        for line in EntryLine.objects.filter(entry=entry).select_related("account")
    )


# --- Receiving ------------------------------------------------------------------------


def test_an_exact_invoice_is_recorded_matched(world):
    invoice = record(received_for(world["supplier_order"]))
    assert invoice.status == SupplierInvoice.Status.MATCHED
    assert invoice.differences == []
    assert invoice.supplier == world["supplier"]
    assert invoice.supplier_order == world["supplier_order"]
    assert (invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat) == (
        D("70.00"),
        D("3.85"),
        D("73.85"),
    )
    assert invoice.shipping == D("25.00")
    (line,) = invoice.lines.all()
    assert line.product == world["product"]
    assert bytes(invoice.original) == b"<invoice/>"
    assert len(invoice.sha256) == 64


@pytest.mark.parametrize(
    "seller",
    [
        lambda s: ReceivedParty("X", s.siret, "", ""),  # SIRET
        lambda s: ReceivedParty("X", "", s.siret[:9], ""),  # SIREN
        lambda s: ReceivedParty("X", "", "", vat_number_for(s.siret)),  # VAT number
    ],
    ids=["siret", "siren", "vat"],
)
def test_the_supplier_is_recognised_by_siret_siren_or_vat_number(world, seller):
    invoice = record(received_for(world["supplier_order"], seller=seller(world["supplier"])))
    assert invoice.supplier == world["supplier"]


@pytest.mark.parametrize("by", ["siren", "vat"])
def test_a_siren_of_several_suppliers_is_400_naming_them(world, by):
    # Two establishments of one company, each a supplier: the SIREN (or the VAT number,
    # the company's) does not tell which one bills.
    supplier = world["supplier"]
    SupplierFactory(name="Autre établissement", siret=supplier.siret[:9] + "99999")
    seller = (
        ReceivedParty("X", "", supplier.siret[:9], "")
        if by == "siren"
        else ReceivedParty("X", "", "", vat_number_for(supplier.siret))
    )
    before = counts()
    with pytest.raises(InvalidInput) as refused:
        record(received_for(world["supplier_order"], seller=seller))
    message = refused.value.errors["file"][0]
    assert "est celui de plusieurs fournisseurs" in message
    assert "Autre établissement" in message and supplier.name in message
    assert "SIRET de l'établissement" in message
    assert counts() == before


def test_a_supplier_by_its_own_vat_number(world):
    supplier = world["supplier"]
    supplier.vat_number = "DE123456789"
    supplier.save()
    seller = ReceivedParty("X", "", "", "DE 123 456 789")
    assert record(received_for(world["supplier_order"], seller=seller)).supplier == supplier


def test_an_unknown_supplier_writes_nothing(world):
    before = counts()
    seller = ReceivedParty("Inconnu SA", "73282932000074", "732829320", "")
    with pytest.raises(InvalidInput) as refused:
        record(received_for(world["supplier_order"], seller=seller))
    assert refused.value.errors["file"][0].startswith("Fournisseur inconnu : Inconnu SA")
    assert counts() == before


def test_the_same_number_twice_is_409_and_writes_nothing(world):
    record(received_for(world["supplier_order"]))
    before = counts()
    with pytest.raises(SupplierInvoiceExists):
        record(received_for(world["supplier_order"], order_reference=""))
    assert counts() == before


def test_an_order_already_invoiced_is_409(world):
    first = record(received_for(world["supplier_order"]))
    before = counts()
    with pytest.raises(SupplierOrderInvoiced) as refused:
        record(received_for(world["supplier_order"], number="FA-2"))
    assert refused.value.detail == (
        f"La commande CF-{world['supplier_order'].pk:06d} est déjà entièrement facturée "
        "(facture FA-2026-001)."
    )
    assert counts() == before
    # Rejected, the order takes another invoice.
    supplier_invoice_reject(supplier_invoice_id=first.pk, reason="Prix faux")
    assert record(received_for(world["supplier_order"], number="FA-2")).status == "matched"


@pytest.mark.parametrize("reference", [None, "123456789", ""])
def test_the_order_is_found_by_reference_else_delivery_date(world, reference):
    if reference is None:
        reference = str(world["supplier_order"].pk)
    invoice = record(received_for(world["supplier_order"], order_reference=reference))
    assert invoice.supplier_order == world["supplier_order"]


def test_no_order_found_is_recorded_with_the_difference(world):
    received = replace(
        received_for(world["supplier_order"], order_reference="CF-999999"), delivery_date=None
    )
    invoice = record(received)
    assert invoice.supplier_order is None
    assert invoice.status == SupplierInvoice.Status.DISCREPANCIES
    assert invoice.differences == [
        {"product": None, "field": "order", "expected": "", "invoiced": "CF-999999"}
    ]
    with pytest.raises(SupplierInvoiceUnmatched):
        supplier_invoice_approve(supplier_invoice_id=invoice.pk)


# --- Matching -------------------------------------------------------------------------


def test_the_differences_are_listed(world):
    product = world["product"].pk
    invoice = record(
        received_for(world["supplier_order"], prices={product: "2.40"}, shipping=D("30.00"))
    )
    assert invoice.status == SupplierInvoice.Status.DISCREPANCIES
    assert invoice.differences == [
        {"product": product, "field": "unit_price", "expected": "2.5", "invoiced": "2.4"},
        {"product": product, "field": "amount", "expected": "45.00", "invoiced": "43.20"},
        {"product": None, "field": "shipping", "expected": "25.00", "invoiced": "30.00"},
    ]


def test_a_cent_is_within_the_tolerance():
    expected = [matching.ExpectedLine(1, "A", "A", 3, D("0.3333"), D("5.50"))]
    billed = [matching.BilledLine(1, "A", D(3), D("0.33"), D("0.99"), D("5.50"))]
    kwargs = {"expected_shipping": D("10.00"), "invoiced_shipping": D("10.01")}
    assert matching.differences(expected=expected, billed=billed, **kwargs) == []
    assert matching.deltas(expected=expected, billed=billed, **kwargs) == {}


def test_missing_and_unexpected_lines():
    expected = [
        matching.ExpectedLine(1, "A", "A", 6, D("2.50"), D("5.50")),
        matching.ExpectedLine(2, "B", "B", 0, D("1.00"), D("20.00")),
    ]
    billed = [matching.BilledLine(2, "B", D(2), D("1.00"), D("2.00"), D("20.00"))]
    kwargs = {"expected_shipping": D("0"), "invoiced_shipping": D("0")}
    assert [
        (d.product, d.field)
        for d in matching.differences(expected=expected, billed=billed, **kwargs)
    ] == [(1, "missing"), (2, "unexpected")]
    assert matching.deltas(expected=expected, billed=billed, **kwargs) == {
        1: D("-15.00"),
        2: D("2.00"),
    }


def test_an_invoice_before_the_receipt_is_matched_again_at_the_receipt(db):
    shop = ShopFactory()
    supplier_order = consolidated_round({shop: 12})
    product = supplier_order.lines.get().product_id
    # The supplier billed the 10 units it delivered.
    invoice = record(received_for(supplier_order, units={product: 10}))
    assert [d["field"] for d in invoice.differences] == ["units", "amount"]
    with pytest.raises(SupplierOrderNotReceived):
        supplier_invoice_approve(supplier_invoice_id=invoice.pk)
    supplier_order_receive(supplier_order_id=supplier_order.pk, received={product: 10})
    invoice.refresh_from_db()
    assert invoice.status == SupplierInvoice.Status.MATCHED
    assert invoice.differences == []


# --- Approval and rejection -----------------------------------------------------------


def test_approval_posts_the_purchase_from_the_invoice(world):
    supplier_order, supplier = world["supplier_order"], world["supplier"]
    invoice = record(received_for(supplier_order))
    receipt_entry = Entry.objects.get(source=f"supplier-order:{supplier_order.pk}")
    approved = supplier_invoice_approve(supplier_invoice_id=invoice.pk, user=world["coordinator"])
    assert approved.status == SupplierInvoice.Status.APPROVED
    assert approved.decided_by == world["coordinator"]
    entry = Entry.objects.get(source=f"supplier-invoice:{invoice.pk}")
    assert approved.entry == entry
    assert (entry.journal.code, entry.piece_ref, entry.date) == (
        "ACH",
        "FA-2026-001",
        paris_today(),
    )
    assert entry.ledger.shop_id is None
    rate = D("5.50")
    assert lines_of(entry) == sorted(
        [
            ("607000", D("45.00"), D("0.00"), rate),
            ("624100", D("25.00"), D("0.00"), rate),
            ("445660", D("3.85"), D("0.00"), rate),
            ("401000", D("0.00"), D("73.85"), None),
        ]
    )
    aux = EntryLine.objects.get(entry=entry, account__number="401000").auxiliary
    assert aux.code == f"F{supplier.pk:06d}"
    # The receipt's purchase as ordered is reversed the same day: it stands once.
    reversal = Entry.objects.get(reversal_of=receipt_entry)
    assert reversal.date == paris_today()
    supplier_total = EntryLine.objects.filter(
        account__number="401000", auxiliary__code=f"F{supplier.pk:06d}"
    ).values_list("credit", "debit")
    assert sum(c - d for c, d in supplier_total) == D("73.85")


def test_approval_twice_is_409_and_posts_once(world):
    invoice = record(received_for(world["supplier_order"]))
    supplier_invoice_approve(supplier_invoice_id=invoice.pk)
    before = counts()
    with pytest.raises(SupplierInvoiceDecided):
        supplier_invoice_approve(supplier_invoice_id=invoice.pk)
    with pytest.raises(SupplierInvoiceDecided):
        supplier_invoice_reject(supplier_invoice_id=invoice.pk, reason="Trop tard")
    assert counts() == before


def test_rejection_records_the_reason_and_emails_the_supplier(world):
    invoice = record(received_for(world["supplier_order"], shipping=D("40.00")))
    with pytest.raises(InvalidInput):
        supplier_invoice_reject(supplier_invoice_id=invoice.pk, reason="  ")
    before = Entry.objects.count()
    rejected = supplier_invoice_reject(
        supplier_invoice_id=invoice.pk, reason="Port non prévu", user=world["coordinator"]
    )
    assert (rejected.status, rejected.reason) == ("rejected", "Port non prévu")
    assert Entry.objects.count() == before
    queued = [
        message.args
        for message in OutboxMessage.objects.filter(task_name="worker.send_notification")
    ]
    assert ["supplier_invoice_rejected", invoice.pk] in [list(args) for args in queued]


def test_the_rejection_email(world, mailoutbox):
    from purchasing.services.notifications import supplier_invoice_rejected

    invoice = record(received_for(world["supplier_order"], shipping=D("40.00")))
    supplier_invoice_reject(supplier_invoice_id=invoice.pk, reason="Port non prévu")
    assert supplier_invoice_rejected(invoice.pk) == 1
    # The task run again (a redelivery) sends nothing more.
    assert supplier_invoice_rejected(invoice.pk) == 0
    (mail,) = mailoutbox
    assert mail.to == [world["supplier"].email]
    assert "FA-2026-001" in mail.subject
    assert "Motif : Port non prévu" in mail.body
