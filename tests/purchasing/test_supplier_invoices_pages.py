"""The coordinator's pages of suppliers' invoices (docs/supplier-invoices.md): the list
and its filter, an invoice with its differences in French, reject (reason required) and
approve from the page, other roles refused. Uploads of real files through the page:
test_supplier_invoices_formats.py."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounting.models import Entry
from purchasing.models import SupplierInvoice
from purchasing.services.supplier_invoices import supplier_invoice_record
from shops.models import User
from tests.factories import ShopFactory, UserFactory
from tests.factories.purchasing import received_round
from tests.helpers import page_text

from .supplier_invoice_helpers import received_for

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def world(db):
    shop = ShopFactory(name="Épicerie de Romazy")
    supplier_order = received_round({shop: 12})[shop.pk].supplier_order
    product = supplier_order.lines.get().product
    invoice = supplier_invoice_record(
        received=received_for(supplier_order, prices={product.pk: "2.40"}),
        data=b"<x/>",
        filename="f.xml",
        source="upload",
    )
    return {
        "shop": shop,
        "product": product,
        "invoice": invoice,
        "coordinator": UserFactory(role=User.Role.COORDINATOR),
        "keeper": UserFactory(role=User.Role.SHOPKEEPER, shops=[shop]),
    }


def test_the_list_and_an_invoice_with_its_differences(client, world):
    client.force_login(world["coordinator"])
    home = page_text(client.get(reverse("coord-home")))
    assert "Factures fournisseurs" in home
    listed = client.get(reverse("coord-supplier-invoices"))
    assert listed.status_code == 200
    assert "FA-2026-001" in page_text(listed)
    assert "FA-2026-001" not in page_text(
        client.get(reverse("coord-supplier-invoices"), {"status": "approved"})
    )
    detail = page_text(client.get(reverse("coord-supplier-invoice", args=[world["invoice"].pk])))
    assert world["product"].name in detail
    assert "prix unitaire HT" in detail and "montant HT" in detail
    assert "Écarts à examiner" in detail


def test_reject_from_the_page(client, world):
    client.force_login(world["coordinator"])
    url = reverse("coord-supplier-invoice-reject", args=[world["invoice"].pk])
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400
    assert "Indiquez le motif du rejet." in page_text(refused)
    done = client.post(url, {"reason": "Prix non conforme"}, follow=True)
    assert "rejetée" in page_text(done)
    world["invoice"].refresh_from_db()
    assert (world["invoice"].status, world["invoice"].reason) == ("rejected", "Prix non conforme")
    again = client.post(reverse("coord-supplier-invoice-approve", args=[world["invoice"].pk]))
    assert again.status_code == 409
    assert "déjà rejetée" in page_text(again)


def test_approve_a_matched_invoice_from_the_page(client, world):
    invoice = world["invoice"]
    # As if the supplier had billed the order's price.
    invoice.lines.update(net_unit_price=D("2.5"), amount=D("30.00"))
    client.force_login(world["coordinator"])
    done = client.post(reverse("coord-supplier-invoice-approve", args=[invoice.pk]), follow=True)
    assert "approuvée" in page_text(done)
    invoice.refresh_from_db()
    assert invoice.status == SupplierInvoice.Status.APPROVED
    assert Entry.objects.filter(source=f"supplier-invoice:{invoice.pk}").exists()


def test_other_roles_are_refused(client, world):
    client.force_login(world["keeper"])
    assert client.get(reverse("coord-supplier-invoices")).status_code == 403
    assert (
        client.get(reverse("coord-supplier-invoice", args=[world["invoice"].pk])).status_code == 403
    )
    url = reverse("coord-supplier-invoice-reject", args=[world["invoice"].pk])
    assert client.post(url, {"reason": "x"}).status_code == 403
    world["invoice"].refresh_from_db()
    assert world["invoice"].status == "discrepancies"


def test_the_upload_page_takes_the_upload_limit(client, world, settings):
    settings.MAX_REQUEST_BYTES, settings.MAX_UPLOAD_BYTES = 4096, 64 * 1024
    client.force_login(world["coordinator"])
    heavy = SimpleUploadedFile("f.pdf", b"%PDF-1.4 " + b"0" * 20_000)
    response = client.post(reverse("coord-supplier-invoices"), {"file": heavy})
    assert response.status_code == 400
    assert "Ce PDF est illisible" in page_text(response)
    heavier = SimpleUploadedFile("f.pdf", b"%PDF-1.4 " + b"0" * 70_000)
    assert client.post(reverse("coord-supplier-invoices"), {"file": heavier}).status_code == 413
