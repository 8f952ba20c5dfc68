"""Suggested order of a shop in an open round: GET /api/rounds/{id}/suggestion/?shop=."""

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from inventory.services import end_of_day
from mache.periods import paris_today
from purchasing.models import Round
from purchasing.suggestion import average_daily_sales, next_delivery, suggested_quantity
from tests.factories import (
    ProductFactory,
    RoundFactory,
    SupplierFactory,
    receive_stock,
    record_movement,
)


def day(offset: int) -> dt.date:
    return paris_today() + dt.timedelta(days=offset)


def stock_up(shop, product, quantity, *, days_ago=60):
    receive_stock(shop, product, quantity, "1.2000", lot="L1", at=end_of_day(day(-days_ago)))


def sell(shop, product, quantity, *, days_ago):
    """A sale booked as the till import books it: at the end of that Paris day."""
    record_movement(shop, product, "sale", -quantity, at=end_of_day(day(-days_ago)))


def open_round(supplier, *, delivery_in=3):
    return RoundFactory(supplier=supplier, delivery_date=day(delivery_in))


def get(api, user, round_, shop):
    return api.as_user(user).get(f"/api/rounds/{round_.pk}/suggestion/", {"shop": shop.pk})


# --- The rule alone --------------------------------------------------------------------


def test_the_worked_case_two_a_day_for_ten_days_with_seven_on_hand_is_thirteen():
    # 56 units in 28 days = 2 a day; 10 days to cover = 20; 7 on hand: 13 to order.
    assert suggested_quantity(sold_28_days=56, horizon_days=10, on_hand=7) == 13


@pytest.mark.parametrize(
    ("sold", "horizon", "on_hand", "expected"),
    [
        (29, 1, 1, 1),  # needs 1/28 of a unit more: a whole one
        (30, 10, 0, 11),  # 10.71... rounds up
        (28, 10, 10, 0),  # exactly covered
        (28, 10, 11, 0),  # more than covered: never negative
        (0, 10, 0, 0),  # never sold: nothing
        (56, 0, 0, 0),  # nothing to cover
    ],
)
def test_the_suggestion_rounds_up_to_whole_units(sold, horizon, on_hand, expected):
    assert suggested_quantity(sold_28_days=sold, horizon_days=horizon, on_hand=on_hand) == expected


counts = st.integers(min_value=0, max_value=10**7)
horizons = st.integers(min_value=0, max_value=400)


@given(sold=counts, horizon=horizons, on_hand=counts)
def test_the_suggestion_is_the_exact_ceiling_and_never_negative(sold, horizon, on_hand):
    result = suggested_quantity(sold_28_days=sold, horizon_days=horizon, on_hand=on_hand)
    assert result >= 0
    assert result == max(0, math.ceil(Fraction(sold, 28) * horizon - on_hand))


@given(sold=counts, more=counts, horizon=horizons, on_hand=counts)
def test_selling_more_never_suggests_less(sold, more, horizon, on_hand):
    assert suggested_quantity(
        sold_28_days=sold + more, horizon_days=horizon, on_hand=on_hand
    ) >= suggested_quantity(sold_28_days=sold, horizon_days=horizon, on_hand=on_hand)


@given(sold=counts, horizon=horizons, extra=counts)
def test_nothing_is_suggested_when_the_stock_covers_the_horizon(sold, horizon, extra):
    covering = math.ceil(Fraction(sold * horizon, 28)) + extra
    assert suggested_quantity(sold_28_days=sold, horizon_days=horizon, on_hand=covering) == 0


@pytest.mark.parametrize(("sold", "shown"), [(35, "1.25"), (56, "2.00"), (1, "0.04"), (0, "0.00")])
def test_the_average_is_shown_to_the_hundredth(sold, shown):
    assert average_daily_sales(sold) == Decimal(shown)


