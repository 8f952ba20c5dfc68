"""`/api/supplier-invoices/` (docs/supplier-invoices.md): the contract's shape, the
list by status, approve and reject, the coordinator's only (403 for the other roles),
two approvals at once giving one. Uploads of real files: test_supplier_invoices_formats.py."""

import threading
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from accounting.models import Entry
from purchasing.models import SupplierInvoice
from purchasing.services.supplier_invoices import (
    SupplierInvoiceDecided,
    supplier_invoice_approve,
    supplier_invoice_record,
)
from shops.models import User
from tests.factories import ShopFactory, UserFactory
from tests.factories.purchasing import received_round

from .supplier_invoice_helpers import received_for

D = Decimal


@pytest.fixture
def world(db):
    shop = ShopFactory(name="Épicerie de Romazy")
    invoices = received_round({shop: 12})
    supplier_order = invoices[shop.pk].supplier_order
    invoice = supplier_invoice_record(
        received=received_for(supplier_order, shipping=D("30.00")),
        data=b"<x/>",
        filename="f.xml",
        source="upload",
    )
    return {
        "shop": shop,
        "supplier_order": supplier_order,
        "invoice": invoice,
        "coordinator": UserFactory(role=User.Role.COORDINATOR),
        "keeper": UserFactory(role=User.Role.SHOPKEEPER, shops=[shop]),
        "accountant": UserFactory(role=User.Role.ACCOUNTANT, shops=[shop]),
    }


def url(invoice=None, action=""):
    base = "/api/supplier-invoices/"
    return base + (f"{invoice.pk}/" if invoice else "") + (f"{action}/" if action else "")


@pytest.mark.django_db
def test_the_invoice_as_the_contract_gives_it(api, world):
    client = api.as_user(world["coordinator"])
    response = client.get(url(world["invoice"]))
    assert response.status_code == 200
    assert response.json() == {
        "id": world["invoice"].pk,
        "supplier": world["supplier_order"].round.supplier_id,
        "number": "FA-2026-001",
        "issued_on": world["invoice"].issued_on.isoformat(),
        "total_excl_vat": "60.00",
        "total_vat": "3.30",
        "total_incl_vat": "63.30",
        "amount_due": "63.30",
        "supplier_order": world["supplier_order"].pk,
        "status": "discrepancies",
        "differences": [
            {"product": None, "field": "shipping", "expected": "25.00", "invoiced": "30.00"}
        ],
    }
    listed = client.get(url(), {"status": "discrepancies"}).json()
    assert [row["id"] for row in listed["results"]] == [world["invoice"].pk]
    assert client.get(url(), {"status": "matched"}).json()["results"] == []
    file = client.get(url(world["invoice"], "file"))
    assert file.status_code == 200 and file.content == b"<x/>"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["keeper", "accountant"])
def test_the_other_roles_are_refused(api, world, role):
    client = api.as_user(world[role])
    assert client.get(url()).status_code == 403
    assert client.get(url(world["invoice"])).status_code == 403
    assert client.post(url(world["invoice"], "reject"), {"reason": "x"}).status_code == 403
    assert client.post(url(world["invoice"], "approve")).status_code == 403
    world["invoice"].refresh_from_db()
    assert world["invoice"].status == "discrepancies"


@pytest.mark.django_db
def test_reject_then_approve_is_409(api, world):
    client = api.as_user(world["coordinator"])
    assert client.post(url(world["invoice"], "reject"), {}, format="json").status_code == 400
    response = client.post(url(world["invoice"], "reject"), {"reason": "Port"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    again = client.post(url(world["invoice"], "approve"))
    assert again.status_code == 409
    assert again.json()["code"] == "supplier_invoice_decided"


@pytest.mark.django_db
def test_a_reason_that_is_not_a_text_is_400_in_french(api, world):
    client = api.as_user(world["coordinator"])
    response = client.post(url(world["invoice"], "reject"), {"reason": ["a"]}, format="json")
    assert response.status_code == 400
    assert response.json() == {"reason": ["Le motif du rejet est un texte."]}


@pytest.mark.django_db
def test_an_upload_may_weigh_the_upload_limit_not_the_request_limit(api, world, settings):
    # A Factur-X PDF may be heavy: the upload takes MAX_UPLOAD_BYTES (docs/security.md),
    # approve and reject the request's bound.
    settings.MAX_REQUEST_BYTES, settings.MAX_UPLOAD_BYTES = 4096, 64 * 1024
    client = api.as_user(world["coordinator"])
    heavy = SimpleUploadedFile("f.pdf", b"%PDF-1.4 " + b"0" * 20_000)
    response = client.post(url(), {"file": heavy}, format="multipart")
    assert response.status_code == 400, response.content[:200]
    assert list(response.json()) == ["file"]
    heavier = SimpleUploadedFile("f.pdf", b"%PDF-1.4 " + b"0" * 70_000)
    assert client.post(url(), {"file": heavier}, format="multipart").status_code == 413
    long_reason = client.post(
        url(world["invoice"], "reject"), {"reason": "x" * 5000}, format="json"
    )
    assert long_reason.status_code == 413
    # The file is multipart; approve and reject take the usual bodies.
    json_body = client.post(url(), {"file": "x"}, format="json")
    assert json_body.status_code == 415
    assert client.post(url(world["invoice"], "reject"), {"reason": "Port"}).status_code == 200


@pytest.mark.django_db
def test_a_matched_invoice_approved(api, world):
    invoice = world["invoice"]
    SupplierInvoice.objects.filter(pk=invoice.pk).update(shipping=D("25.00"))
    client = api.as_user(world["coordinator"])
    response = client.post(url(invoice, "approve"))
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "approved"
    assert Entry.objects.filter(source=f"supplier-invoice:{invoice.pk}").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_approve_once(world):
    """Two connections approve the same invoice: the lock makes the second wait, then
    find it decided."""
    invoice = world["invoice"]
    SupplierInvoice.objects.filter(pk=invoice.pk).update(shipping=D("25.00"))
    barrier = threading.Barrier(2)
    outcomes = []

    def approve():
        try:
            barrier.wait()
            supplier_invoice_approve(supplier_invoice_id=invoice.pk)
            outcomes.append("approved")
        except SupplierInvoiceDecided:
            outcomes.append("decided")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["approved", "decided"]
    assert Entry.objects.filter(source=f"supplier-invoice:{invoice.pk}").count() == 1
    source = f"supplier-order:{world['supplier_order'].pk}"
    assert Entry.objects.filter(reversal_of__source=source).count() == 1
