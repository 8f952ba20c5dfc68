"""Suppliers' invoices as files, in the three formats the tests write
(tests/factories/supplier_einvoices.py: CII, UBL 2.1, Factur-X made with the factur-x
package): one matching exactly, one at a lower unit price, one with a missing line, one
with a higher shipping; received through the service, the API and the page; the
purchase posted from the invoice to the cent; bad files refused with nothing written
(docs/supplier-invoices.md)."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounting.models import Entry, EntryLine
from mache.errors import InvalidInput
from purchasing.models import SupplierInvoice, SupplierInvoiceLine, SupplierInvoiceVat
from purchasing.services.supplier_invoices import (
    supplier_invoice_approve,
    supplier_invoice_receive,
)
from shops.models import User
from tests.factories import UserFactory
from tests.factories.supplier_einvoices import (
    cii_xml,
    facturx_pdf,
    spec_for_supplier_order,
    ubl_xml,
)
from tests.helpers import page_text

from .supplier_invoice_helpers import two_product_round

pytestmark = pytest.mark.django_db

D = Decimal
WRITERS = {"cii": cii_xml, "ubl": ubl_xml, "facturx": facturx_pdf}
NAMES = {"cii": "facture.xml", "ubl": "facture-ubl.xml", "facturx": "facture.pdf"}


@pytest.fixture
def world(db):
    supplier_order, shops, products, invoices = two_product_round()
    return {
        "supplier_order": supplier_order,
        "shops": shops,
        "products": products,
        "invoices": invoices,
        "coordinator": UserFactory(role=User.Role.COORDINATOR),
    }


def receive(fmt, spec, **kwargs):
    return supplier_invoice_receive(
        data=WRITERS[fmt](spec), filename=NAMES[fmt], source="upload", **kwargs
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


SCENARIOS = {
    "exact": ({}, []),
    "lower_price": (
        {"unit_prices": {"GAL": "2.40"}},
        [
            ("galettes", "unit_price", "2.5", "2.4"),
            ("galettes", "amount", "45.00", "43.20"),
        ],
    ),
    "missing_line": ({"without": ("CID",)}, [("cidre", "missing", "12.00", "0.00")]),
    "higher_shipping": ({"shipping": "35.00"}, [(None, "shipping", "25.00", "35.00")]),
}


@pytest.mark.parametrize("fmt", list(WRITERS))
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_four_scenarios_in_the_three_formats(world, fmt, scenario):
    changes, expected = SCENARIOS[scenario]
    spec = spec_for_supplier_order(world["supplier_order"], number=f"F-{scenario}", **changes)
    invoice = receive(fmt, spec)
    assert invoice.format == fmt
    assert invoice.supplier_order == world["supplier_order"]
    products = {product.pk: name for name, product in world["products"].items()}
    assert [
        (products.get(d["product"]), d["field"], d["expected"], d["invoiced"])
        for d in invoice.differences
    ] == expected
    assert invoice.status == ("matched" if not expected else "discrepancies")
    assert {line.product_id for line in invoice.lines.all()} <= set(products)


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_the_exact_invoice_approved_posts_the_purchase_to_the_cent(world, fmt):
    spec = spec_for_supplier_order(world["supplier_order"], number="F-100")
    invoice = receive(fmt, spec)
    assert (invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat) == (
        D("82.00"),
        D("7.01"),
        D("89.01"),
    )
    supplier_invoice_approve(supplier_invoice_id=invoice.pk, user=world["coordinator"])
    entry = Entry.objects.get(source=f"supplier-invoice:{invoice.pk}")
    assert entry.piece_ref == "F-100"
    low, high = D("5.50"), D("20.00")
    assert lines_of(entry) == sorted(
        [
            ("607000", D("45.00"), D("0.00"), low),
            ("607000", D("12.00"), D("0.00"), high),
            ("624100", D("19.74"), D("0.00"), low),
            ("624100", D("5.26"), D("0.00"), high),
            ("445660", D("3.56"), D("0.00"), low),
            ("445660", D("3.45"), D("0.00"), high),
            ("401000", D("0.00"), D("89.01"), None),
        ]
    )
    # The receipt's entry (the same purchase, as ordered) is reversed: once in the books.
    receipt = Entry.objects.get(source=f"supplier-order:{world['supplier_order'].pk}")
    assert lines_of(Entry.objects.get(reversal_of=receipt)) == sorted(
        (account, credit, debit, rate) for account, debit, credit, rate in lines_of(receipt)
    )


def test_upload_through_the_api(api, world):
    client = api.as_user(world["coordinator"])
    spec = spec_for_supplier_order(world["supplier_order"], number="F-API")
    upload = SimpleUploadedFile("f.pdf", facturx_pdf(spec), content_type="application/pdf")
    response = client.post("/api/supplier-invoices/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"] == "F-API"
    assert body["status"] == "matched"
    assert body["total_incl_vat"] == "89.01"
    invoice = SupplierInvoice.objects.get(pk=body["id"])
    assert invoice.source == "api"
    assert bytes(invoice.original)[:4] == b"%PDF"
    again = client.post(
        "/api/supplier-invoices/",
        {"file": SimpleUploadedFile("f.xml", cii_xml(spec))},
        format="multipart",
    )
    assert again.status_code == 409
    assert again.json()["code"] == "supplier_invoice_exists"


def test_upload_through_the_page(client, world):
    client.force_login(world["coordinator"])
    spec = spec_for_supplier_order(
        world["supplier_order"], number="F-PAGE", unit_prices={"GAL": "2.40"}
    )
    response = client.post(
        reverse("coord-supplier-invoices"),
        {"file": SimpleUploadedFile("f.xml", ubl_xml(spec))},
        follow=True,
    )
    text = page_text(response)
    assert "Facture F-PAGE" in text and "écarts à examiner" in text
    refused = client.post(
        reverse("coord-supplier-invoices"),
        {"file": SimpleUploadedFile("f.xml", b"<html/>")},
    )
    assert refused.status_code == 400
    assert "ni une facture CII ni une facture UBL" in page_text(refused)


@pytest.mark.parametrize(
    "case",
    ["not_einvoice", "pdf_without_xml", "totals", "unknown_supplier", "order_invoiced"],
)
def test_bad_input_is_refused_with_the_reason_and_nothing_written(api, world, case):
    from tests.factories.supplier_einvoices import Party

    supplier_order = world["supplier_order"]
    spec = spec_for_supplier_order(supplier_order, number="F-BAD")
    if case == "order_invoiced":
        receive("cii", spec_for_supplier_order(supplier_order, number="F-FIRST"))
    data = {
        "not_einvoice": b"<?xml version='1.0'?><facture/>",
        "pdf_without_xml": facturx_pdf(spec)[:0] + _plain_pdf(),
        "totals": cii_xml(spec.replace(overrides={"BT-112": D("99.99")})),
        "unknown_supplier": ubl_xml(
            spec.replace(seller=Party(name="Inconnu SA", siret="73282932000074"))
        ),
        "order_invoiced": cii_xml(spec),
    }[case]
    before = counts()
    client = api.as_user(world["coordinator"])
    response = client.post(
        "/api/supplier-invoices/",
        {"file": SimpleUploadedFile("f", data)},
        format="multipart",
    )
    assert counts() == before
    if case == "order_invoiced":
        assert response.status_code == 409
        assert response.json()["code"] == "supplier_order_invoiced"
        assert "déjà entièrement facturée (facture F-FIRST)" in response.json()["detail"]
        return
    assert response.status_code == 400
    (message,) = response.json()["file"]
    assert {
        "not_einvoice": "n'est ni une facture CII ni une facture UBL",
        "pdf_without_xml": "ne contient pas de facture électronique",
        "totals": "ne s'additionnent pas",
        "unknown_supplier": "Fournisseur inconnu : Inconnu SA",
    }[case] in message


def _plain_pdf() -> bytes:
    from io import BytesIO

    from reportlab.pdfgen import canvas

    out = BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, "Facture sans XML")
    page.save()
    return out.getvalue()


def test_receiving_through_the_service_refuses_an_unknown_supplier(world):
    from tests.factories.supplier_einvoices import Party

    spec = spec_for_supplier_order(world["supplier_order"], number="F-X").replace(
        seller=Party(name="Autre", siret="73282932000074")
    )
    with pytest.raises(InvalidInput):
        receive("cii", spec)


# --- Approval of an invoice that differs: the shops get the difference back, or pay it ---


def coop_sums(*accounts):
    """The cooperative's books: debit minus credit over `accounts`."""
    rows = EntryLine.objects.filter(ledger__kind="cooperative", account__number__in=accounts)
    return sum((row.debit - row.credit for row in rows), D("0"))


