"""An issued invoice never changes: it keeps both parties as issued, and PostgreSQL refuses
any update or delete of it, its lines and its VAT lines, whatever code writes."""

import importlib

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from purchasing.models import Invoice, InvoiceLine, InvoiceVat
from purchasing.pdf import invoice_pdf
from purchasing.services.consolidation import round_consolidate
from purchasing.services.receipt import supplier_order_receive
from shops.models import Cooperative, Shop
from tests.helpers import pdf_text

from .test_consolidation import close, place_example


@pytest.fixture
def invoice(example):
    place_example(example)
    close(example["round"])
    supplier_order = round_consolidate(round_id=example["round"].pk)
    issued = supplier_order_receive(supplier_order_id=supplier_order.pk, received={})
    return Invoice.objects.get(pk=next(i.pk for i in issued if i.shop_id == 101))


def refused(statement):
    """The statement fails in PostgreSQL (in a savepoint, so the test goes on)."""
    with pytest.raises(IntegrityError, match="facture émise"), transaction.atomic():
        statement()


def test_an_invoice_keeps_both_parties_as_issued(invoice, tmp_path):
    shop, coop = Shop.objects.get(pk=101), Cooperative.objects.get()
    issued = {
        "seller_name": coop.name,
        "seller_legal_name": coop.legal_name,
        "seller_siret": coop.siret,
        "seller_address": coop.address,
        "seller_postcode": coop.postcode,
        "seller_commune": coop.commune,
        "buyer_name": shop.name,
        "buyer_legal_name": shop.legal_name,
        "buyer_siret": shop.siret,
        "buyer_address": shop.address,
        "buyer_postcode": shop.postcode,
        "buyer_commune": shop.commune,
    }
    assert {field: getattr(invoice, field) for field in issued} == issued

    Shop.objects.filter(pk=101).update(
        name="Nouveau Nom",
        legal_name="NOUVELLE SARL",
        address="9 rue Neuve",
        postcode="35000",
        commune="Rennes",
    )
    Cooperative.objects.update(
        name="Coop Renommée", legal_name="SCIC RENOMMÉE", address="1 avenue Autre"
    )
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert {field: getattr(invoice, field) for field in issued} == issued
    text = pdf_text(invoice_pdf(invoice), tmp_path)
    for old in (
        shop.name,
        shop.legal_name,
        shop.address,
        f"{shop.postcode} {shop.commune}",
        coop.legal_name,
        coop.address,
    ):
        assert old in text, old
    for new in (
        "Nouveau Nom",
        "NOUVELLE SARL",
        "9 rue Neuve",
        "Rennes",
        "Coop Renommée",
        "SCIC RENOMMÉE",
        "1 avenue Autre",
    ):
        assert new not in text, new


def test_the_orm_can_neither_change_nor_delete_an_issued_invoice(invoice):
    number, total = invoice.number, invoice.total_incl_vat
    invoice.buyer_name = "Autre client"
    refused(invoice.save)
    refused(lambda: Invoice.objects.filter(pk=invoice.pk).update(total_incl_vat=0))
    refused(lambda: Invoice.objects.get(pk=invoice.pk).delete())
    refused(lambda: InvoiceLine.objects.filter(invoice=invoice).update(amount=0))
    refused(lambda: InvoiceLine.objects.filter(invoice=invoice).delete())
    refused(lambda: InvoiceVat.objects.filter(invoice=invoice).update(amount=0))
    refused(lambda: InvoiceVat.objects.filter(invoice=invoice).delete())
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.number, stored.total_incl_vat, stored.buyer_name) == (
        number,
        total,
        Shop.objects.get(pk=101).name,
    )
    assert stored.lines.count() == InvoiceLine.objects.filter(invoice=invoice).count() > 0


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE purchasing_invoice SET buyer_name = 'X'",
        "UPDATE purchasing_invoice SET total_incl_vat = 0",
        "DELETE FROM purchasing_invoice",
        "UPDATE purchasing_invoiceline SET amount = 0",
        "DELETE FROM purchasing_invoiceline",
        "UPDATE purchasing_invoicevat SET amount = 0",
        "DELETE FROM purchasing_invoicevat",
    ],
)
def test_postgresql_refuses_any_update_or_delete_in_sql(invoice, sql):
    with connection.cursor() as cursor:
        refused(lambda: cursor.execute(sql))
    assert Invoice.objects.filter(
        pk=invoice.pk,
        buyer_name=Shop.objects.get(pk=101).name,
        total_incl_vat=invoice.total_incl_vat,
    ).exists()


def test_a_shop_with_invoices_cannot_be_deleted(invoice, client):
    from tests.factories import UserFactory

    shop = Shop.objects.get(pk=101)
    with pytest.raises(ProtectedError), transaction.atomic():
        shop.delete()
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = client.get(f"/admin/shops/shop/{shop.pk}/delete/")
    assert page.status_code == 200
    assert "Factures" in page.content.decode() or "facture" in page.content.decode()
    client.post(f"/admin/shops/shop/{shop.pk}/delete/", {"post": "yes"})
    assert Shop.objects.filter(pk=shop.pk).exists()
    assert Invoice.objects.filter(pk=invoice.pk).exists()


def test_the_migration_fills_the_parties_of_existing_invoices(invoice):
    migration = importlib.import_module("purchasing.migrations.0003_invoice_snapshot")
    with connection.cursor() as cursor:  # as before the migration: no snapshot, no trigger
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending check blocks the ALTER
        cursor.execute("ALTER TABLE purchasing_invoice DISABLE TRIGGER invoice_is_immutable")
        cursor.execute(
            "UPDATE purchasing_invoice SET seller_name = '', buyer_name = '', "
            "buyer_siret = '', seller_siret = ''"
        )
    migration.fill_snapshots(apps, None)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE purchasing_invoice ENABLE TRIGGER invoice_is_immutable")
    stored = Invoice.objects.get(pk=invoice.pk)
    shop, coop = Shop.objects.get(pk=101), Cooperative.objects.get()
    assert (stored.seller_name, stored.seller_siret, stored.buyer_name, stored.buyer_siret) == (
        coop.name,
        coop.siret,
        shop.name,
        shop.siret,
    )
