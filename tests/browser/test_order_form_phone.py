"""The order form on a 360 x 740 phone (issue 12, point 7): the header and the sticky bar
leave most of the screen to the products, a refused submit brings the first error into
view above the sticky bar with the cursor in its field, and the search filters as one
types."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from purchasing.models import Order
from shops.models import User
from tests.factories import DEFAULT_PASSWORD, ProductFactory, UserFactory, biscuit_round

from .axe import assert_accessible
from .conftest import ARTEFACTS, fits_the_width, log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

CHROME_SHARE = 0.35  # header + sticky bar: at most this share of the screen's height


@pytest.fixture
def round_with_a_shelf(db):
    world = biscuit_round(
        min_order_amount="20.00",
        closes_at=timezone.now() + dt.timedelta(days=1, hours=2),
        galettes={"name": "Galettes au beurre", "category": "Épicerie sucrée"},
        cidre={"name": "Cidre brut fermier", "category": "Boissons"},
    )
    # Enough products for the page to scroll well past one screen.
    world["shelf"] = [
        ProductFactory(
            supplier=world["supplier"],
            name=f"Confiture n° {n}",
            sku=f"CONF-{n}",
            category="Épicerie sucrée",
        )
        for n in range(1, 9)
    ]
    return world


def chrome_heights(page) -> dict:
    return page.evaluate(
        """() => ({
            header: document.querySelector("header.top").getBoundingClientRect().height,
            bar: document.querySelector(".totals").getBoundingClientRect().height,
            viewport: window.innerHeight,
        })"""
    )


def test_the_order_form_leaves_the_phone_screen_to_the_products(
    live_server, phone, shop, round_with_a_shelf
):
    world = round_with_a_shelf
    UserFactory(username="epiciere", role=User.Role.SHOPKEEPER, shops=[shop])
    log_in(phone, live_server, "epiciere", DEFAULT_PASSWORD)
    phone.goto(f"{live_server.url}/commandes/{world['round'].pk}/")

    heights = chrome_heights(phone)
    assert heights["viewport"] == 740
    assert heights["header"] + heights["bar"] < CHROME_SHARE * heights["viewport"], heights
    # One line each: the navigation scrolls sideways, the bar holds the total and the button
    # (a line is a 44 px tap target and its padding: a second line would pass 88 px).
    assert heights["header"] < 64, heights
    assert heights["bar"] < 64, heights
    assert fits_the_width(phone)
    assert phone.evaluate(
        "() => { const t = document.getElementById('order-totals');"
        " return t.scrollWidth <= t.clientWidth; }"
    ), "the sticky bar's total is cut"
    ARTEFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTEFACTS / "order-form-phone-screen.png"))

    # Instant search: only the matching products stay in sight, without a reload, and a
    # category left without any is hidden with its title.
    def row(product):
        return phone.locator(f"li:has([name=q{product.pk}])")

    sweet = phone.locator('section[data-category="Épicerie sucrée"]')
    phone.fill("#id_q", "cidre")
    expect(row(world["cidre"])).to_be_visible()
    expect(row(world["galettes"])).to_be_hidden()
    expect(sweet).to_be_hidden()
    # By reference (the small print's first part) and by category (the section's).
    phone.fill("#id_q", "conf-1")
    expect(row(world["shelf"][0])).to_be_visible()
    expect(row(world["shelf"][1])).to_be_hidden()
    expect(row(world["cidre"])).to_be_hidden()
    phone.fill("#id_q", "boissons")
    expect(row(world["cidre"])).to_be_visible()
    expect(sweet).to_be_hidden()
    phone.fill("#id_q", "")
    expect(sweet).to_be_visible()
    phone.select_option("#id_categorie", "Boissons")
    expect(row(world["shelf"][0])).to_be_hidden()
    expect(sweet).to_be_hidden()
    phone.select_option("#id_categorie", "")
    expect(row(world["shelf"][-1])).to_be_visible()
    expect(sweet).to_be_visible()

    # A bad quantity far down the list: after the refused submit, its error is on screen,
    # above the sticky bar, the cursor in its field, and what was typed is still there.
    last = world["shelf"][-1]
    phone.fill(f"[name=q{world['galettes'].pk}]", "2")
    phone.fill(f"[name=q{last.pk}]", "-3")
    phone.click(".totals button[type=submit]")
    phone.wait_for_load_state("networkidle")
    expect(phone.locator(f"li:has([name=q{last.pk}])")).to_contain_text("Pas de nombre négatif.")
    assert phone.input_value(f"[name=q{last.pk}]") == "-3"
    assert phone.input_value(f"[name=q{world['galettes'].pk}]") == "2"
    expect(phone.locator(f"[name=q{last.pk}]")).to_be_focused()
    placement = phone.evaluate(
        f"""() => {{
            const error = document.querySelector("li:has([name=q{last.pk}]) .field-error");
            const box = error.getBoundingClientRect();
            const bar = document.querySelector(".totals").getBoundingClientRect();
            return {{top: box.top, bottom: box.bottom, barTop: bar.top}};
        }}"""
    )
    assert placement["top"] >= 0, placement
    assert placement["bottom"] <= placement["barTop"], placement
    # The field in error is shown in full, with its label naming the product, and the
    # page stays accessible.
    expect(phone.get_by_label(f"Quantité : {last.name}", exact=True)).to_have_value("-3")
    assert_accessible(phone)
    phone.screenshot(path=str(ARTEFACTS / "order-form-phone-error.png"))
    screenshot(phone, "order-form-phone-error-full")
    assert not Order.objects.filter(shop=shop).exists()