def coop_margin():
    """What the cooperative keeps: its sales (707, 708, 706) less its purchases (607, 624)."""
    return -coop_sums("707000", "708000", "706000") - coop_sums("607000", "624100")


def documents_of(shop):
    notes = list(shop.credit_notes.prefetch_related("lines", "vat_lines"))
    supplements = list(
        shop.invoices.filter(supplements__isnull=False).prefetch_related("lines", "vat_lines")
    )
    return notes, supplements


def entry_lines(source, ledger_kind):
    entry = Entry.objects.get(source=source, ledger__kind=ledger_kind)
    return {
        (line.account.number, line.vat_rate): (line.debit, line.credit)
        for line in EntryLine.objects.filter(entry=entry).select_related("account")
    }


# Each scenario: the changes to the supplier's invoice, then per shop what comes back
# (negative: a credit note, excl. VAT per (kind, rate)) or is re-invoiced (positive).
# Galettes 2.50 -> 2.40 on 18 units: 1.80 less, split by the shops' galettes, 15.00 and
# 30.00: 0.60 and 1.20. The cider not billed: 12.00, the Épicerie's alone. Shipping 35.00
# instead of 25.00: 10.00 more, split by the shops' shipping (11.84 and 13.16, itself the
# 25.00 split by their goods 27.00 and 30.00): 4.74 and 5.26, each over its shipping
# rates as its invoice has them (the Épicerie's 11.84 is 6.58 at 5.5 % and 5.26 at 20 %,
# by its goods 15.00 and 12.00, so its 4.74 is 2.63 and 2.11; the Bar's at 5.5 % alone).
DIFFERENCES = {
    "lower_price": (
        {"unit_prices": {"GAL": "2.40"}},
        {
            "epicerie": {("goods", D("5.50")): D("-0.60")},
            "bar": {("goods", D("5.50")): D("-1.20")},
        },
    ),
    "missing_line": (
        {"without": ("CID",)},
        {"epicerie": {("goods", D("20.00")): D("-12.00")}, "bar": {}},
    ),
    "higher_shipping": (
        {"shipping": "35.00"},
        {
            "epicerie": {("shipping", D("5.50")): D("2.63"), ("shipping", D("20.00")): D("2.11")},
            "bar": {("shipping", D("5.50")): D("5.26")},
        },
    ),
}


