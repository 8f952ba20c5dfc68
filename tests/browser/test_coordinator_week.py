"""The coordinator's week in Chromium, from the pages only (issue 12, point 10): open a
round, watch it fill as a shopkeeper orders on her phone, remind the shops that have not
ordered, consolidate on the real worker, confirm (the supplier gets the purchase order by
e-mail), receive with a shortfall; then admit a new shop and invite its shopkeeper, who
chooses her password from the e-mailed link and orders. Run on a phone and on a laptop;
screenshots in artefacts/."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from purchasing.models import Invoice, Order, Round, SupplierOrder
from shops.models import Shop, User
from tests.factories import (
    DEFAULT_PASSWORD,
    CooperativeFactory,
    ProductFactory,
    ShopFactory,
    SupplierFactory,
    UserFactory,
    make_siret,
)

from .conftest import LAPTOP, PHONE, fits_the_width, log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "Tournesol-du-marche-42"


def wait_for(predicate, timeout=60.0):
    """The worker delivers e-mails on its own threads: wait for what it does."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def week(db):
    CooperativeFactory(hub_address="Plateforme MACHE, ZA du Lindon, 35630 Hédé-Bazouges")
    supplier = SupplierFactory(
        name="Laiterie de la Vallée",
        email="commandes@laiterie.example",
        min_order_amount=Decimal("30.00"),
    )
    yaourts = ProductFactory(
        supplier=supplier,
        name="Yaourts fermiers nature",
        sku="YAO-4",
        case_size=6,
        unit_price=Decimal("2.40"),
    )
    beurre = ProductFactory(
        supplier=supplier,
        name="Beurre demi-sel",
        sku="BEU-250",
        case_size=10,
        unit_price=Decimal("2.10"),
    )
    romazy = ShopFactory(name="Épicerie de Romazy", email="romazy@example.org")
    bazouges = ShopFactory(name="Bar-épicerie de Bazouges", email="bazouges@example.org")
    UserFactory(username="claire", role=User.Role.SHOPKEEPER, shops=[romazy])
    UserFactory(role=User.Role.SHOPKEEPER, shops=[bazouges], email="gerant@bazouges.example")
    UserFactory(username="coordo", role=User.Role.COORDINATOR)
    return {"supplier": supplier, "yaourts": yaourts, "beurre": beurre, "romazy": romazy}


