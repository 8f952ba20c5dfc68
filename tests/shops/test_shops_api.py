import pytest

from mache.identifiers import vat_number_for
from shops.models import Shop
from tests.factories import ShopFactory, make_siret

VALID_SHOP = {
    "name": "La Halle de Maen-Roch",
    "legal_name": "LA HALLE DE MAEN-ROCH",
    "siret": "83067606000007",
    "kind": "epicerie",
    "address": "2 rue du Marché",
    "postcode": "35460",
    "commune": "Maen-Roch",
    "zone": "rural",
    "status": "active",
    "joined_on": "2024-09-02",
    "shares": 5,
}


def test_a_coordinator_creates_a_shop_with_every_field(api, coordinator):
    response = api.as_user(coordinator).post("/api/shops/", VALID_SHOP, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    for field, value in VALID_SHOP.items():
        assert body[field] == value
    assert Shop.objects.get(pk=body["id"]).siret == "83067606000007"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"siret": "83067606000008"}, "siret"),  # Luhn key wrong
        ({"siret": "8306760680000"}, "siret"),  # 13 digits
        ({"siret": "8306760680000A"}, "siret"),
        ({"kind": "supermarche"}, "kind"),
        ({"zone": "mars"}, "zone"),
        ({"status": "gone"}, "status"),
        ({"postcode": "355"}, "postcode"),
        ({"shares": -1}, "shares"),
        ({"joined_on": "02/09/2024"}, "joined_on"),
        ({"name": ""}, "name"),
        ({"vat_number": "FR00830676060"}, "vat_number"),  # key wrong
        ({"vat_number": "FR44732829320"}, "vat_number"),  # another company's SIREN
        ({"vat_number": "DE136695976"}, "vat_number"),  # not French
    ],
)
def test_bad_shop_fields_are_400_naming_the_field_and_write_nothing(
    api, coordinator, change, field
):
    response = api.as_user(coordinator).post("/api/shops/", {**VALID_SHOP, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Shop.objects.exists()


def test_a_shop_has_its_vat_number_or_none(api, coordinator):
    # docs/e-invoicing.md, "Identities": given, it is the French VAT number of its SIREN.
    vat_number = vat_number_for(VALID_SHOP["siret"])
    response = api.as_user(coordinator).post(
        "/api/shops/", {**VALID_SHOP, "vat_number": vat_number}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["vat_number"] == vat_number
    shop = Shop.objects.get()
    assert shop.vat_number == vat_number
    response = api.as_user(coordinator).patch(
        f"/api/shops/{shop.pk}/", {"vat_number": ""}, format="json"
    )
    assert response.status_code == 200
    assert Shop.objects.get().vat_number == ""


@pytest.mark.parametrize("missing", ["name", "legal_name", "siret", "postcode", "commune"])
def test_missing_shop_fields_are_named(api, coordinator, missing):
    payload = {k: v for k, v in VALID_SHOP.items() if k != missing}
    response = api.as_user(coordinator).post("/api/shops/", payload, format="json")
    assert response.status_code == 400
    assert missing in response.json()
    assert not Shop.objects.exists()


def test_a_duplicate_siret_is_400(api, coordinator):
    ShopFactory(siret=VALID_SHOP["siret"])
    response = api.as_user(coordinator).post("/api/shops/", VALID_SHOP, format="json")
    assert response.status_code == 400
    assert "siret" in response.json()
    assert Shop.objects.count() == 1


@pytest.mark.parametrize("role_fixture", ["shopkeeper", "accountant"])
def test_only_coordinators_create_shops(api, request, role_fixture):
    user = request.getfixturevalue(role_fixture)
    response = api.as_user(user).post("/api/shops/", VALID_SHOP, format="json")
    assert response.status_code == 403
    assert Shop.objects.count() == 1  # the user's own shop only


def test_a_shopkeeper_sees_only_their_shop(api, shopkeeper, shop, other_shop):
    body = api.as_user(shopkeeper).get("/api/shops/").json()
    assert [row["id"] for row in body["results"]] == [shop.id]
    assert api.get(f"/api/shops/{other_shop.id}/").status_code == 404


def test_a_coordinator_sees_every_shop(api, coordinator, shop, other_shop):
    body = api.as_user(coordinator).get("/api/shops/").json()
    assert {row["id"] for row in body["results"]} == {shop.id, other_shop.id}


def test_a_shopkeeper_edits_the_contact_fields_of_their_shop(api, shopkeeper, shop):
    response = api.as_user(shopkeeper).patch(
        f"/api/shops/{shop.id}/",
        {"address": "3 rue Neuve", "phone": "02 99 00 00 00"},
        format="json",
    )
    assert response.status_code == 200
    shop.refresh_from_db()
    assert (shop.address, shop.phone) == ("3 rue Neuve", "02 99 00 00 00")


def test_a_shopkeeper_may_not_change_status_or_shares(api, shopkeeper, shop):
    response = api.as_user(shopkeeper).patch(
        f"/api/shops/{shop.id}/", {"address": "ailleurs", "shares": 99}, format="json"
    )
    assert response.status_code == 403
    shop.refresh_from_db()
    assert (shop.shares, shop.address) == (2, "1 place de l'Église")


def test_an_accountant_may_not_edit_a_shop(api, accountant, shop):
    response = api.as_user(accountant).patch(
        f"/api/shops/{shop.id}/", {"phone": "1"}, format="json"
    )
    assert response.status_code == 403


def test_a_coordinator_updates_a_shop_with_put(api, coordinator, shop):
    payload = {**VALID_SHOP, "siret": shop.siret, "status": "suspended"}
    response = api.as_user(coordinator).put(f"/api/shops/{shop.id}/", payload, format="json")
    assert response.status_code == 200
    shop.refresh_from_db()
    assert shop.status == "suspended"


def test_an_update_with_a_taken_siret_is_400(api, coordinator, shop, other_shop):
    response = api.as_user(coordinator).patch(
        f"/api/shops/{shop.id}/", {"siret": other_shop.siret}, format="json"
    )
    assert response.status_code == 400
    assert "siret" in response.json()


def test_the_shop_list_is_paginated(api, coordinator):
    ShopFactory.create_batch(7)
    body = api.as_user(coordinator).get("/api/shops/?page_size=3&page=2").json()
    assert body["count"] == 7
    assert len(body["results"]) == 3
    assert body["next"] and body["previous"]


def test_page_size_is_capped_at_500(api, coordinator):
    ShopFactory.create_batch(3)
    body = api.as_user(coordinator).get("/api/shops/?page_size=100000").json()
    assert len(body["results"]) == 3


def test_shops_filter_by_status(api, coordinator):
    ShopFactory(status="candidate", siret=make_siret())
    ShopFactory(status="active")
    body = api.as_user(coordinator).get("/api/shops/?status=candidate").json()
    assert [row["status"] for row in body["results"]] == ["candidate"]


def test_the_shop_list_makes_a_fixed_number_of_queries(api, shopkeeper, django_assert_num_queries):
    ShopFactory.create_batch(20)
    client = api.as_user(shopkeeper)
    # token lookup, count, page
    with django_assert_num_queries(3):
        assert client.get("/api/shops/").status_code == 200