@pytest.mark.parametrize("fmt", list(WRITERS))
@pytest.mark.parametrize("scenario", list(DIFFERENCES))
def test_approving_a_difference_settles_it_with_the_shops_to_the_cent(world, fmt, scenario):
    changes, expected = DIFFERENCES[scenario]
    margin = coop_margin()
    spec = spec_for_supplier_order(world["supplier_order"], number=f"F-{scenario}", **changes)
    invoice = receive(fmt, spec)
    assert invoice.status == "discrepancies"
    supplier_invoice_approve(supplier_invoice_id=invoice.pk, user=world["coordinator"])
    invoice.refresh_from_db()
    assert invoice.status == "approved"

    # The purchase stands once, as the supplier billed it: 401000 holds the invoice's total.
    supplier_aux = f"F{world['supplier_order'].round.supplier_id:06d}"
    owed = EntryLine.objects.filter(
        ledger__kind="cooperative", account__number="401000", auxiliary__code=supplier_aux
    )
    assert sum((line.credit - line.debit for line in owed), D("0")) == invoice.total_incl_vat
    assert coop_sums("607000", "624100") == invoice.total_excl_vat
    assert coop_sums("445660") == invoice.total_vat

    for name, shop in world["shops"].items():
        notes, supplements = documents_of(shop)
        wanted = expected[name]
        got = {}
        for document, sign in [*((n, -1) for n in notes), *((s, 1) for s in supplements)]:
            for line in document.lines.all():
                got[(line.kind, line.vat_rate)] = sign * line.amount
            # Each document's VAT per rate is its base at the rate, half-up, and its
            # total adds up; the books hold it in both ledgers, mirrored.
            for vat in document.vat_lines.all():
                assert vat.amount == (vat.base * vat.rate / 100).quantize(
                    D("0.01"), "ROUND_HALF_UP"
                )
            assert document.total_incl_vat == document.total_excl_vat + document.total_vat
            kind = "credit-note" if sign < 0 else "invoice"
            coop = entry_lines(f"{kind}:{document.number}", "cooperative")
            books = entry_lines(f"{kind}:{document.number}", "shop")
            customer = coop[("411000", None)]
            assert customer == (
                (0, document.total_incl_vat) if sign < 0 else (document.total_incl_vat, 0)
            )
            assert books[("401000", None)] == (customer[1], customer[0])
        assert got == wanted, name
        assert len(notes) <= 1 and len(supplements) <= 1

    # The cooperative keeps what it kept: its fee; the difference went to the shops.
    assert coop_margin() == margin
