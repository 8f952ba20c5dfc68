"""A recall on a shopkeeper's phone (issue 17, point 7; docs/recalls.md): the banner on
their pages, the recall's page, the withdrawal confirmed, the banner gone."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inventory.models import StockBalance, StockMovement
from inventory.recalls import recall_create
from shops.models import User
from tests.factories import CooperativeFactory, ProductFactory, UserFactory, receive_stock

from .conftest import fits_the_width, log_in_as, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_shopkeeper_confirms_a_recall_on_a_phone(live_server, phone, shop):
    CooperativeFactory()
    product = ProductFactory(name="Rillettes de canard 180 g")
    receive_stock(shop, product, 6, "3.1000", lot="RC-0815", expires_on=timezone.localdate())
    receive_stock(shop, product, 4, "3.1000", lot="RC-0990")
    keeper = UserFactory(role=User.Role.SHOPKEEPER, shops=[shop])
    recall_create(product=product, lot="RC-0815", reason="Botulisme suspecté", user=None)
    log_in_as(phone.context, live_server, keeper)

    phone.goto(f"{live_server.url}/stock/")
    banner = phone.locator(".recall-banner")
    expect(banner).to_contain_text("Rappel du lot RC-0815 de Rillettes de canard 180 g")
    assert fits_the_width(phone)
    banner.get_by_role("link", name="confirmez le retrait").click()

    expect(phone.locator("h1")).to_have_text("Rappel du lot RC-0815")
    expect(phone.locator("main")).to_contain_text("Botulisme suspecté")
    screenshot(phone, "recall-phone")
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.get_by_role("button", name="Confirmer le retrait").click()
    expect(phone.locator(".messages li.success")).to_contain_text(
        "Retrait confirmé pour Épicerie de Romazy : 6 unités retirées du stock."
    )
    expect(phone.locator(".recall-banner")).to_have_count(0)
    assert fits_the_width(phone)

    movement = StockMovement.objects.get(shop=shop, kind="recall")
    assert movement.quantity == -6
    assert StockBalance.objects.get(shop=shop, product=product).quantity == 4
