"""A count states the quantity on hand at its date: whatever is inserted before it later,
the stock right after it stays what was counted (docs/inventory.md)."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory.models import StockBalance, StockCountLine, StockLot, StockMovement
from inventory.services import (
    InsufficientStock,
    end_of_day,
    stock_count_record,
)
from mache.periods import PARIS
from tests.factories import ProductFactory, record_movement

from .conftest import days, receive


def at_noon(n):
    return dt.datetime.combine(days(n), dt.time(12, 0), tzinfo=PARIS)


def count(shop, product, day, quantity, user):
    return stock_count_record(
        shop=shop, counted_on=day, user=user, lines=[{"product": product, "quantity": quantity}]
    )


def count_movement(counted, product):
    return StockMovement.objects.get(count=counted, product=product)


def lots_cover_the_stock(shop, product):
    """Lots hold exactly the units on hand, and every count's own lot minus what it took
    from other lots equals its adjustment."""
    on_hand = StockBalance.objects.get(shop=shop, product=product).quantity
    lots = StockLot.objects.filter(shop=shop, product=product)
    assert sum(lot.remaining for lot in lots) == on_hand
    for movement in StockMovement.objects.filter(shop=shop, product=product, count__isnull=False):
        own = lots.filter(movement=movement).first()
        taken = sum(part.quantity for part in movement.lot_parts.all())
        assert (own.initial if own else 0) - taken == movement.quantity


def test_an_earlier_count_does_not_rewrite_what_a_later_count_found(api, shopkeeper, shop, product):
    # The reproduction of issue 10: 20 received at 2.40, 17 counted; then a count of an
    # earlier day (before the receipt) finding 5 made the later count show 22, 5 units
    # at 0 EUR and an average of 1.92.
    receive(shop, product, 20, "2.4000", at=at_noon(-5))
    later = count(shop, product, days(-1), 17, shopkeeper)
    response = api.as_user(shopkeeper).post(
        "/api/stock/counts/",
        {
            "shop": shop.pk,
            "counted_on": str(days(-10)),
            "lines": [{"product": product.pk, "quantity": 5}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()

    adjustment = count_movement(later, product)
    assert (
        adjustment.quantity,
        adjustment.quantity_after,
        adjustment.average_cost_after,
        adjustment.value_after,
    ) == (-8, 17, Decimal("2.4000"), Decimal("40.80"))
    line = StockCountLine.objects.get(count=later)
    assert (line.expected, line.counted) == (25, 17)
    earlier = StockMovement.objects.get(count_id=response.json()["id"])
    # No cost known on that day: the catalogue price stands for the last purchase price.
    assert (earlier.quantity, earlier.unit_cost) == (5, Decimal("2.4000"))
    assert not StockMovement.objects.filter(quantity__gt=0, unit_cost=0).exists()
    stock = StockBalance.objects.get(shop=shop, product=product)
    assert (stock.quantity, stock.average_cost, stock.value) == (
        17,
        Decimal("2.4000"),
        Decimal("40.80"),
    )
    lots_cover_the_stock(shop, product)


def test_a_backdated_sale_before_a_count_leaves_the_count_as_found(shopkeeper, shop, product):
    receive(shop, product, 10, "1.0000", at=at_noon(-6), lot="L1", expires_on=days(30))
    counted = count(shop, product, days(-2), 10, shopkeeper)
    assert count_movement(counted, product).quantity == 0
    record_movement(shop, product, "sale", -3, at=at_noon(-4))
    adjustment = count_movement(counted, product)
    assert (adjustment.quantity, adjustment.quantity_after, adjustment.unit_cost) == (
        3,
        10,
        Decimal("1.0000"),
    )
    assert StockCountLine.objects.get(count=counted).expected == 7
    assert StockBalance.objects.get(shop=shop, product=product).quantity == 10
    lots_cover_the_stock(shop, product)
    # A later backdated receipt turns the count's +3 into -2: its own lot gives them back.
    receive(shop, product, 5, "2.0000", at=at_noon(-3))
    adjustment = count_movement(counted, product)
    assert (adjustment.quantity, adjustment.quantity_after) == (-2, 10)
    assert StockBalance.objects.get(shop=shop, product=product).quantity == 10
    lots_cover_the_stock(shop, product)


def test_units_a_count_adds_carry_the_average_cost_of_their_date(shopkeeper, shop, product):
    receive(shop, product, 10, "1.0000", at=at_noon(-8))
    receive(shop, product, 10, "3.0000", at=at_noon(-3))
    counted = count(shop, product, days(-5), 12, shopkeeper)
    adjustment = count_movement(counted, product)
    assert (adjustment.quantity, adjustment.unit_cost) == (2, Decimal("1.0000"))
    # The later receipt is replayed on 12 units at 1.00: (12 + 30) / 22 = 1.90909091
    # (costs carry 8 decimals: docs/inventory.md, "Stock at its full cost").
    assert StockBalance.objects.get(shop=shop, product=product).average_cost == (
        Decimal("1.90909091")
    )


def test_a_backdated_exit_the_stock_of_its_day_cannot_cover_is_refused_before_a_count(
    shopkeeper, shop, product
):
    receive(shop, product, 4, "1.0000", at=at_noon(-6))
    counted = count(shop, product, days(-2), 10, shopkeeper)  # 6 more found
    with pytest.raises(InsufficientStock):
        record_movement(shop, product, "sale", -5, at=at_noon(-4))
    adjustment = count_movement(counted, product)
    assert (adjustment.quantity, adjustment.quantity_after) == (6, 10)
    assert StockMovement.objects.filter(product=product).count() == 2
    lots_cover_the_stock(shop, product)


# --- Any insertion order gives the history of the date order ------------------------

EVENT = st.one_of(
    st.tuples(
        st.just("receipt"),
        st.integers(1, 20),
        st.sampled_from(["0.5000", "1.2000", "2.4000", "3.3333", "0.0700"]),
    ),
    st.tuples(st.just("sale"), st.integers(1, 10), st.none()),
    st.tuples(st.just("loss"), st.integers(1, 6), st.none()),
    st.tuples(st.just("adjustment"), st.sampled_from([-3, -1, 2, 5]), st.none()),
    st.tuples(st.just("count"), st.integers(0, 25), st.none()),
)


@st.composite
def histories(draw):
    events = draw(st.lists(EVENT, min_size=1, max_size=8))
    # One event a day, so that the date order is a total order.
    offsets = sorted(
        draw(st.lists(st.integers(1, 40), min_size=len(events), max_size=len(events), unique=True)),
        reverse=True,
    )
    dated = [(-offset, *event) for offset, event in zip(offsets, events, strict=True)]
    return dated, draw(st.permutations(range(len(dated)))), draw(st.booleans())


def insert(shop, product, user, event) -> bool:
    """Record one event; False if it was refused for want of stock."""
    day, kind, quantity, cost = event
    try:
        if kind == "count":
            count(shop, product, days(day), quantity, user)
        else:
            delta = -quantity if kind in ("sale", "loss") else quantity
            record_movement(
                shop,
                product,
                kind,
                delta,
                at=at_noon(day),
                cost=cost or None,
                reason="damaged" if kind == "loss" else "",
            )
    except InsufficientStock:
        return False
    return True


def history(shop, product):
    rows = StockMovement.objects.filter(shop=shop, product=product).order_by("occurred_at", "id")
    stock = StockBalance.objects.get(shop=shop, product=product)
    return (
        [
            (m.kind, m.quantity, m.unit_cost, m.quantity_after, m.average_cost_after, m.value_after)
            for m in rows
        ],
        (stock.quantity, stock.average_cost, stock.value),
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=histories())
def test_any_insertion_order_gives_the_history_of_the_date_order(shopkeeper, shop, case):
    events, order, opening = case
    shuffled, in_order = (
        ProductFactory(unit_price=Decimal("1.8000")),
        ProductFactory(unit_price=Decimal("1.8000")),
    )
    for product in (shuffled, in_order):
        if opening:
            receive(shop, product, 15, "2.0000", at=at_noon(-45))
    # Events the stock could not cover at the time they were inserted are refused;
    # the ones that stood, inserted in date order, must give the very same history.
    accepted = [events[i] for i in order if insert(shop, shuffled, shopkeeper, events[i])]
    for event in sorted(accepted):
        assert insert(shop, in_order, shopkeeper, event), event
    StockBalance.objects.get_or_create(shop=shop, product=shuffled)
    StockBalance.objects.get_or_create(shop=shop, product=in_order)
    assert history(shop, shuffled) == history(shop, in_order)

    for product in (shuffled, in_order):
        lots_cover_the_stock(shop, product)
        assert not StockMovement.objects.filter(
            product=product, quantity__gt=0, unit_cost=0
        ).exists()
        for line in StockCountLine.objects.filter(product=product).select_related("count"):
            found = StockMovement.objects.get(count=line.count, product=product)
            assert found.quantity_after == line.counted
            assert found.quantity == line.counted - line.expected
            assert found.occurred_at == end_of_day(line.count.counted_on)


def test_the_migration_gives_earlier_counts_that_found_no_difference_their_movement(
    shopkeeper, shop, product
):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("inventory.migrations.0002_counts_fixed_points")
    receive(shop, product, 6, "1.5000", at=at_noon(-4))
    counted = count(shop, product, days(-2), 6, shopkeeper)
    StockMovement.objects.filter(count=counted).delete()  # as counts were recorded before
    migration.zero_adjustments(apps, None)
    found = count_movement(counted, product)
    assert (found.quantity, found.quantity_after, found.average_cost_after, found.occurred_at) == (
        0,
        6,
        Decimal("1.5000"),
        end_of_day(days(-2)),
    )
    # From then on it is a fixed point: a backdated sale before it leaves it at 6.
    record_movement(shop, product, "sale", -2, at=at_noon(-3))
    assert (
        count_movement(counted, product).quantity,
        StockBalance.objects.get(shop=shop, product=product).quantity,
    ) == (2, 6)
