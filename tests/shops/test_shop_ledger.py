"""A new shop has its ledger (chart of accounts, journals) whatever creates it: shops runs
the `shop_created` hook, which accounting fills (accounting/apps.py)."""

from accounting.models import Account, Journal, Ledger
from shops.models import Shop
from tests.factories import make_siret
from tests.shops.test_shops_api import VALID_SHOP


def assert_has_its_ledger(shop):
    ledger = Ledger.objects.get(kind=Ledger.Kind.SHOP, shop=shop)
    assert Account.objects.filter(ledger=ledger).exists()
    assert Journal.objects.filter(ledger=ledger).count() == 5


def test_a_shop_created_through_the_api_has_its_ledger(api, coordinator):
    response = api.as_user(coordinator).post("/api/shops/", VALID_SHOP, format="json")
    assert response.status_code == 201, response.json()
    assert_has_its_ledger(Shop.objects.get(pk=response.json()["id"]))


def test_a_shop_created_in_the_admin_has_its_ledger(client, admin_user):
    client.force_login(admin_user)
    siret = make_siret()
    response = client.post(
        "/admin/shops/shop/add/",
        {
            "name": "Épicerie de Bazouges",
            "legal_name": "EPICERIE DE BAZOUGES",
            "siret": siret,
            "kind": "epicerie",
            "postcode": "35560",
            "commune": "Bazouges-la-Pérouse",
            "zone": "rural",
            "status": "active",
            "shares": 2,
            "User_shops-TOTAL_FORMS": 0,
            "User_shops-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert_has_its_ledger(Shop.objects.get(siret=siret))