def test_the_next_delivery_is_the_next_rounds_else_the_same_gap_else_a_week():
    delivery = dt.date(2026, 3, 10)
    assert next_delivery(
        delivery_date=delivery, following=dt.date(2026, 3, 20), previous=dt.date(2026, 3, 1)
    ) == dt.date(2026, 3, 20)
    assert next_delivery(
        delivery_date=delivery, following=None, previous=dt.date(2026, 2, 24)
    ) == dt.date(2026, 3, 24)
    assert next_delivery(delivery_date=delivery, following=None, previous=None) == dt.date(
        2026, 3, 17
    )


# --- Through the API -------------------------------------------------------------------


def test_the_worked_case_through_the_api(api, shopkeeper, shop):
    supplier = SupplierFactory()
    butter = ProductFactory(supplier=supplier, name="Beurre doux", sku="BEU-250", case_size=10)
    stock_up(shop, butter, 63)
    for days_ago in range(1, 29):  # 2 a day on each of the last 28 days
        sell(shop, butter, 2, days_ago=days_ago)
    round_ = open_round(supplier, delivery_in=3)
    RoundFactory(supplier=supplier, delivery_date=day(10), status=Round.Status.OPEN)

    response = get(api, shopkeeper, round_, shop)

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "round": round_.pk,
        "shop": shop.pk,
        "delivery_date": day(3).isoformat(),
        "covers_until": day(10).isoformat(),
        "horizon_days": 10,
        "products": [
            {
                "product": butter.pk,
                "name": "Beurre doux",
                "sku": "BEU-250",
                "case_size": 10,
                "on_hand": 7,
                "sold_28_days": 56,
                "average_daily_sales": "2.00",
                "horizon_days": 10,
                "covers_until": day(10).isoformat(),
                "suggested_quantity": 13,
            }
        ],
    }


def test_a_fractional_need_is_rounded_up_and_products_come_by_name(api, shopkeeper, shop):
    supplier = SupplierFactory()
    tea = ProductFactory(supplier=supplier, name="Thé vert")
    coffee = ProductFactory(supplier=supplier, name="Café moulu")
    ProductFactory(supplier=supplier, name="Ancien produit", active=False)
    ProductFactory(name="Chez un autre fournisseur")
    stock_up(shop, coffee, 30)
    sell(shop, coffee, 30, days_ago=5)  # 30/28 a day: 10.71 over 10 days, none on hand
    round_ = open_round(supplier)
    RoundFactory(supplier=supplier, delivery_date=day(10))

    body = get(api, shopkeeper, round_, shop).json()

    assert [
        (p["name"], p["average_daily_sales"], p["on_hand"], p["suggested_quantity"])
        for p in body["products"]
    ] == [("Café moulu", "1.07", 0, 11), ("Thé vert", "0.00", 0, 0)]
    assert body["products"][1]["product"] == tea.pk


def test_the_horizon_runs_to_the_next_round_not_cancelled(api, shopkeeper, shop):
    supplier = SupplierFactory()
    ProductFactory(supplier=supplier)
    round_ = open_round(supplier, delivery_in=3)
    RoundFactory(supplier=supplier, delivery_date=day(6), status=Round.Status.CANCELLED)
    RoundFactory(supplier=supplier, delivery_date=day(12))
    RoundFactory(supplier=supplier, delivery_date=day(20))
    RoundFactory(delivery_date=day(8))  # another supplier's round

    body = get(api, shopkeeper, round_, shop).json()

    assert (body["covers_until"], body["horizon_days"]) == (day(12).isoformat(), 12)
    assert body["products"][0]["horizon_days"] == 12


