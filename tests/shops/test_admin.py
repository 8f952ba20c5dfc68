from shops.models import Shop
from tests.factories import ShopFactory, UserFactory


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
    response = client.post(f"/admin/shops/shop/{shop.id}/change/", {
        "name": shop.name, "legal_name": shop.legal_name, "siret": "88364454300001",
        "kind": "epicerie", "postcode": "35490", "commune": "Romazy", "zone": "rural",
        "status": "active", "shares": 4,
        "User_shops-TOTAL_FORMS": 0, "User_shops-INITIAL_FORMS": 0,
    })
    # The Luhn check holds in the admin too: the form comes back with the error.
    assert response.status_code == 200
    assert "clé de contrôle" in response.content.decode()
    assert Shop.objects.get(pk=shop.pk).siret == shop.siret


def test_shopkeepers_and_accountants_are_kept_out_of_the_admin(client, shopkeeper):
    client.force_login(shopkeeper)
    assert client.get("/admin/shops/shop/").status_code == 302


def test_a_coordinator_manages_people_but_not_superusers(client, coordinator, shopkeeper):
    UserFactory(username="racine", is_superuser=True, is_staff=True)
    client.force_login(coordinator)
    page = client.get("/admin/shops/user/").content.decode()
    assert "epicier" in page
    assert "racine" not in page
