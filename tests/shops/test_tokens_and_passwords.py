"""Issue 10, point 5: a password change or reset, or a deactivation, revokes the user's
tokens and other sessions; idle tokens expire; passwords follow the validators."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token

from shops.models import User
from tests.factories import DEFAULT_PASSWORD

NEW_PASSWORD = "un-tout-nouveau-secret-73"


@pytest.fixture
def logged_in(shopkeeper, api):
    """The shopkeeper with an API token and a page session elsewhere."""
    client = api.as_user(shopkeeper)
    assert client.get("/api/me/").status_code == 200
    browser = Client()
    browser.force_login(shopkeeper)
    assert browser.get("/commerce/").status_code == 200
    return client, browser


def assert_revoked(shopkeeper, client, browser):
    assert not Token.objects.filter(user=shopkeeper).exists()
    assert client.get("/api/me/").status_code == 401
    response = browser.get("/commerce/")  # the session's auth hash no longer matches
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")


def test_a_password_changed_through_the_api_revokes_tokens_and_sessions(
    api, coordinator, shopkeeper, logged_in
):
    client, browser = logged_in
    response = Client()
    response.force_login(coordinator)
    assert (
        response.patch(
            f"/api/users/{shopkeeper.pk}/",
            {"password": NEW_PASSWORD},
            content_type="application/json",
        ).status_code
        == 200
    )
    assert_revoked(shopkeeper, client, browser)


def test_a_password_changed_on_the_command_line_revokes_tokens_and_sessions(
    shopkeeper, logged_in, monkeypatch
):
    client, browser = logged_in
    answers = iter([NEW_PASSWORD, NEW_PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda *args, **kwargs: next(answers))
    call_command("changepassword", "epicier", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert_revoked(shopkeeper, client, browser)


def test_a_password_changed_in_the_admin_revokes_tokens_and_sessions(
    client, admin_user, shopkeeper, logged_in
):
    api_client, browser = logged_in
    client.force_login(admin_user)
    response = client.post(
        f"/admin/shops/user/{shopkeeper.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert_revoked(shopkeeper, api_client, browser)


@override_settings(SITE_URL="https://mache.example.org")
def test_the_password_reset_sets_a_new_password_and_revokes_everything(
    client, shopkeeper, logged_in
):
    api_client, browser = logged_in
    shopkeeper.email = "epicier@example.org"
    shopkeeper.save()
    page = client.get("/connexion/").content.decode()
    assert "Mot de passe oublié ?" in page
    response = client.post("/connexion/mot-de-passe/oublie/", {"email": "epicier@example.org"})
    assert response.status_code == 302
    [message] = mail.outbox
    link = re.search(
        r"https://mache\.example\.org(/connexion/mot-de-passe/nouveau/\S+/)", message.body
    ).group(1)
    assert "testserver" not in message.body  # SITE_URL, not the request's Host
    form = client.get(link, follow=True)
    assert "Nouveau mot de passe" in form.content.decode()
    response = client.post(
        form.redirect_chain[-1][0], {"new_password1": " " * 8, "new_password2": " " * 8}
    )
    assert response.status_code == 200  # refused, said on the form
    response = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert "Mot de passe changé" in client.get(response["Location"]).content.decode()
    shopkeeper.refresh_from_db()
    assert shopkeeper.check_password(NEW_PASSWORD)
    assert_revoked(shopkeeper, api_client, browser)


def test_a_deactivated_user_loses_their_tokens(api, coordinator, shopkeeper, logged_in):
    api.as_user(coordinator).patch(
        f"/api/users/{shopkeeper.pk}/", {"is_active": False}, format="json"
    )
    assert not Token.objects.filter(user=shopkeeper).exists()


def test_a_login_does_not_revoke_the_users_tokens(api, shopkeeper):
    token = Token.objects.create(user=shopkeeper)
    assert (
        api.post(
            "/api/auth/token/", {"username": "epicier", "password": DEFAULT_PASSWORD}, format="json"
        ).json()["token"]
        == token.key
    )
    client = Client()
    client.post("/connexion/", {"username": "epicier", "password": DEFAULT_PASSWORD})
    assert Token.objects.filter(key=token.key).exists()


@override_settings(TOKEN_IDLE_TIMEOUT=3600)
def test_an_idle_token_expires(api, shopkeeper):
    client = api.as_user(shopkeeper)
    token = Token.objects.get(user=shopkeeper)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(hours=2))
    response = client.get("/api/me/")
    assert response.status_code == 401
    assert "expiré" in response.json()["detail"]
    assert not Token.objects.filter(pk=token.pk).exists()


@override_settings(TOKEN_IDLE_TIMEOUT=3600)
def test_a_used_token_stays_alive_and_records_its_use_once_a_minute(
    api, shopkeeper, django_assert_num_queries
):
    from shops.models import TokenActivity

    client = api.as_user(shopkeeper)
    token = Token.objects.get(user=shopkeeper)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(minutes=50))
    assert client.get("/api/me/").status_code == 200
    first = TokenActivity.objects.get(token=token).last_used_at
    assert timezone.now() - first < timedelta(minutes=1)
    with django_assert_num_queries(2):  # the token with its user and activity; the shops
        assert client.get("/api/me/").status_code == 200
    assert TokenActivity.objects.get(token=token).last_used_at == first
    # Used 50 minutes ago then: still valid an hour after the token was made.
    TokenActivity.objects.filter(token=token).update(
        last_used_at=timezone.now() - timedelta(minutes=50)
    )
    assert client.get("/api/me/").status_code == 200


@pytest.mark.parametrize("password", [" " * 8, " " * 12, "12345678", "password"])
def test_weak_passwords_are_refused_by_the_api(api, coordinator, shopkeeper, shop, password):
    client = api.as_user(coordinator)
    response = client.patch(f"/api/users/{shopkeeper.pk}/", {"password": password}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()
    created = client.post(
        "/api/users/",
        {"username": "nouvelle", "password": password, "role": "shopkeeper", "shops": [shop.pk]},
        format="json",
    )
    assert created.status_code == 400 and "password" in created.json()
    shopkeeper.refresh_from_db()
    assert shopkeeper.check_password(DEFAULT_PASSWORD)
    assert not User.objects.filter(username="nouvelle").exists()
