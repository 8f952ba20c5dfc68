import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from purchasing.models import Round
from tests.factories import RoundFactory, SupplierFactory, make_order

from .conftest import example_orders


def round_payload(supplier_obj, **changes):
    now = timezone.now()
    return {
        "supplier": supplier_obj.pk,
        "opens_at": now.isoformat(),
        "closes_at": (now + dt.timedelta(days=2)).isoformat(),
        "delivery_date": (timezone.localdate() + dt.timedelta(days=4)).isoformat(),
        **changes,
    }


def test_a_coordinator_opens_a_round(api, coordinator):
    supplier = SupplierFactory()
    response = api.as_user(coordinator).post("/api/rounds/", round_payload(supplier), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "open"
    assert Round.objects.get().created_by == coordinator


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"closes_at": "2020-01-01T00:00:00+01:00"}, "closes_at"),  # before opens_at
        ({"delivery_date": "2020-01-01"}, "delivery_date"),
        ({"delivery_date": "26/11/2026"}, "delivery_date"),
        ({"closes_at": "demain"}, "closes_at"),
        ({"supplier": 999999}, "supplier"),
    ],
)
def test_bad_rounds_are_400_naming_the_field(api, coordinator, change, field):
    response = api.as_user(coordinator).post(
        "/api/rounds/", round_payload(SupplierFactory(), **change), format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not Round.objects.exists()


def test_shopkeepers_do_not_open_rounds(api, shopkeeper):
    response = api.as_user(shopkeeper).post(
        "/api/rounds/", round_payload(SupplierFactory()), format="json"
    )
    assert response.status_code == 403
    assert not Round.objects.exists()


def test_every_member_sees_rounds(api, shopkeeper):
    round_ = RoundFactory()
    body = api.as_user(shopkeeper).get("/api/rounds/").json()
    assert [row["id"] for row in body["results"]] == [round_.pk]
    assert body["results"][0]["closes_at"].endswith("+01:00")  # Paris, with its offset


def test_the_round_list_makes_a_fixed_number_of_queries(api, shopkeeper, django_assert_num_queries):
    RoundFactory.create_batch(15)
    client = api.as_user(shopkeeper)
    with django_assert_num_queries(3):
        assert client.get("/api/rounds/").status_code == 200


def test_fill_shows_group_totals_only(api, example):
    for number, lines in example_orders(example):
        make_order(example["round"], example["shops"][number], *lines)
    body = (
        api.as_user(example["keepers"][101]).get(f"/api/rounds/{example['round'].pk}/fill/").json()
    )
    by_sku = {row["sku"]: row for row in body["products"]}
    assert {
        k: by_sku["P1"][k]
        for k in (
            "ordered",
            "tolerance",
            "case_size",
            "cases_if_closed_now",
            "missing_for_next_case",
        )
    } == {
        "ordered": 21,
        "tolerance": 5,
        "case_size": 12,
        "cases_if_closed_now": 2,
        "missing_for_next_case": 3,
    }
    assert by_sku["P2"]["cases_if_closed_now"] == 1
    assert by_sku["P2"]["missing_for_next_case"] == 5
    assert by_sku["P3"]["cases_if_closed_now"] == 0
    assert by_sku["P3"]["missing_for_next_case"] == 5
    assert body["total_excl_vat"] == "49.80"
    assert body["min_order_amount"] == "0.00"
    assert body["free_shipping_threshold"] == "300.00"
    assert body["shipping_if_closed_now"] == "25.00"
    # Nothing says which shop ordered what: the answer has the contract's fields and no
    # other (no place for a shop's id: "101" once looked for in the whole text also met
    # ids and prices that contain it), no key names a shop, no shop's name shows.
    assert set(body) == {
        "round",
        "status",
        "closes_at",
        "total_excl_vat",
        "min_order_amount",
        "free_shipping_threshold",
        "shipping_if_closed_now",
        "products",
    }
    for row in body["products"]:
        assert set(row) == {
            "product",
            "name",
            "sku",
            "ordered",
            "tolerance",
            "case_size",
            "cases_if_closed_now",
            "missing_for_next_case",
            "unit_price",
        }
    assert body["round"] == example["round"].pk
    assert "shop" not in str(body)
    for shop in example["shops"].values():
        assert shop.name not in str(body)


def test_fill_counts_a_tier_reached_by_the_group(api, example):
    # 60 units of P1 = 5 cases: the 5-case tier (1.1000) applies to everyone
    make_order(example["round"], example["shops"][101], (example["p1"], 30, 0))
    make_order(example["round"], example["shops"][102], (example["p1"], 30, 0))
    body = (
        api.as_user(example["keepers"][101]).get(f"/api/rounds/{example['round'].pk}/fill/").json()
    )
    p1 = next(row for row in body["products"] if row["sku"] == "P1")
    assert p1["unit_price"] == "1.1000"
    assert Decimal(body["total_excl_vat"]) == Decimal("66.00")


def test_fill_makes_a_fixed_number_of_queries(api, example, django_assert_num_queries):
    from tests.factories import ProductFactory, ShopFactory

    for n in range(10):
        product = ProductFactory(supplier=example["supplier"])
        make_order(example["round"], ShopFactory(), (product, n + 1, 1), (example["p1"], 2, 0))
    client = api.as_user(example["keepers"][101])
    # token, round, aggregate, products, tiers
    with django_assert_num_queries(5):
        assert client.get(f"/api/rounds/{example['round'].pk}/fill/").status_code == 200


def test_consolidation_before_it_happened_is_409(api, example):
    response = api.as_user(example["keepers"][101]).get(
        f"/api/rounds/{example['round'].pk}/consolidation/"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "not_consolidated"


def test_unknown_round_is_404(api, shopkeeper):
    assert api.as_user(shopkeeper).get("/api/rounds/424242/fill/").status_code == 404
