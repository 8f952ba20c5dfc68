import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import MovementLot, StockBalance, StockLot, StockMovement
from inventory.services import MovementIn, movements_record
from mache.periods import PARIS
from tests.factories import ProductFactory

from .conftest import days, receive


def post(api, user, shop, product, **body):
    return api.as_user(user).post(
        "/api/stock/movements/", {"shop": shop.pk, "product": product.pk, **body}, format="json"
    )


def balance(shop, product):
    return StockBalance.objects.get(shop=shop, product=product)


def test_a_sale_takes_stock_at_the_average_cost(api, shopkeeper, shop, product):
    receive(shop, product, 10, "1.2000")
    receive(shop, product, 20, "1.5000")
    response = post(api, shopkeeper, shop, product, kind="sale", quantity=4)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (
        body["quantity"],
        body["unit_cost"],
        body["quantity_after"],
        body["average_cost_after"],
        body["value_after"],
    ) == (-4, "1.4000", 26, "1.4000", "36.40")
    stock = balance(shop, product)
    assert (stock.quantity, stock.average_cost, stock.value) == (
        26,
        Decimal("1.4000"),
        Decimal("36.40"),
    )


def test_stock_never_goes_negative(api, shopkeeper, shop, product):
    receive(shop, product, 3, "1.0000")
    response = post(api, shopkeeper, shop, product, kind="sale", quantity=4)
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock"
    assert "3 en stock" in response.json()["detail"]
    assert balance(shop, product).quantity == 3
    assert StockMovement.objects.count() == 1


def test_sales_and_losses_consume_lots_first_expiry_first_out(api, shopkeeper, shop, product):
    late = receive(shop, product, 5, "1.0000", lot="TARD", expires_on=days(20))
    undated = receive(shop, product, 5, "1.0000")
    early = receive(shop, product, 5, "1.0000", lot="TOT", expires_on=days(5))
    sale = post(api, shopkeeper, shop, product, kind="sale", quantity=7).json()
    taken = {
        part.lot.code: part.quantity
        for part in MovementLot.objects.filter(movement_id=sale["id"]).select_related("lot")
    }
    assert taken == {"TOT": 5, "TARD": 2}
    loss = post(api, shopkeeper, shop, product, kind="loss", quantity=4, reason="damaged")
    assert loss.status_code == 201
    remaining = {lot.movement_id: lot.remaining for lot in StockLot.objects.all()}
    assert remaining == {early.pk: 0, late.pk: 0, undated.pk: 4}
    assert sum(remaining.values()) == balance(shop, product).quantity


