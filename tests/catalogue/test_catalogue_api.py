"""Suppliers and products over the API (docs/api.md, "Suppliers and catalogue")."""

from decimal import Decimal

import pytest

from catalogue.models import PriceTier, Product, Supplier
from tests.factories import ProductFactory, SupplierFactory, add_tiers

VALID_SUPPLIER = {
    "name": "Biocoop Grossiste Ouest",
    "siret": "83067606000007",
    "email": "commandes@grossiste.example",
    "min_order_amount": "150.00",
    "free_shipping_threshold": "400.00",
    "shipping_fee": "12.30",
}


def valid_product(supplier_, **changes):
    return {
        "supplier": supplier_.id,
        "sku": "FAR-T65-1K",
        "name": "Farine de blé T65 1 kg",
        "unit_label": "paquet",
        "case_size": 10,
        "unit_price": "1.2000",
        "vat_rate": "5.50",
        "price_tiers": [
            {"min_cases": 5, "unit_price": "1.1000"},
            {"min_cases": 10, "unit_price": "1.0000"},
        ],
        "active": True,
        "origin": "Moulin de Bécherel (35)",
        "labels": ["AB"],
        **changes,
    }


# What the API adds to a product sent as valid_product: its effective flags
# (catalogue.local; no hub recorded in these tests, so nothing is local).
COMPUTED = {"organic": True, "local": False}


def snapshot():
    """Every product and tier as stored: any write changes it."""
    return (
        list(Product.objects.order_by("pk").values_list()),
        list(PriceTier.objects.order_by("pk").values_list()),
    )


# --- Suppliers ---


