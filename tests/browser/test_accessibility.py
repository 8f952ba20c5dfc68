"""Accessibility in Chromium: every page type, for every visitor (anonymous, shopkeeper,
coordinator, accountant), on a phone and on a laptop, passes axe-core without a serious
or critical violation. The pages come from the URL walk (tests/browser/pages.py), so a
page added later is checked as soon as it is routed; a route that the walk cannot reach
fails the test by name. What is checked: docs/accessibility.md."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounting.models import Entry
from shops.models import User
from tests.factories import (
    DEFAULT_PASSWORD,
    CooperativeFactory,
    ShopFactory,
    UserFactory,
    build_shop_world,
)
from worker.models import TaskRun

from .axe import assert_accessible, axe_violations, describe
from .conftest import LAPTOP, PHONE, fits_the_width, log_in, log_in_as, screenshot
from .pages import named_values, route_of, site_routes, walk_site

DEVICES = {"phone": PHONE, "laptop": LAPTOP}
ROLES = (User.Role.SHOPKEEPER, User.Role.COORDINATOR, User.Role.ACCOUNTANT)


@pytest.fixture
def world(transactional_db):
    CooperativeFactory()
    world = build_shop_world(ShopFactory(name="Épicerie des Tilleuls"))
    world["coordinator"] = UserFactory(role=User.Role.COORDINATOR)
    # A run of the monthly reports, for its progress page.
    TaskRun.objects.create(id="rapports-essai", kind="reports", total=2, done=1)
    return world


def visitor_client(world, role) -> Client:
    client = Client()
    if role:
        client.force_login(world[role])
    return client


def open_context(browser, live_server, device, world, role):
    """A browser context on `device` with `role`'s user logged in (none: anonymous), and
    a test client sharing its session, for the walk."""
    context = browser.new_context(**DEVICES[device])
    client = log_in_as(context, live_server, world[role]) if role else Client()
    return context, client


def check_pages(page, live_server, urls) -> list[str]:
    problems = []
    for url in urls:
        response = page.goto(live_server.url + url)
        page.wait_for_load_state("load")
        problems += describe(axe_violations(page), f"{url} (HTTP {response.status}): ")
    return problems


# Each role on the screen it works on (docs/accessibility.md): shopkeepers and visitors
# on a phone, the accountant on a laptop, the coordinator on both. axe-core's rules
# (names, labels, contrast, ARIA) do not depend on the width; what does (reflow, tap
# targets) has tests of its own below. Every pair costs a walk of the whole site.
SCREENS = [
    ("phone", None),
    ("phone", User.Role.SHOPKEEPER),
    ("laptop", User.Role.ACCOUNTANT),
    ("phone", User.Role.COORDINATOR),
    ("laptop", User.Role.COORDINATOR),
]


@pytest.mark.parametrize(
    ("device", "role"), SCREENS, ids=[f"{role or 'anonyme'}-{device}" for device, role in SCREENS]
)
def test_every_page_passes_axe(live_server, browser, world, device, role):
    named = named_values(world["shopkeeper"])
    context, client = open_context(browser, live_server, device, world, role)
    try:
        walk = walk_site(client, named=named)
        # Pages an anonymous visitor sees too (login, password reset): checked once, anonymously.
        public = walk_site(Client(), named=named).reached if role else {}
        urls = [url for url in walk.pages if route_of(url) not in public]
        if role == User.Role.SHOPKEEPER:
            urls += ["/coordination/", "/n-existe-pas/"]  # the 403 and 404 pages
        assert len(urls) >= (3 if role is None else 4), walk.reached
        problems = check_pages(context.new_page(), live_server, urls)
    finally:
        context.close()
    assert problems == [], f"{len(urls)} pages, axe-core found:\n" + "\n".join(problems)


def halfway_through_two_factor(world) -> Client:
    """A visitor who typed the right password and is asked for the code of her app."""
    user = UserFactory(role=User.Role.ACCOUNTANT, username="deux-facteurs")
    TOTPDevice.objects.create(user=user, name="Téléphone", confirmed=True)
    client = Client()
    response = client.post("/connexion/", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith("/connexion/code/")
    return client


def test_the_second_factor_step_passes_axe(live_server, browser, world):
    halfway = halfway_through_two_factor(world)
    context = browser.new_context(**PHONE)
    cookie = halfway.cookies["sessionid"]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    page = context.new_page()
    page.goto(live_server.url + "/connexion/code/")
    expect(page.locator("main")).to_contain_text("code")
    assert_accessible(page)
    page.click("button[type=submit]")  # sent empty: the error beside the field
    page.wait_for_load_state("load")
    assert page.locator(".errorlist").count() >= 1
    assert_accessible(page)
    context.close()


def test_every_route_is_reached_by_some_visitor(world):
    """A page type the walk cannot reach (a parameter no object fills) is named here,
    instead of being left out of the accessibility checks in silence."""
    reached = {}
    visitors = [visitor_client(world, role) for role in (None, *ROLES)]
    for client in [*visitors, halfway_through_two_factor(world)]:
        walk = walk_site(client, named=named_values(world["shopkeeper"]))
        for route, kind in walk.reached.items():
            reached.setdefault(route, kind)
    unreached = [route for route in site_routes() if route not in reached]
    assert unreached == [], "routes the accessibility walk cannot fill: " + ", ".join(unreached)
    assert {"page"} <= set(reached.values())


# --- Tap targets on a phone -----------------------------------------------------------

# What a finger taps on a phone: the header's links and buttons, every control of a form,
# the links styled as buttons and the disclosure of a <details>. Links inside running text
# (a paragraph, a table cell) are exempt (WCAG 2.5.8's inline exception).
TAPPABLE = (
    "header.top a, header.top button, form button, form select, form textarea, "
    "form input:not([type=hidden]), form a, main a.button, summary"
)
MEASURE = """selector => [...document.querySelectorAll(selector)]
  .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
  .filter(e => !e.classList.contains('skip-link'))
  .map(e => { const r = e.getBoundingClientRect();
    return {what: e.outerHTML.slice(0, 80), type: e.type || '', w: r.width, h: r.height}; })"""
SMALL_BOXES = ("checkbox", "radio")  # 24 x 24 (WCAG 2.5.8), their label widens the target


def small_targets(page) -> tuple[int, list[str]]:
    """(how many targets were measured, those smaller than they should be)."""
    boxes = page.evaluate(MEASURE, TAPPABLE)
    small = []
    for box in boxes:
        least = 24 if box["type"] in SMALL_BOXES else 44
        if box["w"] < least - 0.5 or box["h"] < least - 0.5:
            small.append(f"{box['w']:.0f}x{box['h']:.0f}: {box['what']}")
    return len(boxes), small


def key_pages(world) -> dict:
    shop, round_id = world["shop"], world["order"].round_id
    return {
        None: ["/connexion/", "/connexion/mot-de-passe/oublie/"],
        User.Role.SHOPKEEPER: [
            "/commerce/",
            reverse("shop-order", args=[round_id]),
            reverse("shop-stock-count"),
            reverse("shop-till"),
        ],
        User.Role.COORDINATOR: [
            reverse("coord-rounds"),
            reverse("coord-round", args=[world["past_order"].round_id]),
            reverse("coord-reports"),
        ],
        User.Role.ACCOUNTANT: [
            reverse("acc-books", args=[shop.pk]),
            reverse("acc-entry-new", args=[shop.pk]),
        ],
    }


def test_tap_targets_are_44_px_on_a_phone(live_server, browser, world):
    problems = []
    for role, urls in key_pages(world).items():
        context, _client = open_context(browser, live_server, "phone", world, role)
        page = context.new_page()
        for url in urls:
            page.goto(live_server.url + url)
            page.wait_for_load_state("load")
            assert fits_the_width(page), url
            measured, small = small_targets(page)
            assert measured >= 2, url  # at least the header's link and a control
            problems += [f"{url}: {target}" for target in small]
            screenshot(page, "tap-" + url.strip("/").replace("/", "-"))
        context.close()
    assert problems == [], "targets smaller than 44 x 44 CSS px:\n" + "\n".join(problems)


# --- The keyboard alone -----------------------------------------------------------------

FOCUSED = """() => { const e = document.activeElement; if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  return {tag: e.tagName, name: e.name || '', id: e.id, text: (e.innerText || '').trim(),
          outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
          shadow: s.boxShadow !== 'none'}; }"""


def tab_to(page, wanted, *, limit=80) -> dict:
    """Press Tab until the focused element satisfies `wanted`; every element the focus
    lands on on the way must show it (an outline, :focus-visible in app.css)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue
        assert focused["outline"] or focused["shadow"], f"focus not visible on {focused}"
        if wanted(focused):
            return focused
    raise AssertionError(f"never reached by Tab in {limit} presses")


