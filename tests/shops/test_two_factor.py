"""Two-factor login with TOTP (issue 12, point 5; docs/security.md): enrolment on the
security page, the code after the password, django-otp's throttle of wrong codes, the
cooperative's requirement for coordinators, and the API token with "otp". Codes are
real: computed from the device's key as an authenticator app does."""

import time

import pytest
from django.test import Client, override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from shops.models import Cooperative, User
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.helpers import page_text


def code_of(device, *, steps_ahead=0) -> str:
    """The code an app shows now (or `steps_ahead` periods later) for this device."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def fresh(device):
    """Forget the last code used and the wrong ones (each test step then has a usable
    code: django-otp refuses a code twice, and waits after a wrong one)."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )
    device.refresh_from_db()
    return device


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Application", confirmed=True)


def log_in(client, username, password=DEFAULT_PASSWORD, next_url=""):
    query = f"?next={next_url}" if next_url else ""
    return client.post(f"/connexion/{query}", {"username": username, "password": password})


@pytest.fixture
def accountant_with_device(accountant):
    return accountant, enrolled(accountant)


def test_enrolment_shows_a_qr_code_and_a_secret_then_asks_a_first_code(client, accountant):
    client.force_login(accountant)
    page = page_text(client.get("/securite/"))
    assert "Activer la double authentification" in page
    client.post("/securite/", {"action": "start"})
    response = client.get("/securite/")
    html = response.content.decode()
    assert "<svg" in html and 'aria-label="Code QR à scanner"' in html
    device = TOTPDevice.objects.get(user=accountant)
    assert not device.confirmed
    assert response.context["secret"].replace(" ", "") in html.replace(" ", "")

    wrong = client.post("/securite/", {"action": "confirm", "code": "000000"})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["code"] == [
        "Code incorrect : saisissez les 6 chiffres affichés par votre application."
    ]
    assert 'value="000000"' in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed

    fresh(device)
    done = client.post("/securite/", {"action": "confirm", "code": code_of(device)}, follow=True)
    assert "Double authentification activée." in page_text(done)
    device.refresh_from_db()
    assert device.confirmed
    # This session gave the code: it stays usable.
    assert client.get("/comptable/").status_code == 200


def test_shopkeepers_have_no_security_page(client, shopkeeper):
    client.force_login(shopkeeper)
    assert client.get("/securite/").status_code == 403


def test_login_asks_the_code_after_the_password(accountant_with_device):
    accountant, device = accountant_with_device
    browser = Client()
    response = log_in(browser, "compta", next_url="/comptable/")
    assert response.status_code == 302 and response["Location"] == "/connexion/code/"
    # Not logged in yet.
    assert browser.get("/comptable/").status_code == 302
    assert "Code de connexion" in page_text(browser.get("/connexion/code/"))

    wrong = browser.post("/connexion/code/", {"code": "12345"})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["code"] == [
        "Code incorrect : saisissez les 6 chiffres affichés par votre application."
    ]
    assert browser.get("/comptable/").status_code == 302

    fresh(device)
    right = browser.post("/connexion/code/", {"code": code_of(device)})
    assert right.status_code == 302 and right["Location"] == "/comptable/"
    response = browser.get("/comptable/")
    assert response.status_code == 200
    assert response.wsgi_request.user.is_verified()


def test_a_code_is_refused_a_second_time(accountant_with_device):
    accountant, device = accountant_with_device
    code = code_of(device)
    first = Client()
    log_in(first, "compta")
    assert first.post("/connexion/code/", {"code": code}).status_code == 302
    second = Client()
    log_in(second, "compta")
    assert second.post("/connexion/code/", {"code": code}).status_code == 200


def test_wrong_codes_are_throttled(accountant_with_device):
    accountant, device = accountant_with_device
    browser = Client()
    log_in(browser, "compta")
    assert browser.post("/connexion/code/", {"code": "000000"}).status_code == 200
    # Right away, even the right code waits: django-otp's throttle (1, 2, 4... seconds).
    response = browser.post("/connexion/code/", {"code": code_of(device)})
    assert response.status_code == 429
    assert "Trop de tentatives" in page_text(response)
    assert browser.get("/comptable/").status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_the_code_page_needs_a_password_first(client, accountant_with_device):
    response = client.get("/connexion/code/")
    assert response.status_code == 302 and response["Location"] == "/connexion/"


def test_a_wrong_password_never_reaches_the_code(client, accountant_with_device):
    response = log_in(client, "compta", password="pas-le-bon")
    assert response.status_code == 200
    assert client.get("/connexion/code/").status_code == 302