def test_without_a_next_round_the_gap_since_the_previous_delivery_is_kept(api, shopkeeper, shop):
    supplier = SupplierFactory()
    ProductFactory(supplier=supplier)
    past = timezone.now() - dt.timedelta(days=30)
    RoundFactory(
        supplier=supplier,
        delivery_date=day(-11),
        status=Round.Status.RECEIVED,
        opens_at=past,
        closes_at=past + dt.timedelta(days=2),
    )
    RoundFactory(
        supplier=supplier,
        delivery_date=day(-5),
        status=Round.Status.CANCELLED,
        opens_at=past,
        closes_at=past + dt.timedelta(days=2),
    )
    round_ = open_round(supplier, delivery_in=3)

    body = get(api, shopkeeper, round_, shop).json()

    # Delivered 14 days apart (day -11, day 3): the next comes on day 17.
    assert (body["covers_until"], body["horizon_days"]) == (day(17).isoformat(), 17)


def test_with_no_other_round_the_goods_last_a_week(api, shopkeeper, shop):
    supplier = SupplierFactory()
    ProductFactory(supplier=supplier)
    round_ = open_round(supplier, delivery_in=3)

    body = get(api, shopkeeper, round_, shop).json()

    assert (body["covers_until"], body["horizon_days"]) == (day(10).isoformat(), 10)


def test_only_this_shops_sales_of_the_last_28_whole_days_count(api, shopkeeper, shop, other_shop):
    supplier = SupplierFactory()
    jam = ProductFactory(supplier=supplier)
    stock_up(shop, jam, 100)
    stock_up(other_shop, jam, 100)
    sell(shop, jam, 7, days_ago=29)  # before the window
    sell(shop, jam, 5, days_ago=28)  # its first day
    sell(shop, jam, 3, days_ago=1)  # its last day
    sell(shop, jam, 11, days_ago=0)  # today: not over yet
    sell(other_shop, jam, 40, days_ago=3)
    round_ = open_round(supplier)

    [line] = get(api, shopkeeper, round_, shop).json()["products"]

    assert (line["sold_28_days"], line["on_hand"]) == (8, 74)


def test_a_closed_round_has_no_suggestion(api, shopkeeper, shop):
    supplier = SupplierFactory()
    consolidated = RoundFactory(supplier=supplier, status=Round.Status.CONSOLIDATED)
    past_deadline = RoundFactory(
        supplier=supplier, closes_at=timezone.now() - dt.timedelta(minutes=1)
    )
    for round_ in (consolidated, past_deadline):
        response = get(api, shopkeeper, round_, shop)
        assert response.status_code == 409
        assert response.json()["code"] == "round_closed"


def test_another_shop_is_not_found_and_neither_is_an_unknown_round(
    api, shopkeeper, other_shop, shop
):
    round_ = open_round(SupplierFactory())
    assert get(api, shopkeeper, round_, other_shop).status_code == 404
    response = api.as_user(shopkeeper).get("/api/rounds/999999/suggestion/", {"shop": shop.pk})
    assert response.status_code == 404


def test_a_shopkeeper_of_one_shop_need_not_name_it(api, shopkeeper):
    round_ = open_round(SupplierFactory())
    response = api.as_user(shopkeeper).get(f"/api/rounds/{round_.pk}/suggestion/")
    assert response.status_code == 200
    assert response.json()["shop"] == shopkeeper.shops.get().pk


def test_an_accountant_may_read_it_and_a_coordinator_reads_any_shop(
    api, accountant, coordinator, shop, other_shop
):
    round_ = open_round(SupplierFactory())
    assert get(api, accountant, round_, shop).status_code == 200
    assert get(api, coordinator, round_, other_shop).json()["shop"] == other_shop.pk


def test_the_query_count_does_not_grow_with_the_products(api, shopkeeper, shop):
    def suggestion_of(count):
        supplier = SupplierFactory()
        products = ProductFactory.create_batch(count, supplier=supplier)
        for product in products:
            stock_up(shop, product, 10)
            sell(shop, product, 3, days_ago=2)
        round_ = open_round(supplier)
        client = api.as_user(shopkeeper)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/rounds/{round_.pk}/suggestion/", {"shop": shop.pk})
        assert len(response.json()["products"]) == count
        return len(queries)

    few = suggestion_of(3)
    assert suggestion_of(30) == few
    assert few == 5  # token, round, shop, the rounds around it, the products
