"""The coordinator's people pages (issue 12, point 5; docs/members.md): the list without
superusers, changes of role and shops, deactivation that revokes a real token and a real
session, reactivation, and the cooperative's two-factor setting."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from rest_framework.authtoken.models import Token

from shops.models import Cooperative, User
from tests.factories import DEFAULT_PASSWORD, ShopFactory, UserFactory
from tests.helpers import page_text


@pytest.fixture
def coord_client(client, coordinator, coop):
    client.force_login(coordinator)
    return client


def test_people_is_for_coordinators_and_hides_superusers(
    client, coordinator, shopkeeper, accountant, coop
):
    UserFactory(username="root", is_superuser=True, role=User.Role.COORDINATOR)
    client.force_login(coordinator)
    page = page_text(client.get("/coordination/personnes/"))
    assert "epicier" in page and "compta" in page and "root" not in page
    root = User.objects.get(username="root")
    assert client.get(f"/coordination/personnes/{root.pk}/").status_code == 404
    assert client.post(f"/coordination/personnes/{root.pk}/desactiver/").status_code == 404
    assert User.objects.get(username="root").is_active
    for user in (shopkeeper, accountant):
        client.force_login(user)
        assert client.get("/coordination/personnes/").status_code == 403
        assert client.get(f"/coordination/personnes/{coordinator.pk}/").status_code == 403


def test_the_nav_links_people_and_security_and_hides_the_admin(coord_client):
    html = coord_client.get("/coordination/personnes/").content.decode()
    assert 'href="/coordination/personnes/"' in html and 'href="/securite/"' in html
    assert 'href="/admin/"' not in html  # the admin is the superuser's maintenance


def test_role_and_shops_are_changed(coord_client, shopkeeper, shop):
    other = ShopFactory(name="Fromagerie de Tremblay")
    response = coord_client.post(
        f"/coordination/personnes/{shopkeeper.pk}/",
        {
            "first_name": "Yann",
            "last_name": "Le Goff",
            "email": "yann@example.org",
            "role": "accountant",
            "shops": [shop.pk, other.pk],
        },
    )
    assert response.status_code == 302
    shopkeeper.refresh_from_db()
    assert shopkeeper.role == User.Role.ACCOUNTANT and shopkeeper.first_name == "Yann"
    assert set(shopkeeper.shops.all()) == {shop, other}


def test_the_phone_is_shown_and_changed_on_the_persons_page(coord_client, shopkeeper, shop):
    """User.phone, one of the contact fields an anonymisation erases
    (docs/personal-data.md), is typed on the person's page."""
    User.objects.filter(pk=shopkeeper.pk).update(phone="02 99 00 11 22")
    page = coord_client.get(f"/coordination/personnes/{shopkeeper.pk}/").content.decode()
    assert 'name="phone"' in page and 'value="02 99 00 11 22"' in page
    assert 'type="tel"' in page
    response = coord_client.post(
        f"/coordination/personnes/{shopkeeper.pk}/",
        {"phone": "06 12 34 56 78", "role": "shopkeeper", "shops": [shop.pk]},
    )
    assert response.status_code == 302
    shopkeeper.refresh_from_db()
    assert shopkeeper.phone == "06 12 34 56 78"
    response = coord_client.post(
        f"/coordination/personnes/{shopkeeper.pk}/",
        {"phone": "0" * 31, "role": "shopkeeper", "shops": [shop.pk]},
    )
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    shopkeeper.refresh_from_db()
    assert shopkeeper.phone == "06 12 34 56 78"