def test_an_adjustment_goes_either_way_and_opens_a_lot_when_positive(
    api, shopkeeper, shop, product
):
    receive(shop, product, 5, "2.0000")
    assert post(api, shopkeeper, shop, product, kind="adjustment", quantity=-2).status_code == 201
    response = post(
        api,
        shopkeeper,
        shop,
        product,
        kind="adjustment",
        quantity=3,
        lot="TROUVE",
        expires_on=str(days(10)),
    )
    assert response.status_code == 201
    assert response.json()["value_after"] == "12.00"  # 6 x 2.00, the average does not move
    assert StockLot.objects.filter(code="TROUVE", remaining=3).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "receipt", "quantity": 3}, "kind"),
        ({"kind": "theft", "quantity": 3}, "kind"),
        ({"kind": "sale", "quantity": 0}, "quantity"),
        ({"kind": "sale", "quantity": -2}, "quantity"),
        ({"kind": "sale", "quantity": 1.5}, "quantity"),
        ({"kind": "sale", "quantity": 10**7}, "quantity"),
        ({"kind": "adjustment", "quantity": 0}, "quantity"),
        ({"kind": "loss", "quantity": 1}, "reason"),
        ({"kind": "loss", "quantity": 1, "reason": "lost"}, "reason"),
        ({"kind": "sale", "quantity": 1, "reason": "theft"}, "reason"),
        ({"kind": "sale", "quantity": 1, "lot": "L1"}, "lot"),
        ({"kind": "adjustment", "quantity": 2, "expires_on": "2020-01-01"}, "expires_on"),
        ({"kind": "adjustment", "quantity": 2, "expires_on": "31/12/2026"}, "expires_on"),
        ({"kind": "sale", "quantity": 1, "occurred_on": "2999-01-01"}, "occurred_on"),
        ({"kind": "sale", "quantity": 1, "product": 999999}, "product"),
        ({"kind": "sale"}, "quantity"),
    ],
)
def test_bad_movements_are_400_naming_the_field_and_change_nothing(
    api, shopkeeper, shop, product, body, field
):
    receive(shop, product, 5, "1.0000")
    payload = {"shop": shop.pk, "product": product.pk, **body}
    response = api.as_user(shopkeeper).post("/api/stock/movements/", payload, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert StockMovement.objects.count() == 1
    assert balance(shop, product).quantity == 5


def test_a_movement_for_a_shop_the_user_does_not_see_is_400(api, shopkeeper, other_shop, product):
    receive(other_shop, product, 5, "1.0000")
    response = post(api, shopkeeper, other_shop, product, kind="sale", quantity=1)
    assert response.status_code == 400 and "shop" in response.json()
    assert balance(other_shop, product).quantity == 5


def test_accountants_read_stock_but_do_not_move_it(api, accountant, shop, product):
    receive(shop, product, 5, "1.0000")
    assert post(api, accountant, shop, product, kind="sale", quantity=1).status_code == 403
    body = api.as_user(accountant).get(f"/api/stock/?shop={shop.pk}").json()
    assert [(row["product"], row["quantity"]) for row in body["results"]] == [(product.pk, 5)]


def test_the_stock_list_gives_quantity_cost_value_and_next_expiry(api, shopkeeper, shop, product):
    receive(shop, product, 4, "1.1000", lot="A", expires_on=days(9))
    receive(shop, product, 6, "1.3000", lot="B", expires_on=days(4))
    row = api.as_user(shopkeeper).get(f"/api/stock/?shop={shop.pk}").json()["results"][0]
    assert {k: row[k] for k in ("product", "quantity", "average_cost", "value", "next_expiry")} == {
        "product": product.pk,
        "quantity": 10,
        "average_cost": "1.2200",
        "value": "12.20",
        "next_expiry": str(days(4)),
    }


def test_another_shops_stock_is_404(api, shopkeeper, other_shop, product):
    receive(other_shop, product, 5, "1.0000")
    assert api.as_user(shopkeeper).get(f"/api/stock/?shop={other_shop.pk}").status_code == 404
    assert api.get("/api/stock/").json()["results"] == []


def test_lists_make_a_fixed_number_of_queries(api, shopkeeper, shop, django_assert_num_queries):
    for n in range(12):
        product = ProductFactory()
        receive(shop, product, n + 1, "1.0000", lot=f"L{n}", expires_on=days(n + 1))
    client = api.as_user(shopkeeper)
    with django_assert_num_queries(4):  # token, shop, count, page
        assert len(client.get(f"/api/stock/?shop={shop.pk}").json()["results"]) == 12
    with django_assert_num_queries(3):  # token, count, page
        assert client.get("/api/stock/movements/").json()["count"] == 12


def test_a_backdated_sale_replays_the_later_movements(shop, product):
    two_days_ago = timezone.now() - dt.timedelta(days=2)
    receive(shop, product, 10, "1.0000", at=two_days_ago)
    receive(shop, product, 10, "2.0000")  # today: average 1.50
    yesterday = dt.datetime.combine(days(-1), dt.time(20, 0), tzinfo=PARIS)
    movements_record(
        movements=[
            MovementIn(
                shop_id=shop.pk,
                product_id=product.pk,
                kind="sale",
                quantity=-4,
                occurred_at=yesterday,
            )
        ]
    )
    # Yesterday 10 - 4 = 6 at 1.00; today's receipt: (6 x 1 + 10 x 2) / 16 = 1.625
    today = StockMovement.objects.filter(kind="receipt").latest("occurred_at")
    assert (today.quantity_after, today.average_cost_after, today.value_after) == (
        16,
        Decimal("1.6250"),
        Decimal("26.00"),
    )
    stock = balance(shop, product)
    assert (stock.quantity, stock.average_cost, stock.value) == (
        16,
        Decimal("1.6250"),
        Decimal("26.00"),
    )


def test_a_backdated_sale_that_the_stock_of_its_day_cannot_cover_is_refused(shop, product):
    from inventory.services import InsufficientStock

    receive(shop, product, 10, "1.0000")  # today only
    yesterday = dt.datetime.combine(days(-1), dt.time(20, 0), tzinfo=PARIS)
    with pytest.raises(InsufficientStock):
        movements_record(
            movements=[
                MovementIn(
                    shop_id=shop.pk,
                    product_id=product.pk,
                    kind="sale",
                    quantity=-1,
                    occurred_at=yesterday,
                )
            ]
        )
    assert StockMovement.objects.count() == 1


def test_the_value_of_stock_at_any_past_date(api, shopkeeper, shop, product):
    receive(shop, product, 10, "1.0000", at=timezone.now() - dt.timedelta(days=3))
    receive(shop, product, 10, "2.0000", at=timezone.now() - dt.timedelta(days=1))
    post(api, shopkeeper, shop, product, kind="sale", quantity=5)
    client = api.as_user(shopkeeper)
    values = {
        n: client.get(f"/api/stock/value/?shop={shop.pk}&date={days(-n)}").json() for n in (4, 2, 0)
    }
    assert values[4]["value"] == "0.00"
    assert values[2]["value"] == "10.00"
    assert values[0]["value"] == "22.50"  # 15 x 1.50
    assert values[0]["products"] == [
        {"product": product.pk, "quantity": 15, "average_cost": "1.5000", "value": "22.50"}
    ]
    assert client.get(f"/api/stock/value/?shop={shop.pk}&date=hier").status_code == 400


def test_backdated_movements_of_many_products_cost_a_fixed_number_of_queries(shop):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def backdated_sales(product_count):
        products = [ProductFactory() for _ in range(product_count)]
        for product in products:
            receive(shop, product, 5, "1.0000", at=timezone.now() - dt.timedelta(days=3))
            receive(shop, product, 5, "1.0000")
        yesterday = dt.datetime.combine(days(-1), dt.time(12, 0), tzinfo=PARIS)
        with CaptureQueriesContext(connection) as queries:
            movements_record(
                movements=[
                    MovementIn(
                        shop_id=shop.pk,
                        product_id=p.pk,
                        kind="sale",
                        quantity=-2,
                        occurred_at=yesterday,
                    )
                    for p in products
                ]
            )
        assert {b.quantity for b in StockBalance.objects.filter(product__in=products)} == {8}
        return len(queries)

    assert backdated_sales(3) == backdated_sales(20)


def test_a_sale_in_the_same_batch_as_a_receipt_takes_from_its_lot(shop, product):
    earlier = timezone.now() - dt.timedelta(hours=2)
    movements_record(
        movements=[
            MovementIn(
                shop_id=shop.pk,
                product_id=product.pk,
                kind="receipt",
                quantity=6,
                unit_cost=Decimal("1.0000"),
                occurred_at=earlier,
                lot="B1",
            ),
            MovementIn(
                shop_id=shop.pk,
                product_id=product.pk,
                kind="sale",
                quantity=-4,
                occurred_at=earlier + dt.timedelta(hours=1),
            ),
        ]
    )
    assert StockLot.objects.get(code="B1").remaining == 2
    assert balance(shop, product).quantity == 2
