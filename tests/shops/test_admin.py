import pytest

from shops.models import Shop, User
from tests.factories import DEFAULT_PASSWORD, ShopFactory, UserFactory


@pytest.fixture
def coordinator(db):
    """The Django admin is for a superuser's maintenance (docs/security.md): its tests
    log in as one, who acts as a coordinator everywhere else."""
    return UserFactory(
        username="maintenance", role=User.Role.COORDINATOR, is_superuser=True, is_staff=True
    )


def test_a_coordinator_uses_the_admin_to_search_and_filter_shops(client, coordinator):
    ShopFactory(name="Boulangerie du Plain", commune="Saint-Rémy-du-Plain", status="active")
    ShopFactory(name="Épicerie solidaire", commune="Rennes", status="candidate")
    client.force_login(coordinator)
    page = client.get("/admin/shops/shop/?q=Plain")
    assert page.status_code == 200
    assert "Boulangerie du Plain" in page.content.decode()
    assert "Épicerie solidaire" not in page.content.decode()
    filtered = client.get("/admin/shops/shop/?status__exact=candidate").content.decode()
    assert "Épicerie solidaire" in filtered and "Boulangerie du Plain" not in filtered


def test_a_shop_page_lists_the_users_who_see_it(client, coordinator, shop, shopkeeper):
    client.force_login(coordinator)
    page = client.get(f"/admin/shops/shop/{shop.id}/change/").content.decode()
    assert "utilisateurs ayant accès" in page.lower()
    assert f'value="{shopkeeper.id}"' in page


def test_a_coordinator_edits_a_shop_in_the_admin(client, coordinator, shop):
    client.force_login(coordinator)
    response = client.post(
        f"/admin/shops/shop/{shop.id}/change/",
        {
            "name": shop.name,
            "legal_name": shop.legal_name,
            "siret": "88364454400009",
            "kind": "epicerie",
            "postcode": "35490",
            "commune": "Romazy",
            "zone": "rural",
            "status": "active",
            "shares": 4,
            "User_shops-TOTAL_FORMS": 0,
            "User_shops-INITIAL_FORMS": 0,
        },
    )
    # The Luhn check holds in the admin too: the form comes back with the error.
    assert response.status_code == 200
    assert "clé de contrôle" in response.content.decode()
    assert Shop.objects.get(pk=shop.pk).siret == shop.siret


def test_shopkeepers_and_accountants_are_kept_out_of_the_admin(client, shopkeeper):
    client.force_login(shopkeeper)
    assert client.get("/admin/shops/shop/").status_code == 302


@pytest.mark.parametrize("role", [User.Role.COORDINATOR, User.Role.ACCOUNTANT])
def test_only_a_superuser_opens_the_admin(client, shopkeeper, role):
    """The coordinator runs the cooperative from the pages; the admin is maintenance."""
    person = UserFactory(role=role)
    client.force_login(person)
    for url in ("/admin/", "/admin/shops/user/", f"/admin/shops/user/{shopkeeper.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    # Through the admin's own login form too: the session opens, the admin stays shut.
    client.logout()
    client.post("/admin/login/", {"username": person.username, "password": DEFAULT_PASSWORD})
    response = client.get("/admin/shops/shop/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_a_shop_added_in_the_admin_gets_its_ledger(client, coordinator):
    client.force_login(coordinator)
    response = client.post(
        "/admin/shops/shop/add/",
        {
            "name": "Épicerie de Bazouges",
            "legal_name": "SARL Bazouges",
            "siret": "88364454400008",
            "kind": "epicerie",
            "postcode": "35560",
            "commune": "Bazouges",
            "zone": "rural",
            "status": "candidate",
            "shares": 1,
            "User_shops-TOTAL_FORMS": 1,
            "User_shops-INITIAL_FORMS": 0,
            "User_shops-0-user": coordinator.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    shop = Shop.objects.get(siret="88364454400008")
    assert shop.ledger.kind == "shop"  # written by shops.services.shop_create
    assert list(shop.users.all()) == [coordinator]  # the inline saved with it


def test_a_user_added_and_promoted_in_the_admin_follows_the_services(client, coordinator):
    client.force_login(coordinator)
    response = client.post(
        "/admin/shops/user/add/",
        {
            "username": "nouvelle",
            "password1": "Une-phrase-longue-42",
            "usable_password": "true",
            "password2": "Une-phrase-longue-42",
            "role": "shopkeeper",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="nouvelle")
    assert user.check_password("Une-phrase-longue-42") and not user.is_staff

    response = client.post(
        f"/admin/shops/user/{user.pk}/change/",
        {
            "username": "nouvelle",
            "first_name": "",
            "last_name": "",
            "email": "",
            "role": "coordinator",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert user.role == "coordinator" and user.is_staff  # staff follows the role

    # The admin's password page goes through the service: a weak password is refused.
    response = client.post(
        f"/admin/shops/user/{user.pk}/password/",
        {"password1": "azerty", "password2": "azerty", "usable_password": "true"},
    )
    user.refresh_from_db()
    assert user.check_password("Une-phrase-longue-42")