def test_a_session_not_verified_by_a_code_is_ended(client, accountant):
    # A session opened with the password alone (before the device, or by another way in).
    client.force_login(accountant)
    assert client.get("/comptable/").status_code == 200
    enrolled(accountant)
    response = client.get("/comptable/")
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")
    assert client.get("/api/me/").status_code in (401, 403)


def test_the_device_is_turned_off_with_a_current_code(accountant_with_device):
    accountant, device = accountant_with_device
    browser = Client()
    log_in(browser, "compta")
    browser.post("/connexion/code/", {"code": code_of(device)})
    refused = browser.post("/securite/", {"action": "disable", "code": ""})
    assert refused.context["form"].errors["code"] == ["Ce champ est obligatoire."]
    fresh(device)
    response = browser.post("/securite/", {"action": "disable", "code": code_of(device)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=accountant).exists()
    response = log_in(Client(), "compta")
    assert response["Location"] == "/"


@pytest.fixture
def required(coop):
    Cooperative.objects.update(coordinators_need_two_factor=True)


def test_a_required_coordinator_must_enrol_before_any_page(client, coordinator, required):
    response = log_in(client, "coord")
    assert response.status_code == 302
    for url in ("/coordination/", "/coordination/membres/", "/comptable/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/securite/", url
    api = client.get("/api/me/")
    assert api.status_code == 403 and api.json()["code"] == "two_factor_required"
    assert "activez-la pour continuer" in page_text(client.get("/securite/"))

    client.post("/securite/", {"action": "start"})
    device = TOTPDevice.objects.get(user=coordinator)
    client.post("/securite/", {"action": "confirm", "code": code_of(device)})
    assert client.get("/coordination/").status_code == 200
    # Required: it cannot be turned off.
    fresh(device)
    response = client.post("/securite/", {"action": "disable", "code": code_of(device)})
    assert response.status_code == 409
    assert "exige la double authentification des coordinateurs" in page_text(response)
    assert TOTPDevice.objects.filter(user=coordinator, confirmed=True).exists()


def test_the_requirement_leaves_other_roles_alone(client, accountant, required):
    client.force_login(accountant)
    assert client.get("/comptable/").status_code == 200


def test_a_coordinator_removes_a_lost_device(client, coordinator, coop, accountant_with_device):
    accountant, device = accountant_with_device
    client.force_login(coordinator)
    assert "double authentification activée" in page_text(
        client.get(f"/coordination/personnes/{accountant.pk}/")
    )
    client.post(f"/coordination/personnes/{accountant.pk}/double-authentification/")
    assert not TOTPDevice.objects.filter(user=accountant).exists()
    assert log_in(Client(), "compta")["Location"] == "/"


# --- The API token --------------------------------------------------------------------


def token(api, **extra):
    return api.post(
        "/api/auth/token/",
        {"username": "compta", "password": DEFAULT_PASSWORD, **extra},
        format="json",
    )


def test_a_token_for_a_user_with_a_device_needs_the_code(api, accountant_with_device):
    accountant, device = accountant_with_device
    missing = token(api)
    assert missing.status_code == 400
    assert missing.json()["code"] == "otp_required" and missing.json()["otp"]
    wrong = token(api, otp="000000")
    assert wrong.status_code == 400 and wrong.json()["code"] == "otp_invalid"
    fresh(device)
    right = token(api, otp=code_of(device))
    assert right.status_code == 200 and right.json()["token"]


@override_settings(OTP_TOTP_THROTTLE_FACTOR=60)
def test_wrong_api_codes_are_throttled(api, accountant_with_device):
    accountant, device = accountant_with_device
    assert token(api, otp="000000").status_code == 400
    response = token(api, otp=code_of(device))
    assert response.status_code == 429 and "Retry-After" in response


def test_users_without_a_device_keep_the_contract(api, shopkeeper):
    response = api.post(
        "/api/auth/token/", {"username": "epicier", "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 200 and set(response.json()) == {"token"}


def test_a_coordinator_with_a_verified_session_uses_the_pages(client, coop):
    user = UserFactory(username="chef", role=User.Role.COORDINATOR)
    device = enrolled(user)
    log_in(client, "chef")
    client.post("/connexion/code/", {"code": code_of(device)})
    assert client.get("/coordination/membres/").status_code == 200


def test_the_admin_login_does_not_skip_the_code(client, coop):
    user = UserFactory(username="chef", role=User.Role.COORDINATOR)
    enrolled(user)
    client.post("/admin/login/", {"username": "chef", "password": DEFAULT_PASSWORD})
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")
    assert client.get("/coordination/").status_code == 302