def test_a_shopkeeper_without_shop_is_refused_beside_the_field(coord_client, shopkeeper, shop):
    response = coord_client.post(
        f"/coordination/personnes/{shopkeeper.pk}/",
        {"first_name": "Nouveau prénom", "email": "pas-une-adresse", "role": "shopkeeper"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["email"] == ["Saisissez une adresse e-mail valide."]
    assert 'value="Nouveau prénom"' in response.content.decode()
    response = coord_client.post(
        f"/coordination/personnes/{shopkeeper.pk}/",
        {"first_name": "Nouveau prénom", "role": "shopkeeper"},
    )
    assert response.context["form"].errors["shops"] == [
        "Un commerçant ou un comptable doit avoir au moins un commerce."
    ]
    shopkeeper.refresh_from_db()
    assert shopkeeper.first_name == "" and list(shopkeeper.shops.all()) == [shop]


def test_a_coordinator_cannot_change_their_own_role_nor_deactivate_themselves(
    coord_client, coordinator
):
    response = coord_client.post(
        f"/coordination/personnes/{coordinator.pk}/", {"role": "shopkeeper", "shops": []}
    )
    assert response.context["form"].errors["role"] == [
        "Vous ne pouvez pas changer votre propre rôle."
    ]
    response = coord_client.post(
        f"/coordination/personnes/{coordinator.pk}/desactiver/", follow=True
    )
    assert "Vous ne pouvez pas désactiver votre propre compte." in page_text(response)
    coordinator.refresh_from_db()
    assert coordinator.is_active and coordinator.role == User.Role.COORDINATOR


def test_deactivation_revokes_a_real_token_and_a_real_session(coord_client, shopkeeper, api):
    # A token got through the API, and a session opened through the login page.
    token = api.post(
        "/api/auth/token/", {"username": "epicier", "password": DEFAULT_PASSWORD}, format="json"
    ).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/me/").status_code == 200
    browser = Client()
    browser.post("/connexion/", {"username": "epicier", "password": DEFAULT_PASSWORD})
    assert browser.get("/commerce/").status_code == 200
    sessions_before = Session.objects.count()

    response = coord_client.post(f"/coordination/personnes/{shopkeeper.pk}/desactiver/")
    assert response.status_code == 302

    assert api.get("/api/me/").status_code == 401
    assert not Token.objects.filter(user=shopkeeper).exists()
    response = browser.get("/commerce/")
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")
    assert Session.objects.count() == sessions_before - 1  # the session itself is gone

    # Reactivated: the old session stays dead; the password works again.
    coord_client.post(f"/coordination/personnes/{shopkeeper.pk}/reactiver/")
    shopkeeper.refresh_from_db()
    assert shopkeeper.is_active
    assert browser.get("/commerce/").status_code == 302
    assert (
        api.post(
            "/api/auth/token/",
            {"username": "epicier", "password": DEFAULT_PASSWORD},
            format="json",
        ).status_code
        == 200
    )


def test_state_changes_answer_only_a_post(coord_client, shopkeeper):
    assert (
        coord_client.get(f"/coordination/personnes/{shopkeeper.pk}/desactiver/").status_code == 405
    )
    shopkeeper.refresh_from_db()
    assert shopkeeper.is_active


def test_the_coordinator_sets_the_two_factor_requirement(coord_client):
    page = page_text(coord_client.get("/coordination/personnes/"))
    assert "Exiger la double authentification des coordinateurs" in page
    coord_client.post("/coordination/personnes/", {"coordinators_need_two_factor": "on"})
    assert Cooperative.get().coordinators_need_two_factor
    # The coordinator (no device yet) is now sent to enrol before anything else.
    response = coord_client.get("/coordination/personnes/")
    assert response.status_code == 302 and response["Location"] == "/securite/"


def test_a_deactivation_through_the_api_ends_the_sessions_too(api, coordinator, shopkeeper):
    browser = Client()
    browser.post("/connexion/", {"username": "epicier", "password": DEFAULT_PASSWORD})
    assert browser.get("/commerce/").status_code == 200
    response = api.as_user(coordinator).patch(
        f"/api/users/{shopkeeper.pk}/", {"is_active": False}, format="json"
    )
    assert response.status_code == 200
    assert not Session.objects.exists() or all(
        s.get_decoded().get("_auth_user_id") != str(shopkeeper.pk) for s in Session.objects.all()
    )
    api.patch(f"/api/users/{shopkeeper.pk}/", {"is_active": True}, format="json")
    assert browser.get("/commerce/").status_code == 302
