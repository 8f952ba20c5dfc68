"""An issued invoice never changes: it keeps both parties as issued, and PostgreSQL refuses
any update or delete of it, its lines and its VAT lines, whatever code writes."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from mache.identifiers import vat_number_for
from payments.models import Mandate
from purchasing.models import Invoice, InvoiceLine, InvoiceVat
from purchasing.pdf import invoice_pdf
from purchasing.services.consolidation import round_consolidate
from purchasing.services.receipt import supplier_order_receive
from shops.models import Cooperative, Shop
from tests.helpers import pdf_text

from .test_consolidation import close, place_example

COOP_IDENTITY = {
    "legal_form": "SCIC SAS à capital variable",
    "share_capital": Decimal("15000.00"),
    "rcs": "RCS Rennes",
    "iban": "FR7630006000011234567890189",
    "bic": "AGRIFRPP",
    "sepa_creditor_id": "FR72ZZZ123456",
    "vat_on_debits": True,
}


@pytest.fixture
def invoice(example):
    # The cooperative's whole identity (its VAT number left blank: derived from the
    # SIREN), shop 101's VAT number and SEPA mandate (docs/e-invoicing.md, "Identities").
    Cooperative.objects.update(**COOP_IDENTITY)
    shop = Shop.objects.get(pk=101)
    Shop.objects.filter(pk=101).update(vat_number=vat_number_for(shop.siret))
    Mandate.objects.create(
        shop=shop,
        reference="RUM-101",
        signed_on=dt.date(2025, 1, 15),
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
    )
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
        "seller_vat_number": vat_number_for(coop.siret),
        "seller_legal_form": "SCIC SAS à capital variable",
        "seller_share_capital": Decimal("15000.00"),
        "seller_rcs": "RCS Rennes",
        "seller_iban": "FR7630006000011234567890189",
        "seller_bic": "AGRIFRPP",
        "seller_creditor_id": "FR72ZZZ123456",
        "seller_vat_on_debits": True,
        "buyer_vat_number": vat_number_for(shop.siret),
        "payment_means": "direct_debit",
        "mandate_reference": "RUM-101",
    }
    assert issued["seller_vat_number"].startswith("FR")
    assert {field: getattr(invoice, field) for field in issued} == issued

    Shop.objects.filter(pk=101).update(
        name="Nouveau Nom",
        legal_name="NOUVELLE SARL",
        address="9 rue Neuve",
        postcode="35000",
        commune="Fougères",
    )
    Shop.objects.filter(pk=101).update(vat_number="")
    Mandate.objects.filter(shop_id=101).delete()
    Cooperative.objects.update(
        name="Coop Renommée",
        legal_name="SCIC RENOMMÉE",
        address="1 avenue Autre",
        vat_number="FR00000000000",
        legal_form="SA",
        share_capital=Decimal("1.00"),
        rcs="RCS Paris",
        iban="",
        bic="",
        sepa_creditor_id="",
        vat_on_debits=False,
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
        "Fougères",
        "Coop Renommée",
        "SCIC RENOMMÉE",
        "1 avenue Autre",
    ):
        assert new not in text, new


def test_party_gives_each_side_as_issued_and_a_shop_without_mandate_pays_by_transfer(
    invoice,
):
    seller, buyer = invoice.party("seller"), invoice.party("buyer")
    assert (seller.vat_number, seller.legal_form, seller.share_capital, seller.rcs) == (
        invoice.seller_vat_number,
        "SCIC SAS à capital variable",
        Decimal("15000.00"),
        "RCS Rennes",
    )
    assert (seller.iban, seller.bic, seller.creditor_id, seller.vat_on_debits) == (
        "FR7630006000011234567890189",
        "AGRIFRPP",
        "FR72ZZZ123456",
        True,
    )
    assert (buyer.name, buyer.siret, buyer.vat_number) == (
        "Commerce 101",
        Shop.objects.get(pk=101).siret,
        invoice.buyer_vat_number,
    )
    assert not hasattr(buyer, "iban")  # the buyer's bank is the mandate's, not printed
    other = Invoice.objects.get(supplier_order=invoice.supplier_order, shop_id=102)
    assert (other.payment_means, other.mandate_reference, other.buyer_vat_number) == (
        "transfer",
        "",
        "",
    )


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
        "UPDATE purchasing_invoice SET seller_vat_number = 'FR00000000000'",
        "UPDATE purchasing_invoice SET seller_share_capital = 1",
        "UPDATE purchasing_invoice SET payment_means = 'transfer', mandate_reference = ''",
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


def test_the_migration_fills_the_identities_and_payment_means_of_existing_invoices(invoice):
    migration = importlib.import_module("purchasing.migrations.0010_fx_invoice_snapshot")
    with connection.cursor() as cursor:  # as before the migration: the columns' defaults
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE purchasing_invoice DISABLE TRIGGER invoice_is_immutable")
        cursor.execute(
            "UPDATE purchasing_invoice SET seller_vat_number = '', seller_legal_form = '', "
            "seller_share_capital = NULL, seller_iban = '', seller_creditor_id = '', "
            "seller_vat_on_debits = false, buyer_vat_number = '', "
            "payment_means = 'transfer', mandate_reference = ''"
        )
        cursor.execute("ALTER TABLE purchasing_invoice ENABLE TRIGGER invoice_is_immutable")
    with connection.schema_editor(atomic=False) as editor:
        migration.fill_snapshots(apps, editor)
    stored = Invoice.objects.get(pk=invoice.pk)
    for field in (
        "seller_vat_number",
        "seller_legal_form",
        "seller_share_capital",
        "seller_iban",
        "seller_creditor_id",
        "seller_vat_on_debits",
        "buyer_vat_number",
        "payment_means",
        "mandate_reference",
    ):
        assert getattr(stored, field) == getattr(invoice, field), field
    # The trigger is back: the invoice refuses changes again.
    refused(lambda: Invoice.objects.filter(pk=invoice.pk).update(seller_rcs="X"))
