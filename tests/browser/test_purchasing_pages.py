"""The purchasing pages in Chromium: a shopkeeper orders on a phone and sees the case fill
up and the totals change as she types, then her allocation after the deadline; the
coordinator consolidates through a real worker and records a short delivery."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from purchasing.models import Invoice, Order, Round, SupplierOrder
from purchasing.services.consolidation import round_consolidate
from purchasing.services.receipt import supplier_order_receive
from shops.models import User
from tests.factories import (
    DEFAULT_PASSWORD,
    UserFactory,
    biscuit_round,
    make_order,
)
from tests.helpers import eur

from .axe import assert_accessible
from .conftest import fits_the_width, log_in, screenshot

# live_server already makes the database transactional; the worker needs it too (it
# reads through its own connections, so only committed rows).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def catalogue(db):
    # The round of the page tests (tests/purchasing/test_pages.py), its products named
    # as on a shelf.
    return biscuit_round(
        min_order_amount="20.00",
        closes_at=timezone.now() + dt.timedelta(days=1, hours=2),
        galettes={"name": "Galettes au beurre", "sku": "GAL-250", "unit_label": "sachet"},
        cidre={"name": "Cidre brut fermier", "sku": "CID-75", "unit_label": "bouteille"},
    )


def test_a_shopkeeper_orders_on_a_phone_then_sees_the_allocation(
    live_server, phone, shop, catalogue
):
    galettes, cidre, round_ = catalogue["galettes"], catalogue["cidre"], catalogue["round"]
    UserFactory(username="epiciere", role=User.Role.SHOPKEEPER, shops=[shop])
    log_in(phone, live_server, "epiciere", DEFAULT_PASSWORD)
    phone.click("nav >> text=Commandes")
    expect(phone.locator("main")).to_contain_text("Biscuiterie de Rimou")
    expect(phone.locator("main")).to_contain_text("reste 1 j 1 h")
    phone.click("text=Commander")
    phone.wait_for_url(f"{live_server.url}/commandes/{round_.pk}/")

    # The bare fields get their label, placeholder and keyboard from order_form.js.
    quantity = phone.locator(f"[name=q{galettes.pk}]")
    expect(quantity).to_have_attribute("aria-label", "Quantité : Galettes au beurre")
    expect(quantity).to_have_attribute("inputmode", "numeric")
    expect(quantity).to_have_attribute("placeholder", "Qté")
    expect(phone.locator(f"[name=t{galettes.pk}]")).to_have_attribute(
        "aria-label", "Tolérance : Galettes au beurre"
    )
    expect(phone.get_by_label("Quantité : Cidre brut fermier")).to_have_count(1)

    # Before typing: the other shop's 4 sachets fill 4/6 of the group's case, 2 missing.
    fill = phone.locator(f"#f{galettes.pk}")
    assert fill.evaluate("e => e.style.getPropertyValue('--g')") == "66%"
    expect(fill).to_have_text("manque 2")
    expect(fill).to_be_visible()
    expect(phone.locator(f"#f{cidre.pk}")).to_be_hidden()  # nothing to say yet
    assert phone.inner_text("#shop-excl") == eur("0,00 €")
    expect(phone.locator("#order-totals")).to_contain_text("minimum 20,00\u00a0€ non atteint")

    # Typing: the case fills up and the totals follow, without saving anything.
    phone.fill(f"[name=q{galettes.pk}]", "2")
    # The group's words, then the shop's on a line of their own (app.css).
    expect(fill).to_have_text(eur("1 colis vous 2 u. · 5,00 €"), use_inner_text=True)
    expect(fill.locator("b")).to_have_text(eur("vous 2 u. · 5,00 €"))
    assert fill.evaluate("e => e.style.getPropertyValue('--g')") == "100%"
    # What the shop would be invoiced: 5.00 of goods, 8.33 of shipping, 0.10 of fee.
    expect(phone.locator("#shop-excl")).to_have_text(eur("13,43 €"))
    phone.fill(f"[name=q{cidre.pk}]", "12")
    expect(phone.locator("#shop-goods")).to_have_text(eur("17,00 €"))
    # + shipping 15.74 (25.00 x 17 / 27) + fee 0.34; VAT 0.53 + 4.69
    expect(phone.locator("#shop-excl")).to_have_text(eur("33,08 €"))
    expect(phone.locator("#shop-incl")).to_have_text(eur("38,30 €"))
    expect(phone.locator("#order-totals")).to_contain_text("minimum 20,00\u00a0€ atteint")
    assert not Order.objects.filter(shop=shop).exists()
    assert fits_the_width(phone)
    assert_accessible(phone)  # the fills as the estimate swapped them
    screenshot(phone, "purchasing-order-phone")

    phone.click("text=Enregistrer ma commande")
    expect(phone.locator(".messages")).to_contain_text("Commande enregistrée.")
    order = Order.objects.get(shop=shop)
    assert sorted(order.lines.values_list("product_id", "quantity")) == sorted(
        [(galettes.pk, 2), (cidre.pk, 12)]
    )
    assert phone.input_value(f"[name=q{galettes.pk}]") == "2"
    expect(phone.locator(f"#f{cidre.pk}")).to_have_text(
        eur("1 colis vous 12 u. · 12,00 €"), use_inner_text=True
    )

    # The same in whole sentences: the gauge and the fill follow the typing, the detail
    # kept through the estimate and the save.
    phone.click("text=Le détail en phrases")
    phone.wait_for_url(f"{live_server.url}/commandes/{round_.pk}/?detail=1")
    fill = phone.locator(f"#f{galettes.pk}")
    expect(fill).to_have_attribute("data-gauge", "100")
    expect(fill).to_contain_text("Colis complet.")
    expect(fill).to_contain_text("Vous recevriez 2 unités ;")
    phone.fill(f"[name=q{galettes.pk}]", "0")
    expect(fill).to_have_attribute("data-gauge", "66")
    assert fill.locator(".gauge > span").evaluate("e => e.style.width") == "66%"
    expect(fill).to_contain_text("Il manque 2 unités au groupe pour un premier colis.")
    phone.fill(f"[name=q{galettes.pk}]", "2")
    expect(fill).to_have_attribute("data-gauge", "100")
    assert fill.locator(".gauge > span").evaluate("e => e.style.width") == "100%"
    expect(fill).to_contain_text("Colis complet.")
    assert fits_the_width(phone)
    assert_accessible(phone)
    screenshot(phone, "purchasing-order-detail-phone")
    phone.click("text=Enregistrer ma commande")
    phone.wait_for_url(f"{live_server.url}/commandes/{round_.pk}/?detail=1")
    expect(phone.locator(".messages")).to_contain_text("Commande enregistrée.")
    expect(phone.locator(f"#f{galettes.pk}")).to_contain_text("Colis complet.")

    # The deadline passes; the worker's job is done here directly.
    Round.objects.filter(pk=round_.pk).update(closes_at=timezone.now() - dt.timedelta(minutes=1))
    round_consolidate(round_id=round_.pk)
    phone.reload()
    main = phone.locator("main")
    expect(main).to_contain_text("Commandes closes le")
    expect(main).to_contain_text("Ce que votre commerce reçoit")
    row = phone.locator("tr", has_text="Galettes au beurre")
    assert row.locator("td.num").all_inner_texts() == ["2", "2", "à venir"]
    assert phone.locator(f"[name=q{galettes.pk}]").count() == 0
    assert fits_the_width(phone)
    screenshot(phone, "purchasing-allocation-phone")

    phone.click("text=← Mes commandes")
    expect(phone.locator("main")).to_contain_text("Cidre brut fermier")
    assert fits_the_width(phone)
    screenshot(phone, "purchasing-history-phone")

    # Delivered in full: the invoice is listed with its PDF.
    supplier_order_receive(
        supplier_order_id=SupplierOrder.objects.get(round=round_).pk, received={}
    )
    invoice = Invoice.objects.get(shop=shop)
    phone.click("nav >> text=Factures")
    card = phone.locator(f"#invoice-{invoice.pk}")
    expect(card).to_contain_text(invoice.number)
    expect(card).to_contain_text(eur(f"{invoice.total_incl_vat} €".replace(".", ",")) + " TTC")
    pdf = phone.request.get(
        live_server.url + card.get_by_role("link", name="Télécharger le PDF").get_attribute("href")
    )
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert fits_the_width(phone)
    screenshot(phone, "purchasing-invoices-phone")


def test_a_coordinator_consolidates_and_records_a_short_delivery(
    live_server, live_worker, laptop, shop, catalogue
):
    galettes, cidre, round_ = catalogue["galettes"], catalogue["cidre"], catalogue["round"]
    make_order(round_, shop, (galettes, 8, 0), (cidre, 12, 2))
    UserFactory(username="coordo", role=User.Role.COORDINATOR)
    log_in(laptop, live_server, "coordo", DEFAULT_PASSWORD)
    laptop.click("nav >> text=Tournées")
    expect(laptop.locator("main")).to_contain_text("Biscuiterie de Rimou")
    laptop.click("main >> text=Biscuiterie de Rimou")
    expect(laptop.locator("main")).to_contain_text("Remplissage par produit")

    laptop.on("dialog", lambda dialog: dialog.accept())
    laptop.click("text=Consolider maintenant")
    expect(laptop.locator("#task-progress")).to_be_visible()
    screenshot(laptop, "purchasing-consolidation-progress-laptop")
    # The worker consolidates; the polled progress turns into a link to the result.
    expect(laptop.locator("#task-progress")).to_contain_text(
        "Consolidation terminée.", timeout=30_000
    )
    laptop.click("text=Voir la consolidation")
    supplier_order = SupplierOrder.objects.get(round=round_)
    main = laptop.locator("main")
    expect(main).to_contain_text(f"Commande fournisseur n°{supplier_order.pk}")
    expect(main).to_contain_text("Confirmée")

    laptop.click("text=Saisir la réception")
    # Over what was ordered: said beside the field, nothing recorded.
    laptop.fill(f"#id_r{galettes.pk}", "13")
    laptop.click("text=Enregistrer la réception et facturer")
    expect(laptop.locator(f"#receipt-{galettes.pk} .errorlist")).to_have_text(
        "Au plus 12 unités (commandées)."
    )
    assert not Invoice.objects.exists()
    screenshot(laptop, "purchasing-receipt-form-laptop")
    # Two sachets short.
    laptop.fill(f"#id_r{galettes.pk}", "10")
    laptop.fill(f"#id_lot{galettes.pk}", "L2611")
    laptop.click("text=Enregistrer la réception et facturer")
    expect(main).to_contain_text("Réception enregistrée : 2 factures émises")
    expect(main).to_contain_text("manque 2")
    expect(main).to_contain_text("Factures des commerces")
    for invoice in Invoice.objects.all():
        expect(main).to_contain_text(invoice.number)
    assert SupplierOrder.objects.get(pk=supplier_order.pk).status == "received"
    screenshot(laptop, "purchasing-receipt-laptop")