TABBABLE = """() => [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]'
  )].filter(e => e.tabIndex >= 0 && !e.disabled && e.getClientRects().length)"""


def no_keyboard_trap(context, url):
    """Tab from the top reaches every control of the page in turn: none keeps the focus
    (on a page of its own, the focus leaving it at the end)."""
    page = context.new_page()
    page.goto(url)
    count = page.evaluate(f"({TABBABLE})().length")
    where = f"() => ({TABBABLE})().indexOf(document.activeElement)"
    reached = set()
    for _ in range(count * 5 + 5):  # a date field takes a few presses (day, month, year)
        page.keyboard.press("Tab")
        reached.add(page.evaluate(where))
        if len(reached - {-1}) == count:
            break
    assert reached - {-1} == set(range(count)), f"{url}: Tab reached {sorted(reached)} of {count}"
    page.close()


def test_log_in_with_the_keyboard_alone(live_server, browser, world):
    context = browser.new_context(**PHONE)
    no_keyboard_trap(context, f"{live_server.url}/connexion/")
    page = context.new_page()
    page.goto(f"{live_server.url}/connexion/")
    assert page.evaluate(FOCUSED)["name"] == "username"  # autofocus: type at once
    page.keyboard.type(world["shopkeeper"].username)
    tab_to(page, lambda f: f["name"] == "password")
    page.keyboard.type(DEFAULT_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/commerce/")
    context.close()


def test_order_a_line_with_the_keyboard_alone(live_server, browser, world):
    order = world["order"]
    line = order.lines.get()
    context, _client = open_context(browser, live_server, "phone", world, "shopkeeper")
    url = live_server.url + reverse("shop-order", args=[order.round_id])
    no_keyboard_trap(context, url)
    page = context.new_page()
    page.goto(url)
    skip = tab_to(page, lambda f: True)  # the first stop: the skip link
    assert skip["text"] == "Aller au contenu", skip
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"
    tab_to(page, lambda f: f["name"] == f"q{line.product_id}")
    page.keyboard.press("Control+A")
    page.keyboard.type("5")
    tab_to(page, lambda f: f["tag"] == "BUTTON" and "Enregistrer" in f["text"])
    page.keyboard.press("Space")
    page.wait_for_load_state("load")
    expect(page.locator(".messages:not(.recall-banner)")).to_contain_text("Commande enregistrée.")
    assert order.lines.get().quantity == 5
    context.close()


def test_a_manual_entry_with_the_keyboard_alone(live_server, browser, world):
    shop = world["shop"]
    context, _client = open_context(browser, live_server, "laptop", world, "accountant")
    url = live_server.url + reverse("acc-entry-new", args=[shop.pk])
    no_keyboard_trap(context, url)
    page = context.new_page()
    page.goto(url)
    for name, text in (
        ("piece_ref", "NOTE-7"),
        ("label", "Reclassement au clavier"),
        ("line1_account", "658000"),
        ("line1_debit", "5,00"),
        ("line2_account", "512000"),
        ("line2_credit", "5,00"),
    ):
        tab_to(page, lambda f, name=name: f["name"] == name)
        page.keyboard.type(text)
    page.keyboard.press("Enter")  # submits the form from a text field
    page.wait_for_url(re.compile(r"/comptable/\d+/\?start="))
    assert Entry.objects.filter(label="Reclassement au clavier").count() == 1
    context.close()


def test_forms_showing_their_errors_pass_axe(live_server, browser, world):
    """The walk sees forms empty; a form sent wrong shows its errors beside the fields,
    and stays accessible."""
    context, _client = open_context(browser, live_server, "phone", world, None)
    page = context.new_page()
    log_in(page, live_server, world["shopkeeper"].username, "pas-le-bon")
    assert "Identifiant ou mot de passe incorrect." in page.inner_text("main")
    assert_accessible(page)
    context.close()
    context, _client = open_context(browser, live_server, "phone", world, "accountant")
    page = context.new_page()
    page.goto(live_server.url + reverse("acc-entry-new", args=[world["shop"].pk]))
    page.click("text=Passer l'écriture")
    page.wait_for_load_state("load")
    assert page.locator(".errorlist").count() >= 1
    assert_accessible(page)
    context.close()