def paris(moment: dt.datetime) -> str:
    """A datetime-local input's value, Paris time."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("device", ["phone", "laptop"])
def test_the_coordinators_week(live_server, live_worker, browser, week, device):
    shape = PHONE if device == "phone" else LAPTOP
    coord_ctx = browser.new_context(accept_downloads=True, **shape)
    shop_ctx = browser.new_context(**PHONE)
    newcomer_ctx = browser.new_context(**PHONE)
    coord, shopkeeper, newcomer = (
        coord_ctx.new_page(),
        shop_ctx.new_page(),
        newcomer_ctx.new_page(),
    )
    coord.on("dialog", lambda dialog: dialog.accept())
    try:
        _week(live_server, coord, shopkeeper, newcomer, week, device)
    finally:
        for context in (coord_ctx, shop_ctx, newcomer_ctx):
            context.close()
        # The next test starts on an emptied database: let the worker finish this
        # week's e-mails first (the worker runs on threads of this process).
        from celery.worker import state

        wait_for(lambda: not state.active_requests, timeout=30)


def _week(live_server, coord, shopkeeper, newcomer, week, device):
    supplier, yaourts, beurre = week["supplier"], week["yaourts"], week["beurre"]
    main = coord.locator("main")

    # Monday: the coordinator opens a round from the pages.
    log_in(coord, live_server, "coordo", DEFAULT_PASSWORD)
    coord.goto(f"{live_server.url}/coordination/tournees/")
    now = timezone.now()
    coord.select_option("#id_supplier", str(supplier.pk))
    coord.fill("#id_opens_at", paris(now - dt.timedelta(minutes=5)))
    coord.fill("#id_closes_at", paris(now - dt.timedelta(hours=1)))  # a deadline past
    coord.fill("#id_delivery_date", (now + dt.timedelta(days=4)).date().isoformat())
    coord.click("text=Ouvrir la tournée")
    # Refused beside the field, what was typed kept, nothing written.
    expect(coord.locator(".field-error", has=coord.locator("#id_closes_at"))).to_be_visible()
    assert coord.input_value("#id_delivery_date") == (now + dt.timedelta(days=4)).date().isoformat()
    assert not Round.objects.exists()
    coord.fill("#id_closes_at", paris(now + dt.timedelta(days=2)))
    coord.click("text=Ouvrir la tournée")
    round_ = Round.objects.get(supplier=supplier)
    expect(main).to_contain_text("Laiterie de la Vallée")
    assert fits_the_width(coord)
    screenshot(coord, f"week-1-round-opened-{device}")

    # Tuesday: Claire orders on her phone; the coordinator's page shows the fill.
    log_in(shopkeeper, live_server, "claire", DEFAULT_PASSWORD)
    shopkeeper.goto(f"{live_server.url}/commandes/{round_.pk}/")
    shopkeeper.fill(f"[name=q{yaourts.pk}]", "6")
    shopkeeper.fill(f"[name=q{beurre.pk}]", "10")
    shopkeeper.click("button:has-text('Enregistrer')")
    expect(shopkeeper.locator(".messages")).to_contain_text("Commande enregistrée.")
    screenshot(shopkeeper, f"week-2-claire-orders-{device}")

    coord.goto(f"{live_server.url}/coordination/tournees/{round_.pk}/")
    fill = coord.locator("tr", has_text="Yaourts fermiers nature")
    expect(fill).to_contain_text("complet")
    # Who has not ordered: Bazouges; one click e-mails it (shop and shopkeeper).
    missing = coord.locator("#missing-shops")
    expect(missing).to_contain_text("1 commerce actif sans commande")
    expect(missing).to_contain_text("Bar-épicerie de Bazouges")
    mail.outbox.clear()
    coord.click("text=Relancer ces commerces")
    expect(coord.locator(".messages")).to_contain_text("1 commerce relancé")
    assert wait_for(lambda: len(mail.outbox) == 1)
    assert sorted(mail.outbox[0].to) == ["bazouges@example.org", "gerant@bazouges.example"]
    assert fits_the_width(coord)
    screenshot(coord, f"week-3-fill-and-reminder-{device}")

    # Wednesday: consolidated on the worker; the page shows the new state.
    mail.outbox.clear()
    coord.click("text=Consolider maintenant")
    expect(coord.locator("#task-progress")).to_contain_text(
        "Consolidation terminée.", timeout=30_000
    )
    expect(coord.locator("#round-status")).not_to_have_text("Ouverte")
    coord.reload()
    expect(main).not_to_contain_text("si la tournée fermait maintenant")
    supplier_order = SupplierOrder.objects.get(round=round_)
    # 6 yaourts at 2,40 and 10 beurres at 2,10 = 35,40 € HT, over the 30 € minimum:
    # confirmed by consolidation, and the purchase order goes to the supplier.
    assert supplier_order.status == SupplierOrder.Status.CONFIRMED
    assert wait_for(lambda: any(m.to == [supplier.email] for m in mail.outbox))
    [to_supplier] = [m for m in mail.outbox if m.to == [supplier.email]]
    [(name, content, mimetype)] = to_supplier.attachments
    assert mimetype == "application/pdf" and content.startswith(b"%PDF")
    coord.reload()
    expect(coord.locator("#purchase-order-sent")).to_contain_text(
        "Bon de commande envoyé à commandes@laiterie.example le"
    )
    screenshot(coord, f"week-4-consolidated-{device}")

    # Friday: the delivery is two yaourts short.
    coord.click("text=Saisir la réception")
    coord.fill(f"#id_r{yaourts.pk}", "4")
    coord.fill(f"#id_lot{yaourts.pk}", "L4811")
    coord.click("text=Enregistrer la réception et facturer")
    expect(main).to_contain_text("Réception enregistrée : 1 facture émise")
    expect(main).to_contain_text("manque 2")
    invoice = Invoice.objects.get(shop=week["romazy"])
    yaourt_line = invoice.lines.get(product=yaourts)
    assert yaourt_line.quantity == 4
    assert fits_the_width(coord)
    screenshot(coord, f"week-5-receipt-{device}")

    # A new shop: recorded as a candidate, then admitted.
    coord.goto(f"{live_server.url}/coordination/membres/nouveau/")
    coord.fill("#id_name", "Épicerie de Tinténiac")
    coord.fill("#id_legal_name", "SARL Tinténiac Proxi")
    coord.fill("#id_siret", make_siret())
    coord.fill("#id_postcode", "35190")
    coord.fill("#id_commune", "Tinténiac")
    coord.fill("#id_contact_name", "Sophie Le Gall")
    coord.fill("#id_phone", "02 99 00 00 00")
    coord.fill("#id_email", "tinteniac@example.org")
    coord.fill("#id_opening_hours", "Mar-sam 8h-12h30, 15h-19h")
    coord.click("text=Enregistrer le candidat")
    newshop = Shop.objects.get(name="Épicerie de Tinténiac")
    assert newshop.status == Shop.Status.CANDIDATE
    coord.click("text=Admettre…")
    coord.click("button:has-text('Admettre')")
    expect(main).to_contain_text("Actif")
    newshop.refresh_from_db()
    assert newshop.status == Shop.Status.ACTIVE
    assert fits_the_width(coord)
    screenshot(coord, f"week-6-shop-admitted-{device}")

    # Its shopkeeper is invited by e-mail and chooses her password from the link.
    mail.outbox.clear()
    coord.goto(f"{live_server.url}/coordination/personnes/inviter/")
    coord.fill("#id_username", "sophie")
    coord.fill("#id_email", "sophie@tinteniac.example")
    coord.fill("#id_first_name", "Sophie")
    coord.fill("#id_last_name", "Le Gall")
    coord.select_option("#id_role", User.Role.SHOPKEEPER)
    coord.check(f"input[name=shops][value='{newshop.pk}']")
    coord.click("text=Envoyer l'invitation")
    expect(coord.locator(".messages")).to_contain_text("sophie")
    screenshot(coord, f"week-7-invited-{device}")
    assert wait_for(lambda: any("sophie@tinteniac.example" in m.to for m in mail.outbox))
    [invitation] = [m for m in mail.outbox if "sophie@tinteniac.example" in m.to]
    # The link is on SITE_URL; the live server listens elsewhere: keep its path.
    path = re.search(r"https?://[^/\s]+(/\S+)", invitation.body).group(1)
    newcomer.goto(live_server.url + path)
    newcomer.fill("#id_new_password1", NEW_PASSWORD)
    newcomer.fill("#id_new_password2", NEW_PASSWORD)
    newcomer.click("text=Enregistrer mon mot de passe")
    screenshot(newcomer, f"week-8-password-chosen-{device}")

    # Next week's round, cloned from this one; she logs in and orders in it.
    coord.goto(f"{live_server.url}/coordination/tournees/{round_.pk}/cloner/")
    now = timezone.now()
    coord.fill("#id_opens_at", paris(now - dt.timedelta(minutes=5)))
    coord.fill("#id_closes_at", paris(now + dt.timedelta(days=3)))
    coord.fill("#id_delivery_date", (now + dt.timedelta(days=5)).date().isoformat())
    coord.click("text=Ouvrir la tournée")
    next_round = Round.objects.get(supplier=supplier, status=Round.Status.OPEN)
    assert next_round.pk != round_.pk
    log_in(newcomer, live_server, "sophie", NEW_PASSWORD)
    newcomer.goto(f"{live_server.url}/commandes/{next_round.pk}/")
    newcomer.fill(f"[name=q{beurre.pk}]", "10")
    newcomer.click("button:has-text('Enregistrer')")
    expect(newcomer.locator(".messages")).to_contain_text("Commande enregistrée.")
    assert Order.objects.get(round=next_round, shop=newshop).lines.get().quantity == 10
    assert fits_the_width(newcomer)
    screenshot(newcomer, f"week-9-newcomer-orders-{device}")
