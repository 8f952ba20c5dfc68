"""Concurrent movements of one product, on two real connections: no update is lost,
and two sales that together exceed the stock cannot both pass."""

import threading

import pytest
from django.db import connections, transaction

from inventory.models import StockBalance, StockLot, StockMovement
from inventory.services import InsufficientStock, movement_create
from tests.factories import ProductFactory, ShopFactory

from .conftest import receive

pytestmark = pytest.mark.django_db(transaction=True)


def concurrently(*calls, hold=0.3):
    """Run each call in its own thread and transaction; the first one holds its lock
    for `hold` seconds after writing, so that the others must wait for it."""
    started = threading.Event()
    outcomes = [{} for _ in calls]

    def run(index, call):
        try:
            with transaction.atomic():
                outcomes[index]["value"] = call()
                if index == 0:
                    started.set()
                    threading.Event().wait(hold)
        except Exception as exc:  # inspected by the test
            outcomes[index]["error"] = exc
        finally:
            if index == 0:
                started.set()
            connections.close_all()

    threads = [threading.Thread(target=run, args=(0, calls[0]))]
    threads[0].start()
    started.wait(10)
    threads += [
        threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls[1:], start=1)
    ]
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def test_concurrent_sales_never_lose_an_update():
    shop, product = ShopFactory(), ProductFactory()
    receive(shop, product, 10, "1.0000")
    outcomes = concurrently(
        *[
            lambda: movement_create(shop=shop, product=product, kind="sale", quantity=2)
            for _ in range(3)
        ]
    )
    assert [o.get("error") for o in outcomes] == [None, None, None]
    stock = StockBalance.objects.get(shop=shop, product=product)
    assert stock.quantity == 4
    assert sorted(
        StockMovement.objects.filter(kind="sale").values_list("quantity_after", flat=True)
    ) == [4, 6, 8]
    assert sum(StockLot.objects.values_list("remaining", flat=True)) == 4


def test_two_sales_that_exceed_the_stock_together_cannot_both_pass():
    shop, product = ShopFactory(), ProductFactory()
    receive(shop, product, 5, "1.0000")
    outcomes = concurrently(
        lambda: movement_create(shop=shop, product=product, kind="sale", quantity=3),
        lambda: movement_create(shop=shop, product=product, kind="sale", quantity=3),
    )
    assert "error" not in outcomes[0]
    assert isinstance(outcomes[1].get("error"), InsufficientStock)
    assert StockBalance.objects.get(shop=shop, product=product).quantity == 2
    assert StockMovement.objects.filter(kind="sale").count() == 1
