"""Browser tests: Playwright driving the system's Chromium (Debian package `chromium`,
installed by .ci/run; no browser download) against pytest-django's live server."""

import os
from pathlib import Path

import pytest

from tests.helpers import ARTEFACTS

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "fr-FR",
    "timezone_id": "Europe/Paris",
}
LAPTOP = {
    "viewport": {"width": 1280, "height": 800},
    "locale": "fr-FR",
    "timezone_id": "Europe/Paris",
}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_beside_playwright():
    # Playwright's sync API runs an event loop in this thread; the tests' own ORM calls
    # (fixtures, checks) are synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run .ci/run (it installs Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    yield context.new_page()
    context.close()


@pytest.fixture
def laptop(browser):
    context = browser.new_context(accept_downloads=True, **LAPTOP)
    yield context.new_page()
    context.close()


def log_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/connexion/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def fits_the_width(page) -> bool:
    """No horizontal scroll of the whole page (wide tables scroll inside .table-wrap)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def screenshot(page, name: str) -> Path:
    ARTEFACTS.mkdir(exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in_as(context, live_server, user):
    """Log `user` in without the login page: a session made by Django's test client,
    its cookie given to the browser context (no password typed, no throttle counted).
    Returns the test client, which shares the session."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    return client
