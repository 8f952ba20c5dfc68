import datetime as dt

from django.utils import timezone

from inventory.models import StockBalance, StockCount, StockMovement
from tests.factories import ProductFactory

from .conftest import days, receive


def test_a_count_posts_its_differences_as_dated_adjustments(api, shopkeeper, shop, product):
    other = ProductFactory(name="Yaourt")
    same = ProductFactory(name="Lait")
    receive(shop, product, 10, "1.0000")
    receive(shop, other, 3, "2.0000")
    receive(shop, same, 6, "1.0000")
    response = api.as_user(shopkeeper).post(
        "/api/stock/counts/",
        {
            "shop": shop.pk,
            "counted_on": str(timezone.localdate()),
            "lines": [
                {"product": product.pk, "quantity": 8},
                {"product": other.pk, "quantity": 5},
                {"product": same.pk, "quantity": 6},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["counted_by"] == "epicier"
    assert {
        ln["product"]: (ln["expected"], ln["counted"], ln["difference"]) for ln in body["lines"]
    } == {product.pk: (10, 8, -2), other.pk: (3, 5, 2), same.pk: (6, 6, 0)}
    adjustments = {
        m.product_id: m.quantity
        for m in StockMovement.objects.filter(kind="adjustment", count_id=body["id"])
    }
    # A line that found what was expected keeps its movement of 0: the count's fixed point.
    assert adjustments == {product.pk: -2, other.pk: 2, same.pk: 0}
    stock = dict(StockBalance.objects.filter(shop=shop).values_list("product_id", "quantity"))
    assert stock == {product.pk: 8, other.pk: 5, same.pk: 6}


def test_a_count_of_a_past_day_compares_with_the_stock_of_that_day(api, shopkeeper, shop, product):
    receive(shop, product, 10, "1.0000", at=timezone.now() - dt.timedelta(days=3))
    receive(shop, product, 5, "1.0000")  # today, after the count
    response = api.as_user(shopkeeper).post(
        "/api/stock/counts/",
        {
            "shop": shop.pk,
            "counted_on": str(days(-1)),
            "lines": [{"product": product.pk, "quantity": 9}],
        },
        format="json",
    )
    assert response.json()["lines"][0]["expected"] == 10
    assert StockBalance.objects.get(shop=shop, product=product).quantity == 14


def test_bad_counts_are_400_and_write_nothing(api, shopkeeper, shop, product):
    client = api.as_user(shopkeeper)
    twice = {
        "shop": shop.pk,
        "lines": [{"product": product.pk, "quantity": 1}, {"product": product.pk, "quantity": 2}],
    }
    cases = [
        (twice, "lines"),
        ({"shop": shop.pk, "lines": []}, "lines"),
        ({"shop": shop.pk, "lines": [{"product": product.pk, "quantity": -1}]}, "lines"),
        (
            {
                "shop": shop.pk,
                "counted_on": "2999-01-01",
                "lines": [{"product": product.pk, "quantity": 1}],
            },
            "counted_on",
        ),
        ({"lines": [{"product": product.pk, "quantity": 1}]}, "shop"),
    ]
    for payload, field in cases:
        response = client.post("/api/stock/counts/", payload, format="json")
        assert response.status_code == 400, payload
        assert field in response.json()
    assert not StockCount.objects.exists()
    assert not StockMovement.objects.exists()


def test_alerts_list_lots_expiring_soon_and_products_under_their_minimum(
    api, shopkeeper, shop, product
):
    soon = ProductFactory(name="Crème fraîche")
    receive(shop, soon, 4, "1.0000", lot="C1", expires_on=days(2))
    receive(shop, soon, 4, "1.0000", lot="C2", expires_on=days(6))
    receive(shop, product, 3, "1.0000")
    client = api.as_user(shopkeeper)
    assert (
        client.post(
            "/api/stock/minimums/",
            {"shop": shop.pk, "product": product.pk, "minimum": 5},
            format="json",
        ).status_code
        == 200
    )
    body = client.get(f"/api/stock/alerts/?shop={shop.pk}").json()
    assert [(lot["lot"], lot["quantity"]) for lot in body["expiring"]] == [("C1", 4)]
    assert [(row["product"], row["quantity"], row["minimum"]) for row in body["low_stock"]] == [
        (product.pk, 3, 5)
    ]
    # the window is the shop's setting
    shop.expiry_alert_days = 7
    shop.save()
    body = client.get(f"/api/stock/alerts/?shop={shop.pk}").json()
    assert [lot["lot"] for lot in body["expiring"]] == ["C1", "C2"]


def test_alerts_of_another_shop_are_404(api, shopkeeper, other_shop):
    assert (
        api.as_user(shopkeeper).get(f"/api/stock/alerts/?shop={other_shop.pk}").status_code == 404
    )


def test_alerts_make_a_fixed_number_of_queries(api, shopkeeper, shop, django_assert_num_queries):
    for n in range(10):
        receive(shop, ProductFactory(), 2, "1.0000", lot=f"L{n}", expires_on=days(1))
    client = api.as_user(shopkeeper)
    with django_assert_num_queries(4):  # token, shop, lots, low stock
        assert len(client.get(f"/api/stock/alerts/?shop={shop.pk}").json()["expiring"]) == 10


def test_the_count_list_makes_a_fixed_number_of_queries(
    api, shopkeeper, shop, django_assert_num_queries
):
    from inventory.services import stock_count_record

    products = [ProductFactory() for _ in range(4)]
    for product in products:
        receive(shop, product, 3, "1.0000")
    for n in range(6):
        stock_count_record(
            shop=shop,
            counted_on=timezone.localdate(),
            user=shopkeeper,
            lines=[{"product": p, "quantity": n} for p in products],
        )
    client = api.as_user(shopkeeper)
    with django_assert_num_queries(4):  # token, count, page, lines
        body = client.get("/api/stock/counts/").json()
    assert body["count"] == 6 and len(body["results"][0]["lines"]) == 4
