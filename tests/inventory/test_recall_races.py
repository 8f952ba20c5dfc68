# ruff: noqa: F811 (the `world` fixture, imported, is each test's parameter)
"""Recalls racing other writes, on real connections (docs/recalls.md, "Recall"): two
recalls of one lot at once, and a sale at the moment of a recall."""

import pytest

from inventory.models import Recall, RecallShop, StockLot
from inventory.recalls import RecallExists, recall_create
from inventory.services import LotRecalled, movement_create

from .conftest import days, receive
from .test_concurrency import concurrently
from .test_recalls import LOT, REASON, world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def recall_of(world):
    return lambda: recall_create(
        product=world["product"], lot=LOT, reason=REASON, user=world["coordinator"]
    )


def sale_of(world, shop, quantity):
    return lambda: movement_create(
        shop=shop, product=world["product"], kind="sale", quantity=quantity
    )


def test_two_recalls_of_one_lot_at_once_make_one(world):
    first, second = concurrently(recall_of(world), recall_of(world))
    assert isinstance(first.get("value"), Recall), first
    assert isinstance(second.get("error"), RecallExists), second
    assert Recall.objects.count() == 1
    assert RecallShop.objects.count() == 3


def test_a_sale_before_the_recall_s_figures_is_in_them(world):
    """The sale holds Romazy's balance: the recall waits for it and counts it."""
    bazouges = world["bazouges"]
    sale, made = concurrently(sale_of(world, bazouges, 3), recall_of(world))
    assert "error" not in sale and "error" not in made, (sale, made)
    line = RecallShop.objects.get(shop=bazouges)
    assert (line.received, line.sold_or_lost, line.left) == (8, 8, 0)
    assert StockLot.objects.get(shop=bazouges, code=LOT).remaining == 0


def test_a_sale_during_the_recall_is_refused(world):
    """The recall holds the balances: the sale waits, then finds the lot recalled."""
    bazouges = world["bazouges"]
    made, sale = concurrently(recall_of(world), sale_of(world, bazouges, 1))
    assert "error" not in made, made
    assert isinstance(sale.get("error"), LotRecalled), sale
    line = RecallShop.objects.get(shop=bazouges)
    assert (line.received, line.sold_or_lost, line.left) == (8, 5, 3)
    assert StockLot.objects.get(shop=bazouges, code=LOT).remaining == 3


def test_a_delivery_of_the_lot_at_the_moment_of_its_recall_concerns_its_shop(world):
    """Either way round, the shop receiving the lot gets its line: here the delivery
    holds the locks, the recall waits for it and finds the new lot."""
    elsewhere = world["elsewhere"]

    def delivery():
        return receive(elsewhere, world["product"], 2, "2.0000", lot=LOT, expires_on=days(1))

    delivered, made = concurrently(delivery, recall_of(world))
    assert "error" not in delivered and "error" not in made, (delivered, made)
    line = RecallShop.objects.get(shop=elsewhere)
    assert (line.received, line.sold_or_lost, line.left) == (2, 0, 2)
