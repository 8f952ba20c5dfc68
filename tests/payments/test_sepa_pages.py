"""The coordinator's pages « Prélèvements » and « Virements fournisseurs » (docs/sepa.md):
a batch prepared from the form, listed, its file downloaded; refusals said in French."""

from payments.models import CreditTransferBatch, DirectDebitBatch
from shops.models import Cooperative

from .conftest import approved_supplier_invoice, assert_valid, in_days


def test_the_direct_debits_page_prepares_a_batch_and_gives_its_file(client, coordinator, two_shops):
    client.force_login(coordinator)
    assert "Préparer un lot" in client.get("/coordination/prelevements/").content.decode()
    response = client.post("/coordination/prelevements/", {"collection_date": str(in_days(3))})
    assert response.status_code == 302
    batch = DirectDebitBatch.objects.get()
    page = client.get("/coordination/prelevements/").content.decode()
    assert batch.message_id in page and "Télécharger le fichier" in page
    response = client.get(f"/coordination/prelevements/{batch.pk}/fichier/")
    assert response.status_code == 200
    assert_valid(response.content, "pain.008.001.02")


def test_the_direct_debits_page_says_why_in_french(client, coordinator, two_shops):
    client.force_login(coordinator)
    response = client.post("/coordination/prelevements/", {"collection_date": str(in_days(1))})
    assert response.status_code == 400
    assert "prévenus 2 jours avant" in response.content.decode()
    Cooperative.objects.update(bic="")
    response = client.post("/coordination/prelevements/", {"collection_date": str(in_days(3))})
    assert response.status_code == 409
    assert "Renseignez d&#x27;abord le BIC" in response.content.decode()
    assert not DirectDebitBatch.objects.exists()


def test_the_transfers_page_pays_the_invoices_ticked(client, coordinator, two_shops):
    client.force_login(coordinator)
    page = client.get("/coordination/virements/").content.decode()
    assert "Aucune facture fournisseur approuvée à payer" in page
    invoice = approved_supplier_invoice(two_shops["supplier_order"], number="FV-2026-0042")
    page = client.get("/coordination/virements/").content.decode()
    assert "FV-2026-0042" in page
    response = client.post(
        "/coordination/virements/",
        {"execution_date": str(in_days(1)), "supplier_invoices": [str(invoice.pk)]},
    )
    assert response.status_code == 302
    batch = CreditTransferBatch.objects.get()
    assert batch.items.get().supplier_invoice == invoice
    page = client.get("/coordination/virements/").content.decode()
    assert batch.message_id in page and "Aucune facture fournisseur approuvée à payer" in page
    response = client.get(f"/coordination/virements/{batch.pk}/fichier/")
    assert_valid(response.content, "pain.001.001.03")


def test_the_transfers_page_needs_an_invoice(client, coordinator, two_shops):
    client.force_login(coordinator)
    response = client.post("/coordination/virements/", {"execution_date": str(in_days(1))})
    assert response.status_code == 400
    assert "Choisissez au moins une facture" in response.content.decode()


def test_the_pages_are_the_coordinators(client, shopkeeper, two_shops):
    client.force_login(shopkeeper)
    for url in ("/coordination/prelevements/", "/coordination/virements/"):
        assert client.get(url).status_code == 403


def test_a_file_without_the_bank_details_goes_back_with_a_message(client, coordinator, two_shops):
    client.force_login(coordinator)
    client.post("/coordination/prelevements/", {"collection_date": str(in_days(3))})
    batch = DirectDebitBatch.objects.get()
    Cooperative.objects.update(iban="")
    response = client.get(f"/coordination/prelevements/{batch.pk}/fichier/", follow=True)
    assert "Renseignez d&#x27;abord l&#x27;IBAN" in response.content.decode()
    assert DirectDebitBatch.objects.get().status == "prepared"
