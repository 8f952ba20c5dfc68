"""The fiscal years on the books pages (docs/fiscal-years.md): the "Exercices" section,
the coordinator's closing with its confirmation, the opening balances typed or imported
with the errors shown beside the fields and nothing written."""

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from accounting.models import Entry, FiscalYear
from accounting.services import LineIn, entry_post
from tests.factories import CooperativeFactory, ShopFactory
from tests.helpers import page_text

D = Decimal


def books_url(shop):
    return f"/comptable/{shop.pk}/"


def a_2025_entry(shop):
    return entry_post(
        ledger=shop.ledger,
        journal="OD",
        date=dt.date(2025, 3, 3),
        label="Apport",
        piece_ref="CAP",
        lines=[LineIn("512000", debit=D("100")), LineIn("101300", credit=D("100"))],
    )


def test_the_books_list_the_years_and_the_coordinator_closes_one(client, coordinator, shop):
    CooperativeFactory()
    a_2025_entry(shop)
    client.force_login(coordinator)
    text = page_text(client.get(books_url(shop)))
    assert "Exercices" in text
    assert "01/01/2025" in text and "31/12/2025" in text and "Ouvert" in text
    close_url = f"/comptable/{shop.pk}/exercices/2025-12-31/cloture/"
    assert close_url in client.get(books_url(shop)).content.decode()
    # The 2026 year is not over: no button for it.
    assert "/exercices/2026-12-31/cloture/" not in client.get(books_url(shop)).content.decode()

    confirm = client.get(close_url)
    assert confirm.status_code == 200
    assert "Confirmer la clôture" in page_text(confirm)
    assert not FiscalYear.objects.filter(status="closed").exists()

    done = client.post(close_url, follow=True)
    assert "clôturé : bénéfice de 0,00" in page_text(done)
    assert FiscalYear.objects.get(ledger=shop.ledger, end=dt.date(2025, 12, 31)).status == "closed"
    again = client.post(close_url, follow=True)
    assert "Clôture refusée : L'exercice clos le 31/12/2025 est déjà clôturé." in page_text(again)


def test_an_accountant_sees_the_years_but_may_not_close(client, accountant, shop):
    a_2025_entry(shop)
    client.force_login(accountant)
    page = client.get(books_url(shop)).content.decode()
    assert "Exercices" in page and "/cloture/" not in page
    assert client.get(f"/comptable/{shop.pk}/exercices/2025-12-31/cloture/").status_code == 403
    assert client.post(f"/comptable/{shop.pk}/exercices/2025-12-31/cloture/").status_code == 403
    assert not FiscalYear.objects.filter(status="closed").exists()


def test_opening_balances_typed_on_the_page(client, accountant, shop):
    client.force_login(accountant)
    url = f"/comptable/{shop.pk}/a-nouveaux/"
    assert client.get(url).status_code == 200
    typed = {
        "kind": "form",
        "date": "2026-01-01",
        "line1_account": "101300",
        "line1_credit": "1 500,00",
        "line2_account": "512000",
        "line2_debit": "1 600,00",
        "line4_account": "401000",
        "line4_credit": "100,00",
    }
    refused = client.post(url, typed)
    assert refused.status_code == 400
    text = page_text(refused)
    assert "Ligne 4 : compte 401000 sans compte auxiliaire." in text
    assert 'value="1 500,00"' in refused.content.decode()  # what was typed stays
    assert not Entry.objects.exists()

    done = client.post(url, {**typed, "line4_aux": "COOP"}, follow=True)
    assert "À-nouveaux AN-2026-000001 du 01/01/2026 enregistrés." in page_text(done)
    assert Entry.objects.get().lines.count() == 3


def test_opening_balances_imported_from_a_csv(client, accountant, shop):
    client.force_login(accountant)
    url = f"/comptable/{shop.pk}/a-nouveaux/"
    bad = "compte;auxiliaire;debit;credit\n101300;;;500,00\n51200;;500,00;\n"
    refused = client.post(
        url,
        {
            "kind": "csv",
            "csv-date": "2026-01-01",
            "csv-file": SimpleUploadedFile("an.csv", bad.encode()),
        },
    )
    assert refused.status_code == 400
    assert "Ligne 3 : compte « 51200 » : 6 à 8 chiffres attendus." in page_text(refused)
    assert not Entry.objects.exists()

    unbalanced = "Compte;Debit;Credit\n101300;;500,00\n512000;400,00;\n"
    refused = client.post(
        url,
        {
            "kind": "csv",
            "csv-date": "2026-01-01",
            "csv-file": SimpleUploadedFile("an.csv", unbalanced.encode()),
        },
    )
    assert "déséquilibrés" in page_text(refused)

    good = "compte;auxiliaire;debit;credit\n101300;;;500,00\n512000;;450,00;\n411000;C-12;50,00;\n"
    done = client.post(
        url,
        {
            "kind": "csv",
            "csv-date": "2026-01-01",
            "csv-file": SimpleUploadedFile("an.csv", good.encode()),
        },
        follow=True,
    )
    assert "enregistrés" in page_text(done)
    entry = Entry.objects.get()
    assert entry.journal.code == "AN"
    assert entry.lines.get(account__number="411000").auxiliary.code == "C-12"


def test_a_shopkeeper_has_no_opening_balances_page(client, shopkeeper, shop):
    client.force_login(shopkeeper)
    assert client.get(f"/comptable/{shop.pk}/a-nouveaux/").status_code == 403


def test_the_coordinator_sets_a_long_first_year_before_any_entry(client, coordinator):
    shop = ShopFactory(joined_on=dt.date(2025, 9, 1))
    client.force_login(coordinator)
    assert "Fixer le premier exercice" in page_text(client.get(books_url(shop)))
    url = f"/comptable/{shop.pk}/exercices/premier/"
    too_long = client.post(url, {"end": "2027-12-31"}, follow=True)
    assert "au plus tard le 31/08/2027 (24 mois)" in page_text(too_long)
    done = client.post(url, {"end": "2026-12-31"}, follow=True)
    assert "Premier exercice : du 01/09/2025 au 31/12/2026." in page_text(done)
    assert [(y.start, y.end) for y in FiscalYear.objects.filter(ledger=shop.ledger)] == [
        (dt.date(2025, 9, 1), dt.date(2026, 12, 31))
    ]
    a_2025_entry(shop)
    assert "Fixer le premier exercice" not in page_text(client.get(books_url(shop)))
