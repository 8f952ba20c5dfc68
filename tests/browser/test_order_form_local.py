"""The order form's local and organic filters in Chromium (docs/local-producers.md):
ticking a box hides the other products at once, without reloading the page, as the
same GET parameters do without JavaScript (tests/purchasing/test_order_form_local.py)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from shops.models import Cooperative, User
from tests.factories import UserFactory, biscuit_round

from .conftest import fits_the_width, log_in_as

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def catalogue(db):
    world = biscuit_round(
        closes_at=timezone.now() + dt.timedelta(days=1),
        cidre={"labels": ["IGP"], "origin": "Pays d'Auge"},
    )
    Cooperative.objects.update(hub_latitude=Decimal("48.11130"), hub_longitude=Decimal("-1.68"))
    supplier = world["supplier"]
    supplier.kind, supplier.commune, supplier.labels = "producer", "Saint-Malo", ["AB"]
    supplier.latitude, supplier.longitude = Decimal("48.6493"), Decimal("-2.0257")
    supplier.save()
    return world


def test_the_shopkeeper_filters_organic_then_local_products_as_she_ticks(
    live_server, phone, shop, catalogue
):
    galettes, cidre, round_ = catalogue["galettes"], catalogue["cidre"], catalogue["round"]
    keeper = UserFactory(role=User.Role.SHOPKEEPER, shops=[shop])
    log_in_as(phone.context, live_server, keeper)
    url = f"{live_server.url}/commandes/{round_.pk}/"
    phone.goto(url)
    expect(phone.locator("#supplier-place")).to_contain_text("Producteur · Saint-Malo")
    expect(phone.locator("#supplier-place")).to_contain_text("Local")
    expect(phone.locator(f"li:has([name=q{cidre.pk}]) .tags")).to_have_text("Pays d'Auge · IGP")

    phone.fill(f"[name=q{cidre.pk}]", "12")
    phone.check("#id_bio")
    expect(phone.locator(f"li:has([name=q{cidre.pk}])")).to_be_hidden()
    expect(phone.locator(f"li:has([name=q{galettes.pk}])")).to_be_visible()
    assert phone.url == url  # no reload: what was typed stays
    assert phone.input_value(f"[name=q{cidre.pk}]") == "12"

    phone.check("#id_local")
    expect(phone.locator(f"li:has([name=q{galettes.pk}])")).to_be_visible()
    phone.uncheck("#id_bio")
    expect(phone.locator(f"li:has([name=q{cidre.pk}])")).to_be_visible()
    assert fits_the_width(phone)

    # Out of the radius: « local » hides every product, and says none matches.
    Cooperative.objects.update(local_radius_km=10)
    phone.goto(url)
    phone.check("#id_local")
    expect(phone.locator(f"li:has([name=q{galettes.pk}])")).to_be_hidden()
    expect(phone.locator(f"li:has([name=q{cidre.pk}])")).to_be_hidden()
    expect(phone.locator("section.products")).to_be_hidden()  # left empty
    expect(phone.locator("#no-match")).to_be_visible()
