"""A shopkeeper's morning on a phone (360 px): the stock with its alert, a loss (the
table is redrawn in place by htmx), a count, then the monthly report downloaded."""

import datetime as dt

import pytest
from django.utils import timezone

from inventory.models import StockBalance
from tests.factories import (
    DEFAULT_PASSWORD,
    REPORT_PDF,
    ProductFactory,
    ready_report,
    receive_stock,
)
from worker.models import Report

from .conftest import fits_the_width, log_in, screenshot


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def stocked(shop):
    butter = ProductFactory(name="Beurre demi-sel")
    cream = ProductFactory(name="Crème fraîche épaisse de Normandie")
    today = timezone.localdate()
    receive_stock(shop, butter, 10, "1.2000", lot="B1", expires_on=today + dt.timedelta(days=1))
    receive_stock(shop, cream, 6, "2.3500", lot="C7", expires_on=today + dt.timedelta(days=20))
    return {"butter": butter, "cream": cream}


def quantity_in_table(page, product) -> str:
    return page.inner_text(f'#stock-table tr[data-product="{product.pk}"] td.num >> nth=0')


def test_a_shopkeeper_records_a_loss_and_a_count_then_downloads_a_report_on_a_phone(
    live_server, phone, shop, shopkeeper, stocked, media
):
    butter, cream = stocked["butter"], stocked["cream"]
    ready_report(shop)

    log_in(phone, live_server, "epicier", DEFAULT_PASSWORD)
    assert phone.url == f"{live_server.url}/commerce/"
    assert "1 lot périme" in phone.inner_text("main")
    screenshot(phone, "stock-home-phone")

    phone.click("header nav >> text=Stock")
    phone.wait_for_url(f"{live_server.url}/stock/")
    alerts = phone.inner_text("#alertes")
    assert "Beurre demi-sel" in alerts and "B1" in alerts and "C7" not in alerts
    assert quantity_in_table(phone, butter) == "10"
    assert fits_the_width(phone)
    screenshot(phone, "stock-alert-phone")

    # More than in stock: said beside the quantity, what was typed kept, nothing changed.
    phone.select_option("select[name=product]", str(butter.pk))
    phone.fill("input[name=quantity]", "12")
    phone.select_option("select[name=reason]", "expired")
    phone.click("text=Enregistrer la perte")
    phone.wait_for_selector("form .field-error .errorlist")
    assert "10 en stock, 12 demandés" in phone.inner_text(".field-error")
    assert phone.input_value("input[name=quantity]") == "12"
    assert quantity_in_table(phone, butter) == "10"
    screenshot(phone, "stock-loss-error-phone")

    phone.fill("input[name=quantity]", "3")
    phone.click("text=Enregistrer la perte")
    phone.wait_for_selector("text=Perte enregistrée : 3 × Beurre demi-sel (périmé).")
    assert quantity_in_table(phone, butter) == "7"
    assert phone.url == f"{live_server.url}/stock/"  # redrawn in place, not reloaded
    assert fits_the_width(phone)
    screenshot(phone, "stock-loss-phone")

    # The product's lots, and a minimum above what is left: a second alert.
    phone.click(f'#stock-table tr[data-product="{butter.pk}"] a')
    phone.wait_for_url(f"{live_server.url}/stock/produits/{butter.pk}/?shop={shop.pk}")
    assert "B1" in phone.inner_text("main") and "Perte (périmé)" in phone.inner_text("main")
    phone.fill("input[name=minimum]", "8")
    phone.click("text=Enregistrer")
    phone.wait_for_selector("text=Stock minimum de Beurre demi-sel : 8 unités.")
    assert fits_the_width(phone)
    screenshot(phone, "stock-product-phone")
    phone.click("text=← Stock")
    assert "Produits sous le stock minimum" in phone.inner_text("#alertes")

    phone.click("text=Faire un inventaire")
    phone.wait_for_url(f"{live_server.url}/stock/inventaire/?shop={shop.pk}")
    phone.fill(f"input[name=counted_{cream.pk}]", "5")
    assert fits_the_width(phone)
    screenshot(phone, "stock-count-phone")
    phone.click("text=Enregistrer l'inventaire")
    phone.wait_for_url(f"{live_server.url}/stock/?shop={shop.pk}")
    assert "1 produit compté, 1 écart corrigé" in phone.inner_text(".messages")
    assert quantity_in_table(phone, cream) == "5"
    assert StockBalance.objects.get(shop=shop, product=cream).quantity == 5

    phone.click("header nav >> text=Rapports")
    phone.wait_for_url(f"{live_server.url}/rapports/")
    assert fits_the_width(phone)
    screenshot(phone, "reports-phone")
    with phone.expect_download() as download:
        phone.click("text=Télécharger le PDF")
    assert download.value.suggested_filename.startswith("rapport-epicerie-de-romazy-")
    with open(download.value.path(), "rb") as handle:
        assert handle.read() == REPORT_PDF


def test_a_coordinator_follows_members_and_a_month_of_reports_on_a_laptop(
    live_server, laptop, phone, coop, shop, other_shop, coordinator, media
):
    from worker.reports.build import report_build

    shop.commune = "Romazy"
    shop.save()
    log_in(laptop, live_server, "coord", DEFAULT_PASSWORD)
    assert laptop.url == f"{live_server.url}/coordination/"
    screenshot(laptop, "coord-home-laptop")

    laptop.click("header nav >> text=Membres")
    laptop.fill("input[name=q]", "romazy")
    laptop.click("text=Filtrer")
    laptop.wait_for_url("**/coordination/membres/?q=romazy*")
    assert laptop.input_value("input[name=q]") == "romazy"
    assert "Boucherie Étrangère" not in laptop.inner_text("main")
    laptop.click("text=Épicerie de Romazy")
    assert "Modifier la fiche" in laptop.inner_text("main")
    screenshot(laptop, "coord-member-laptop")

    laptop.click("header nav >> text=Rapports")
    laptop.click("text=Choisir des commerces")
    laptop.check(f"input[name=shops][value='{shop.pk}']")
    laptop.click("button:text('Générer')")
    laptop.wait_for_selector("text=0 rapport prêt sur 1")
    assert "Génération en cours" in laptop.inner_text("#run")
    screenshot(laptop, "coord-reports-progress-laptop")

    # The worker's part, done here: the page polls, sees the run finished and reloads.
    report_build(report_id=Report.objects.get(shop=shop).pk)
    laptop.wait_for_selector("text=Génération terminée", timeout=15_000)
    assert "1 rapport prêt sur 1" in laptop.inner_text("#run")
    assert "Prêt" in laptop.inner_text("table")
    screenshot(laptop, "coord-reports-done-laptop")

    log_in(phone, live_server, "coord", DEFAULT_PASSWORD)
    phone.goto(f"{live_server.url}/coordination/membres/")
    assert fits_the_width(phone)
    screenshot(phone, "coord-members-phone")
    phone.goto(f"{live_server.url}/coordination/rapports/")
    assert fits_the_width(phone)
    screenshot(phone, "coord-reports-phone")
