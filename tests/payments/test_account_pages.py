"""The pages: "Mon compte" (the shop's people), the shop's account seen by the
coordinator, "Enregistrer un règlement" and the list of payments with "Annuler"."""

from decimal import Decimal

import pytest

from mache.periods import paris_today
from payments.models import Payment
from payments.services.payments import payment_record
from purchasing.models import Invoice
from tests.factories.purchasing import received_round
from tests.helpers import tables_digest

pytestmark = pytest.mark.django_db

APPS = ["payments", "purchasing", "accounting"]


@pytest.fixture
def invoices(shop, other_shop):
    first = received_round({shop: 12, other_shop: 6})
    return {"mine": first[shop.pk], "theirs": first[other_shop.pk]}


def test_my_account_shows_the_lines_the_balance_and_what_is_due(client, shopkeeper, invoices):
    invoice = invoices["mine"]
    payment_record(
        shop=invoice.shop,
        date=paris_today(),
        amount=Decimal("10.00"),
        method="cheque",
        reference="CHQ 777",
    )
    client.force_login(shopkeeper)
    response = client.get("/compte/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Mon compte" in page and invoice.number in page and "CHQ 777" in page
    assert "dus à la coopérative" in page
    assert "Restant dû" in page
    assert invoices["theirs"].number not in page
    pdf = client.get("/compte/?format=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    csv = client.get("/compte/?format=csv")
    assert csv.status_code == 200 and invoice.number in csv.content.decode("utf-8-sig")


def test_another_shop_is_not_found_from_my_account(client, shopkeeper, other_shop, invoices):
    client.force_login(shopkeeper)
    assert client.get(f"/compte/?shop={other_shop.pk}").status_code == 404
    assert client.get(f"/coordination/membres/{other_shop.pk}/compte/").status_code == 403


def test_the_coordinator_sees_a_shops_account_from_its_member_page(
    client, coordinator, shop, invoices
):
    client.force_login(coordinator)
    member = client.get(f"/coordination/membres/{shop.pk}/").content.decode()
    assert f"/coordination/membres/{shop.pk}/compte/" in member
    page = client.get(f"/coordination/membres/{shop.pk}/compte/").content.decode()
    assert f"Compte de {shop.name}" in page and invoices["mine"].number in page
    assert "Enregistrer un règlement" in page


def test_the_coordinator_records_a_payment_ticking_an_invoice(client, coordinator, shop, invoices):
    invoice = invoices["mine"]
    client.force_login(coordinator)
    form = client.get(f"/coordination/reglements/nouveau/?shop={shop.pk}").content.decode()
    assert invoice.number in form and 'type="checkbox"' in form
    response = client.post(
        "/coordination/reglements/nouveau/",
        {
            "shop": shop.pk,
            "date": paris_today().isoformat(),
            "amount": "5.00",
            "method": "cheque",
            "reference": "CHQ 42",
            "invoices": [invoice.pk],
        },
    )
    assert response.status_code == 302
    payment = Payment.objects.get(reference="CHQ 42")
    assert [a.settlement.invoice_id for a in payment.allocations.all()] == [invoice.pk]
    assert Invoice.objects.get(pk=invoice.pk).amount_paid == Decimal("5.00")
    listing = client.get("/coordination/reglements/").content.decode()
    assert "CHQ 42" in listing and "Annuler" in listing


@pytest.mark.parametrize(
    ("change", "field"),
    [({"amount": "-3"}, "amount"), ({"amount": "1.234"}, "amount"), ({"method": "or"}, "method")],
)
def test_a_bad_payment_is_shown_beside_its_field_and_nothing_is_written(
    client, coordinator, shop, invoices, change, field
):
    client.force_login(coordinator)
    before = tables_digest(APPS)
    data = {
        "shop": shop.pk,
        "date": paris_today().isoformat(),
        "amount": "5.00",
        "method": "cash",
        **change,
    }
    response = client.post("/coordination/reglements/nouveau/", data)
    assert response.status_code == 200
    assert response.context["form"].errors.get(field)
    assert tables_digest(APPS) == before


def test_an_invoice_of_another_shop_is_refused(client, coordinator, shop, invoices):
    client.force_login(coordinator)
    before = tables_digest(APPS)
    response = client.post(
        "/coordination/reglements/nouveau/",
        {
            "shop": shop.pk,
            "date": paris_today().isoformat(),
            "amount": "5.00",
            "method": "cash",
            "invoices": [invoices["theirs"].pk],
        },
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert tables_digest(APPS) == before


def test_cancelling_asks_for_confirmation_then_reverses(client, coordinator, shop, invoices):
    invoice = invoices["mine"]
    payment = payment_record(
        shop=shop, date=paris_today(), amount=invoice.total_incl_vat, method="cheque"
    )
    client.force_login(coordinator)
    confirm = client.get(f"/coordination/reglements/{payment.pk}/annuler/")
    assert confirm.status_code == 200 and "Confirmer l'annulation" in confirm.content.decode()
    assert Payment.objects.get(pk=payment.pk).cancelled_at is None
    response = client.post(
        f"/coordination/reglements/{payment.pk}/annuler/", {"reason": "Chèque impayé"}
    )
    assert response.status_code == 302
    assert Payment.objects.get(pk=payment.pk).cancelled_at is not None
    assert Invoice.objects.get(pk=invoice.pk).amount_due == invoice.total_incl_vat
    # Twice: the refusal shows, nothing changes.
    before = tables_digest(APPS)
    again = client.post(f"/coordination/reglements/{payment.pk}/annuler/", {"reason": "x"})
    assert again.status_code == 200 and "déjà annulé" in again.content.decode()
    assert tables_digest(APPS) == before


def test_payment_pages_are_the_coordinators(client, shopkeeper, accountant, shop, invoices):
    payment = payment_record(shop=shop, date=paris_today(), amount=Decimal("1.00"), method="cash")
    for user in (shopkeeper, accountant):
        client.force_login(user)
        for url in (
            "/coordination/reglements/",
            "/coordination/reglements/nouveau/",
            f"/coordination/reglements/{payment.pk}/annuler/",
        ):
            assert client.get(url).status_code == 403
