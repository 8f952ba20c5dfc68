"""The accounting pages in Chromium: an accountant downloads a trial balance and a FEC
and reverses an entry (laptop); a shopkeeper records the day's Z ticket (phone); the
books and the manual entry fit a phone's width. Each step leaves a screenshot."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

from accounting.fec import fec_violations
from accounting.models import Entry, SalesDay
from mache.periods import last_day_of_month, paris_today
from shops.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory, post_bank_charge, record_sales_day

from .conftest import fits_the_width, log_in, screenshot


def books_with_entries(shop):
    """A Z ticket two days ago (or today early in the month) and a bank charge today."""
    today = paris_today()
    record_sales_day(
        shop,
        date=max(today.replace(day=1), today - dt.timedelta(days=2)),
        lines=[
            {"vat_rate": Decimal("5.50"), "amount_incl_vat": Decimal("211.00")},
            {"vat_rate": Decimal("20.00"), "amount_incl_vat": Decimal("48.00")},
        ],
        payments={"cash": Decimal("59.00"), "card": Decimal("200.00")},
    )
    return post_bank_charge(
        shop.ledger,
        "8.40",
        day=today,
        label="Frais bancaires",
        piece_ref="RELEVE-11",
        line_labels=("Frais de tenue", "Banque"),
    )


def test_an_accountant_downloads_a_trial_balance_and_a_fec_and_reverses_an_entry(
    live_server, laptop, shop, today
):
    UserFactory(username="compta", role=User.Role.ACCOUNTANT, shops=[shop])
    charge = books_with_entries(shop)
    log_in(laptop, live_server, "compta", DEFAULT_PASSWORD)
    assert laptop.url == f"{live_server.url}/comptable/"
    screenshot(laptop, "comptable-dossiers")

    laptop.click("text=Ouvrir les livres")
    laptop.wait_for_url(f"{live_server.url}/comptable/{shop.pk}/")
    assert "Balance générale" in laptop.inner_text("main")
    screenshot(laptop, "comptable-livres")

    # The trial balance as CSV: the API's file name, figures the French way.
    with laptop.expect_download() as download_info:
        laptop.click("a[href*='/releves/balance.csv']")
    download = download_info.value
    month_start = today.replace(day=1)
    end = last_day_of_month(month_start)
    assert download.suggested_filename == f"balance-{shop.pk}-{month_start}-{end}.csv"
    rows = list(
        csv.reader(
            io.StringIO(Path(download.path()).read_bytes().decode("utf-8-sig")), delimiter=";"
        )
    )
    assert rows[0] == ["Compte", "Intitulé", "Débit", "Crédit", "Solde"]
    by_account = {row[0]: row[2:] for row in rows[1:]}
    assert by_account["658000"] == ["8,40", "0,00", "8,40"]
    assert by_account["530000"] == ["59,00", "0,00", "59,00"]
    assert rows[-1][1:3] == ["Total", "267,40"]

    # The FEC of the year: its lawful name, and the project's validator finds nothing.
    laptop.select_option("select[name=year]", str(today.year))
    with laptop.expect_download() as download_info:
        laptop.click("text=Télécharger le FEC")
    download = download_info.value
    assert re.fullmatch(r"\d{9}FEC\d{8}\.txt", download.suggested_filename)
    assert download.suggested_filename == f"{shop.siret[:9]}FEC{today.year}1231.txt"
    content = Path(download.path()).read_bytes()
    assert fec_violations(content, download.suggested_filename) == []
    assert content.count(b"\n") == 1 + 6 + 2  # header, the Z ticket's lines, the charge's

    # The journal filter reloads the entries alone (htmx), and the address follows.
    laptop.select_option("#entries select[name=journal]", "OD")
    laptop.wait_for_url(re.compile(r"journal=OD"))
    laptop.wait_for_selector("#entries >> text=VTE-", state="detached")
    assert "1 écriture sur la période." in laptop.inner_text("#entries")

    # Reversing asks first, then the page says what was posted.
    laptop.once("dialog", lambda dialog: dialog.accept())
    laptop.click(f"#entry-{charge.pk} >> text=Extourner")
    laptop.wait_for_selector("text=extournée par")
    reversal = Entry.objects.get(reversal_of=charge)
    assert f"Écriture {charge.reference} extournée par {reversal.reference}" in laptop.inner_text(
        "main"
    )
    assert laptop.locator(f"#entry-{charge.pk} >> text=Extourner").count() == 0
    assert laptop.input_value("#entries select[name=journal]") == "OD"  # the same view
    screenshot(laptop, "comptable-extourne")


def test_a_shopkeeper_records_the_days_z_ticket_on_a_phone(live_server, phone, shop, today):
    UserFactory(username="epiciere", role=User.Role.SHOPKEEPER, shops=[shop])
    log_in(phone, live_server, "epiciere", DEFAULT_PASSWORD)
    phone.click("header >> text=Caisse")
    phone.wait_for_url(f"{live_server.url}/caisse/")
    assert phone.input_value("input[name=date]") == today.isoformat()
    phone.fill("input[name=ttc_20]", "120,00")
    phone.fill("input[name=ttc_5_5]", "10,55")
    phone.fill("input[name=cash]", "30,00")
    phone.fill("input[name=card]", "100")
    phone.click("text=Enregistrer le ticket Z")
    phone.wait_for_load_state("networkidle")

    # Payments short of the sales: said below the payments, both totals named, typed kept.
    message = phone.inner_text("#payments-errors")
    assert (
        "Les règlements (130,00\u00a0€) ne correspondent pas au total des ventes "
        "(130,55\u00a0€)." in message
    )
    assert phone.input_value("input[name=cash]") == "30,00"
    assert phone.input_value("input[name=ttc_5_5]") == "10,55"
    assert not SalesDay.objects.exists()
    assert fits_the_width(phone)
    screenshot(phone, "caisse-erreur")

    phone.fill("input[name=cash]", "30,55")
    phone.click("text=Enregistrer le ticket Z")
    phone.wait_for_load_state("networkidle")
    assert f"Ticket Z du {today:%d/%m/%Y} enregistré : 130,55\u00a0€" in phone.inner_text("main")
    day = SalesDay.objects.get(shop=shop)
    assert day.entry.reference in phone.inner_text("table")
    assert phone.input_value("input[name=cash]") == ""  # a fresh form for the next day
    assert fits_the_width(phone)
    screenshot(phone, "caisse-ticket")


def test_the_books_and_a_manual_entry_fit_a_phone(live_server, phone, shop):
    UserFactory(username="compta", role=User.Role.ACCOUNTANT, shops=[shop])
    books_with_entries(shop)
    log_in(phone, live_server, "compta", DEFAULT_PASSWORD)
    phone.goto(f"{live_server.url}/comptable/{shop.pk}/")
    assert fits_the_width(phone)
    screenshot(phone, "comptable-livres-telephone")

    phone.click("text=Passer une écriture")
    phone.fill("input[name=label]", "Reclassement")
    phone.fill("input[name=piece_ref]", "NOTE-12")
    phone.fill("input[name=line1_account]", "658000")
    phone.fill("input[name=line1_debit]", "5,00")
    phone.fill("input[name=line2_account]", "512000")
    phone.fill("input[name=line2_credit]", "4,00")
    phone.click("text=Passer l'écriture")
    phone.wait_for_load_state("networkidle")
    assert "Écriture déséquilibrée" in phone.inner_text("#lines-errors")
    assert phone.input_value("input[name=line2_credit]") == "4,00"
    assert fits_the_width(phone)
    screenshot(phone, "comptable-ecriture-erreur")

    phone.fill("input[name=line2_credit]", "5,00")
    phone.click("text=Passer l'écriture")
    phone.wait_for_url(re.compile(r"/comptable/\d+/\?start="))
    assert "passée." in phone.inner_text(".messages")
    assert Entry.objects.filter(label="Reclassement").count() == 1
