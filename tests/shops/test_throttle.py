"""Issue 10, point 2 (and the login part of 15): one atomic throttle in front of every
way in: the API token, the login page, the Django admin, the password reset."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.db import connection
from django.test import Client, override_settings
from rest_framework.test import APIClient

from shops.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory

TOKEN = "/api/auth/token/"


class CountingHasher(MD5PasswordHasher):
    """The tests' hasher, counting the passwords it really checks."""

    checks = 0
    lock = threading.Lock()

    def verify(self, password, encoded):
        with CountingHasher.lock:
            CountingHasher.checks += 1
        return super().verify(password, encoded)


@pytest.fixture
def counted_checks(settings):
    settings.PASSWORD_HASHERS = ["tests.shops.test_throttle.CountingHasher"]
    CountingHasher.checks = 0
    return CountingHasher


def token(client, username, password, **extra):
    return client.post(TOKEN, {"username": username, "password": password}, format="json", **extra)


@pytest.mark.django_db(transaction=True)
def test_forty_parallel_wrong_passwords_get_at_most_the_limit_of_checks(counted_checks):
    UserFactory(username="cible", role=User.Role.SHOPKEEPER)
    start = threading.Barrier(40)

    def attempt(_):
        try:
            start.wait()
            return token(APIClient(), "cible", "mauvais-mot-de-passe").status_code
        finally:
            connection.close()  # each thread had its own connection

    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = Counter(pool.map(attempt, range(40)))

    assert counted_checks.checks <= 5
    assert statuses == {400: counted_checks.checks, 429: 40 - counted_checks.checks}
    assert statuses[400] == 5  # nothing was refused that the limit allowed


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_the_admin_login_is_throttled(client, coordinator, counted_checks):
    for _ in range(3):
        response = client.post("/admin/login/", {"username": "coord", "password": "faux"})
        assert response.status_code == 200  # the admin's own "incorrect" form
    response = client.post("/admin/login/", {"username": "coord", "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert "Trop de tentatives" in response.content.decode()
    assert counted_checks.checks == 3
    assert "_auth_user_id" not in client.session


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_the_login_page_is_throttled_in_french(client, shopkeeper, counted_checks):
    for _ in range(3):
        response = client.post("/connexion/", {"username": "epicier", "password": "faux"})
        assert "Identifiant ou mot de passe incorrect." in response.content.decode()
    response = client.post("/connexion/", {"username": "epicier", "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert "Trop de tentatives" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert counted_checks.checks == 3


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_the_paths_share_one_throttle(api, client, shopkeeper):
    client.post("/connexion/", {"username": "epicier", "password": "faux"})
    client.post("/admin/login/", {"username": "epicier", "password": "faux"})
    token(api, "epicier", "faux")
    assert token(api, "epicier", DEFAULT_PASSWORD).status_code == 429


@override_settings(LOGIN_FAILURE_LIMIT=2, LOGIN_ACCOUNT_FAILURE_LIMIT=4)
def test_locks_are_per_account_and_address_then_per_account(api, shopkeeper):
    a, b = {"REMOTE_ADDR": "10.0.0.1"}, {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(2):
        assert token(api, "epicier", "faux", **a).status_code == 400
    # The pair (account, A) is locked; the account itself is not: from B it works.
    assert token(api, "epicier", DEFAULT_PASSWORD, **a).status_code == 429
    assert token(api, "epicier", DEFAULT_PASSWORD, **b).status_code == 200
    assert token(api, "epicier", DEFAULT_PASSWORD, **a).status_code == 429

    # Spread over addresses, the failures add up on the account: locked from anywhere.
    for n in range(3, 5):
        for _ in range(2):
            assert token(api, "epicier", "faux", REMOTE_ADDR=f"10.0.0.{n}").status_code == 400
    response = token(api, "epicier", DEFAULT_PASSWORD, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429
    assert "Trop de tentatives" in response.json()["detail"]


@override_settings(LOGIN_FAILURE_LIMIT=2)
def test_a_success_starts_the_count_again(api, shopkeeper):
    token(api, "epicier", "faux")
    assert token(api, "epicier", DEFAULT_PASSWORD).status_code == 200
    token(api, "epicier", "faux")
    assert token(api, "epicier", DEFAULT_PASSWORD).status_code == 200


@override_settings(LOGIN_FAILURE_LIMIT=2)
def test_the_forwarded_address_is_ignored_unless_configured(api, shopkeeper):
    for n in range(2):
        token(api, "epicier", "faux", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = token(api, "epicier", DEFAULT_PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert response.status_code == 429  # one REMOTE_ADDR, whatever the header says


@override_settings(LOGIN_FAILURE_LIMIT=2, TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_the_forwarded_client_counts(api, shopkeeper):
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(2):
        token(api, "epicier", "faux", HTTP_X_FORWARDED_FOR="203.0.113.1", **proxy)
    # What the client wrote left of the proxy's entry proves nothing.
    assert (
        token(
            api,
            "epicier",
            DEFAULT_PASSWORD,
            HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.1",
            **proxy,
        ).status_code
        == 429
    )
    assert (
        token(
            api, "epicier", DEFAULT_PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.2", **proxy
        ).status_code
        == 200
    )
    from axes.models import AccessFailureLog

    assert set(AccessFailureLog.objects.values_list("ip_address", flat=True)) == {"203.0.113.1"}


def test_failures_are_recorded_with_name_and_address(api, shopkeeper):
    from axes.models import AccessFailureLog

    token(api, "epicier", "faux", REMOTE_ADDR="10.0.0.7")
    failure = AccessFailureLog.objects.get()
    assert (failure.username, failure.ip_address, failure.path_info) == (
        "epicier",
        "10.0.0.7",
        TOKEN,
    )


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
)
def test_logins_work_while_the_cache_is_down(api, client, shopkeeper):
    assert token(api, "epicier", DEFAULT_PASSWORD).status_code == 200
    assert token(api, "epicier", "faux").status_code == 400
    response = client.post("/connexion/", {"username": "epicier", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302


@override_settings(LOGIN_FAILURE_LIMIT=2, LOGIN_ACCOUNT_FAILURE_LIMIT=3)
def test_password_reset_requests_are_throttled(client, shopkeeper):
    shopkeeper.email = "epicier@example.org"
    shopkeeper.save()
    url = "/connexion/mot-de-passe/oublie/"
    for _ in range(2):
        assert client.post(url, {"email": "epicier@example.org"}).status_code == 302
    response = client.post(url, {"email": "epicier@example.org"})
    assert response.status_code == 429
    assert "Trop de demandes" in response.content.decode()
    assert len(mail.outbox) == 2
    # From another address the account has one request left, then none.
    other = Client(REMOTE_ADDR="10.0.0.5")
    assert other.post(url, {"email": "epicier@example.org"}).status_code == 302
    assert other.post(url, {"email": "epicier@example.org"}).status_code == 429
    # Another account from the first address is not concerned.
    assert client.post(url, {"email": "autre@example.org"}).status_code == 302
