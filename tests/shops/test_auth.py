import pytest
from django.test import override_settings
from rest_framework.authtoken.models import Token

from tests.factories import DEFAULT_PASSWORD


def test_a_user_gets_a_token_that_opens_the_api(api, shopkeeper):
    response = api.post(
        "/api/auth/token/", {"username": "epicier", "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=shopkeeper).key == token

    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/me/").json() == {
        "username": "epicier",
        "role": "shopkeeper",
        "shops": [shopkeeper.shops.get().id],
    }


def test_no_token_is_401(api, db):
    assert api.get("/api/me/").status_code == 401
    assert api.get("/api/shops/").status_code == 401


def test_a_bad_token_is_401(api, db):
    api.credentials(HTTP_AUTHORIZATION="Token 0000")
    assert api.get("/api/me/").status_code == 401


def test_session_auth_works_for_the_pages(client, shopkeeper):
    client.force_login(shopkeeper)
    assert client.get("/api/me/").json()["username"] == "epicier"


@pytest.mark.parametrize(
    "credentials",
    [{"username": "epicier", "password": "wrong"}, {"username": "nobody", "password": "x"}],
)
def test_wrong_credentials_do_not_say_which_part_was_wrong(api, shopkeeper, credentials):
    response = api.post("/api/auth/token/", credentials, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Identifiant ou mot de passe incorrect."]}
    assert not Token.objects.exists()


def test_missing_fields_are_named(api, db):
    response = api.post("/api/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_an_inactive_user_cannot_log_in(api, shopkeeper):
    shopkeeper.is_active = False
    shopkeeper.save()
    response = api.post(
        "/api/auth/token/", {"username": "epicier", "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 400


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_repeated_failures_are_throttled_even_with_the_right_password_then(api, shopkeeper):
    for _ in range(3):
        assert (
            api.post(
                "/api/auth/token/", {"username": "epicier", "password": "nope"}, format="json"
            ).status_code
            == 400
        )
    response = api.post(
        "/api/auth/token/", {"username": "epicier", "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 429
    assert "Trop de tentatives" in response.json()["detail"]
    assert not Token.objects.exists()


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_throttling_one_name_does_not_lock_out_another(api, shopkeeper, accountant):
    for _ in range(3):
        api.post("/api/auth/token/", {"username": "epicier", "password": "nope"}, format="json")
    response = api.post(
        "/api/auth/token/", {"username": "compta", "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 200


@override_settings(LOGIN_FAILURE_LIMIT=2)
def test_one_address_trying_many_names_does_not_lock_the_address(api, shopkeeper):
    # Behind the production proxy every client may share one address: locking it would
    # lock out everyone. Each name gets its own attempts.
    for n in range(8):
        for _ in range(2):
            api.post("/api/auth/token/", {"username": f"guess{n}", "password": "x"}, format="json")
    assert (
        api.post(
            "/api/auth/token/", {"username": "guess0", "password": "x"}, format="json"
        ).status_code
        == 429
    )
    response = api.post(
        "/api/auth/token/", {"username": "epicier", "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 200