def test_a_coordinator_creates_a_supplier_with_money_as_strings(api, coordinator):
    response = api.as_user(coordinator).post("/api/suppliers/", VALID_SUPPLIER, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    for field, value in VALID_SUPPLIER.items():
        assert body[field] == value
    supplier = Supplier.objects.get(pk=body["id"])
    assert supplier.shipping_fee == Decimal("12.30")


def test_a_supplier_without_free_shipping_says_null(api, coordinator):
    payload = {**VALID_SUPPLIER, "free_shipping_threshold": None}
    response = api.as_user(coordinator).post("/api/suppliers/", payload, format="json")
    assert response.status_code == 201
    assert response.json()["free_shipping_threshold"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"min_order_amount": "-1.00"}, "min_order_amount"),
        ({"shipping_fee": "12.345"}, "shipping_fee"),
        ({"free_shipping_threshold": "abc"}, "free_shipping_threshold"),
        ({"siret": "83067606000008"}, "siret"),
        ({"email": "pas-un-mail"}, "email"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_supplier_fields_are_400_naming_the_field(api, coordinator, change, field):
    response = api.as_user(coordinator).post(
        "/api/suppliers/", {**VALID_SUPPLIER, **change}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not Supplier.objects.exists()


def test_a_duplicate_supplier_name_is_400(api, coordinator):
    SupplierFactory(name=VALID_SUPPLIER["name"])
    response = api.as_user(coordinator).post("/api/suppliers/", VALID_SUPPLIER, format="json")
    assert response.status_code == 400
    assert "name" in response.json()
    assert Supplier.objects.count() == 1


def test_a_coordinator_updates_a_supplier_with_put_and_patch(api, coordinator):
    supplier = SupplierFactory()
    client = api.as_user(coordinator)
    response = client.put(f"/api/suppliers/{supplier.id}/", VALID_SUPPLIER, format="json")
    assert response.status_code == 200, response.json()
    response = client.patch(
        f"/api/suppliers/{supplier.id}/", {"shipping_fee": "9.90"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["shipping_fee"] == "9.90"
    supplier.refresh_from_db()
    assert (supplier.name, supplier.shipping_fee) == (VALID_SUPPLIER["name"], Decimal("9.90"))


@pytest.mark.parametrize("role_fixture", ["shopkeeper", "accountant"])
def test_other_roles_read_suppliers_but_may_not_write(api, request, role_fixture):
    client = api.as_user(request.getfixturevalue(role_fixture))
    supplier = SupplierFactory(shipping_fee=Decimal("25.00"))
    assert client.get("/api/suppliers/").json()["results"][0]["shipping_fee"] == "25.00"
    assert client.get(f"/api/suppliers/{supplier.id}/").status_code == 200

    assert client.post("/api/suppliers/", VALID_SUPPLIER, format="json").status_code == 403
    assert (
        client.put(f"/api/suppliers/{supplier.id}/", VALID_SUPPLIER, format="json").status_code
        == 403
    )
    assert (
        client.patch(
            f"/api/suppliers/{supplier.id}/", {"shipping_fee": "0.00"}, format="json"
        ).status_code
        == 403
    )
    supplier.refresh_from_db()
    assert supplier.shipping_fee == Decimal("25.00")
    assert Supplier.objects.count() == 1


def test_the_supplier_list_makes_a_fixed_number_of_queries(
    api, shopkeeper, django_assert_num_queries
):
    client = api.as_user(shopkeeper)
    for count in (3, 30):
        SupplierFactory.create_batch(count)
        # token lookup, count, page, the cooperative's hub and radius (catalogue.local)
        with django_assert_num_queries(4):
            assert client.get("/api/suppliers/").status_code == 200


# --- Products: reading ---


def test_a_product_shows_exactly_the_fields_of_the_contract(api, shopkeeper):
    product = ProductFactory(
        sku="CAF-250",
        unit_price=Decimal("1.2"),
        vat_rate=Decimal("5.5"),
        case_size=12,
        unit_label="paquet",
    )
    add_tiers(product, (10, "1.0000"), (5, "1.1"))
    body = api.as_user(shopkeeper).get(f"/api/products/{product.id}/").json()
    assert body == {
        "id": product.id,
        "supplier": product.supplier_id,
        "sku": "CAF-250",
        "name": product.name,
        "unit_label": "paquet",
        "case_size": 12,
        "unit_price": "1.2000",
        "vat_rate": "5.50",
        "price_tiers": [
            {"min_cases": 5, "unit_price": "1.1000"},
            {"min_cases": 10, "unit_price": "1.0000"},
        ],
        "active": True,
        "origin": "",
        "labels": [],
        "organic": False,
        "local": False,
    }


def test_products_filter_by_supplier(api, accountant):
    mine, other = SupplierFactory(), SupplierFactory()
    kept = ProductFactory.create_batch(2, supplier=mine)
    ProductFactory(supplier=other)
    body = api.as_user(accountant).get("/api/products/", {"supplier": mine.id}).json()
    assert sorted(row["id"] for row in body["results"]) == sorted(p.id for p in kept)


def test_the_product_list_makes_a_fixed_number_of_queries(
    api, shopkeeper, django_assert_num_queries
):
    client = api.as_user(shopkeeper)
    supplier = SupplierFactory()
    for count in (3, 30):
        for product in ProductFactory.create_batch(count, supplier=supplier):
            add_tiers(product, (5, "2.0000"), (10, "1.9000"))
        # token lookup, count, page (with its supplier), tiers of the page, the
        # cooperative's hub and radius (catalogue.local)
        with django_assert_num_queries(5):
            response = client.get("/api/products/")
        assert all(len(row["price_tiers"]) == 2 for row in response.json()["results"])


# --- Products: writing ---


def test_a_coordinator_creates_a_product_with_its_tiers(api, coordinator):
    supplier = SupplierFactory()
    payload = valid_product(supplier)
    response = api.as_user(coordinator).post("/api/products/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body == {**payload, **COMPUTED, "id": body["id"]}
    product = Product.objects.get(pk=body["id"])
    assert product.unit_price == Decimal("1.2000")
    assert list(product.price_tiers.values_list("min_cases", "unit_price")) == [
        (5, Decimal("1.1000")),
        (10, Decimal("1.0000")),
    ]


def test_a_product_without_tiers_has_an_empty_list(api, coordinator):
    payload = valid_product(SupplierFactory())
    del payload["price_tiers"]
    response = api.as_user(coordinator).post("/api/products/", payload, format="json")
    assert response.status_code == 201
    assert response.json()["price_tiers"] == []


@pytest.mark.parametrize(
    ("sent", "stored"),
    [("0.00", "0.00"), ("2.1", "2.10"), ("5.50", "5.50"), ("10", "10.00"), ("20.00", "20.00")],
)
def test_the_lawful_vat_rates_are_accepted(api, coordinator, sent, stored):
    payload = valid_product(SupplierFactory(), vat_rate=sent)
    response = api.as_user(coordinator).post("/api/products/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["vat_rate"] == stored
    assert Product.objects.get().vat_rate == Decimal(stored)


@pytest.mark.parametrize("rate", ["7.00", "19.6", "abc", "", None, "-5.50", "NaN", "1e400"])
def test_other_vat_rates_are_400_on_vat_rate(api, coordinator, rate):
    payload = valid_product(SupplierFactory(), vat_rate=rate)
    response = api.as_user(coordinator).post("/api/products/", payload, format="json")
    assert response.status_code == 400
    assert "vat_rate" in response.json()
    assert not Product.objects.exists()


def test_a_vat_rate_is_not_rounded_into_a_lawful_one(api, coordinator):
    payload = valid_product(SupplierFactory(), vat_rate="5.499")
    response = api.as_user(coordinator).post("/api/products/", payload, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"unit_price": "-1.0000"}, "unit_price"),
        ({"unit_price": "0"}, "unit_price"),
        ({"unit_price": "1.23456"}, "unit_price"),
        ({"unit_price": "abc"}, "unit_price"),
        ({"case_size": 0}, "case_size"),
        ({"case_size": 1.5}, "case_size"),
        ({"case_size": "2.5"}, "case_size"),
        ({"case_size": -6}, "case_size"),
        ({"supplier": 987654}, "supplier"),
        ({"sku": ""}, "sku"),
        ({"name": ""}, "name"),
        ({"price_tiers": [{"min_cases": 5, "unit_price": "1.3000"}]}, "price_tiers"),
        (
            {
                "price_tiers": [
                    {"min_cases": 5, "unit_price": "1.1000"},
                    {"min_cases": 5, "unit_price": "1.0000"},
                ]
            },
            "price_tiers",
        ),
        ({"price_tiers": [{"min_cases": 0, "unit_price": "1.1000"}]}, "price_tiers"),
        ({"price_tiers": [{"min_cases": 5, "unit_price": "0"}]}, "price_tiers"),
        ({"price_tiers": [{"min_cases": 5, "unit_price": "1.12345"}]}, "price_tiers"),
        ({"price_tiers": [{"min_cases": 5}]}, "price_tiers"),
    ],
)
def test_bad_product_fields_are_400_naming_the_field_and_write_nothing(
    api, coordinator, change, field
):
    payload = valid_product(SupplierFactory(), **change)
    response = api.as_user(coordinator).post("/api/products/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Product.objects.exists()
    assert not PriceTier.objects.exists()


def test_a_tier_at_the_base_price_is_allowed(api, coordinator):
    payload = valid_product(
        SupplierFactory(), price_tiers=[{"min_cases": 3, "unit_price": "1.2000"}]
    )
    response = api.as_user(coordinator).post("/api/products/", payload, format="json")
    assert response.status_code == 201, response.json()


def test_a_sku_is_unique_per_supplier_only(api, coordinator):
    supplier, other = SupplierFactory(), SupplierFactory()
    ProductFactory(supplier=supplier, sku="FAR-T65-1K")
    client = api.as_user(coordinator)

    response = client.post("/api/products/", valid_product(supplier), format="json")
    assert response.status_code == 400
    assert "sku" in response.json()
    assert Product.objects.filter(supplier=supplier).count() == 1

    response = client.post("/api/products/", valid_product(other), format="json")
    assert response.status_code == 201


def test_renaming_a_sku_onto_a_taken_one_is_400(api, coordinator):
    supplier = SupplierFactory()
    ProductFactory(supplier=supplier, sku="A")
    product = ProductFactory(supplier=supplier, sku="B")
    response = api.as_user(coordinator).patch(
        f"/api/products/{product.id}/", {"sku": "A"}, format="json"
    )
    assert response.status_code == 400
    assert "sku" in response.json()
    product.refresh_from_db()
    assert product.sku == "B"


def test_moving_a_product_to_a_supplier_holding_its_sku_is_400(api, coordinator):
    product = ProductFactory(sku="A")
    other = SupplierFactory()
    ProductFactory(supplier=other, sku="A")
    response = api.as_user(coordinator).patch(
        f"/api/products/{product.id}/", {"supplier": other.id}, format="json"
    )
    assert response.status_code == 400
    assert "sku" in response.json()


@pytest.mark.parametrize("role_fixture", ["shopkeeper", "accountant"])
def test_other_roles_read_products_but_may_not_write(api, request, role_fixture):
    client = api.as_user(request.getfixturevalue(role_fixture))
    product = ProductFactory()
    add_tiers(product, (5, "2.0000"))
    before = snapshot()
    assert client.get("/api/products/").json()["count"] == 1
    assert client.get(f"/api/products/{product.id}/").status_code == 200

    payload = valid_product(product.supplier)
    assert client.post("/api/products/", payload, format="json").status_code == 403
    assert client.put(f"/api/products/{product.id}/", payload, format="json").status_code == 403
    assert (
        client.patch(
            f"/api/products/{product.id}/",
            {"unit_price": "0.5000", "price_tiers": []},
            format="json",
        ).status_code
        == 403
    )
    assert snapshot() == before


def test_lowering_the_base_price_below_a_tier_is_refused(api, coordinator):
    product = ProductFactory(unit_price=Decimal("2.5000"))
    add_tiers(product, (5, "2.2000"), (10, "2.0000"))
    before = snapshot()
    response = api.as_user(coordinator).patch(
        f"/api/products/{product.id}/", {"unit_price": "2.1000"}, format="json"
    )
    assert response.status_code == 400
    assert "price_tiers" in response.json()
    assert snapshot() == before


def test_lowering_the_base_price_with_new_tiers_is_accepted(api, coordinator):
    product = ProductFactory(unit_price=Decimal("2.5000"))
    add_tiers(product, (5, "2.2000"))
    response = api.as_user(coordinator).patch(
        f"/api/products/{product.id}/",
        {"unit_price": "2.1000", "price_tiers": [{"min_cases": 5, "unit_price": "2.0000"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["price_tiers"] == [{"min_cases": 5, "unit_price": "2.0000"}]


def test_patching_tiers_replaces_them_all(api, coordinator):
    product = ProductFactory(unit_price=Decimal("2.5000"))
    add_tiers(product, (5, "2.2000"), (10, "2.0000"))
    response = api.as_user(coordinator).patch(
        f"/api/products/{product.id}/",
        {"price_tiers": [{"min_cases": 20, "unit_price": "1.8000"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["price_tiers"] == [{"min_cases": 20, "unit_price": "1.8000"}]
    assert list(product.price_tiers.values_list("min_cases", "unit_price")) == [
        (20, Decimal("1.8000"))
    ]


def test_putting_a_product_replaces_its_fields_and_tiers(api, coordinator):
    product = ProductFactory(unit_price=Decimal("2.5000"))
    add_tiers(product, (5, "2.2000"), (10, "2.0000"))
    payload = valid_product(product.supplier, price_tiers=[])
    response = api.as_user(coordinator).put(f"/api/products/{product.id}/", payload, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {**payload, **COMPUTED, "id": product.id}
    product.refresh_from_db()
    assert (product.sku, product.unit_price) == ("FAR-T65-1K", Decimal("1.2000"))
    assert not product.price_tiers.exists()


def test_patching_other_fields_keeps_the_tiers(api, coordinator):
    product = ProductFactory()
    add_tiers(product, (5, "2.2000"))
    response = api.as_user(coordinator).patch(
        f"/api/products/{product.id}/", {"active": False, "name": "Retiré"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["price_tiers"] == [{"min_cases": 5, "unit_price": "2.2000"}]
    product.refresh_from_db()
    assert (product.active, product.name) == (False, "Retiré")


def test_bad_tiers_on_update_write_nothing(api, coordinator):
    product = ProductFactory(unit_price=Decimal("2.5000"))
    add_tiers(product, (5, "2.2000"))
    before = snapshot()
    response = api.as_user(coordinator).put(
        f"/api/products/{product.id}/",
        valid_product(
            product.supplier,
            unit_price="3.0000",
            name="Nouveau nom",
            price_tiers=[{"min_cases": 5, "unit_price": "3.1000"}],
        ),
        format="json",
    )
    assert response.status_code == 400
    assert "price_tiers" in response.json()
    assert snapshot() == before
