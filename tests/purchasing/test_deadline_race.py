"""The deadline under a row lock, with two real database connections (two threads).

A write racing the deadline either lands before consolidation (and is in it) or is
refused with round_closed; never half-way.
"""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from mache.errors import BusinessRuleError
from purchasing.models import Allocation, Order, Round, SupplierOrder
from purchasing.services.consolidation import round_consolidate
from purchasing.services.orders import order_place
from tests.factories import ProductFactory, RoundFactory, ShopFactory, SupplierFactory, make_order

pytestmark = pytest.mark.django_db(transaction=True)


def run_in_thread(target):
    """Run `target` on its own connection; returns (thread, outcome dict)."""
    outcome = {}

    def body():
        try:
            outcome["value"] = target()
        except Exception as exc:  # the test inspects it
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=body)
    thread.start()
    return thread, outcome


def wait_for_lock_waiter(timeout=10.0):
    """Block until some other backend waits on a lock (proof the two sessions collide)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("no session ever waited on the round's lock")


@pytest.fixture
def racing_round():
    supplier = SupplierFactory()
    product = ProductFactory(supplier=supplier, case_size=1)
    round_ = RoundFactory(
        supplier=supplier,
        opens_at=timezone.now() - dt.timedelta(hours=1),
        closes_at=timezone.now() + dt.timedelta(seconds=2),
    )
    early = ShopFactory()
    make_order(round_, early, (product, 5, 0))
    return round_, product, ShopFactory()


def test_a_write_holding_the_lock_at_the_deadline_is_in_the_consolidation(racing_round):
    round_, product, late_shop = racing_round
    locked, release = threading.Event(), threading.Event()

    def writer():
        with transaction.atomic():
            order = order_place(
                round_id=round_.pk,
                shop=late_shop,
                lines=[{"product": product.pk, "quantity": 3, "tolerance": 0}],
            )
            locked.set()
            release.wait(20)  # holds the round's lock past the deadline, uncommitted
        return order

    writer_thread, written = run_in_thread(writer)
    assert locked.wait(10)
    while timezone.now() < round_.closes_at:
        time.sleep(0.05)
    consolidator, consolidated = run_in_thread(lambda: round_consolidate(round_id=round_.pk))
    wait_for_lock_waiter()  # consolidation waits for the writer's lock
    release.set()
    writer_thread.join(20)
    consolidator.join(20)

    assert "error" not in written and "error" not in consolidated, (written, consolidated)
    assert consolidated["value"] is not None
    assert Allocation.objects.filter(shop=late_shop).get().allocated == 3
    assert SupplierOrder.objects.get().lines.get().units == 8


def test_a_write_arriving_while_consolidation_runs_is_refused(racing_round):
    round_, product, late_shop = racing_round
    Round.objects.filter(pk=round_.pk).update(closes_at=timezone.now())
    holding, release = threading.Event(), threading.Event()

    def consolidator():
        with transaction.atomic():
            supplier_order = round_consolidate(round_id=round_.pk)
            holding.set()
            release.wait(20)  # consolidation done, not yet committed: the lock is held
        return supplier_order

    consolidator_thread, consolidated = run_in_thread(consolidator)
    assert holding.wait(10)
    writer_thread, written = run_in_thread(
        lambda: order_place(
            round_id=round_.pk,
            shop=late_shop,
            lines=[{"product": product.pk, "quantity": 3, "tolerance": 0}],
        )
    )
    wait_for_lock_waiter()  # the write waits for the consolidation's lock
    release.set()
    consolidator_thread.join(20)
    writer_thread.join(20)

    assert isinstance(written.get("error"), BusinessRuleError)
    assert written["error"].code == "round_closed"
    assert not Order.objects.filter(shop=late_shop).exists()
    assert not Allocation.objects.filter(shop=late_shop).exists()
    assert SupplierOrder.objects.get().lines.get().units == 5


def test_two_consolidations_at_once_make_one_supplier_order(racing_round):
    round_, product, _ = racing_round
    Round.objects.filter(pk=round_.pk).update(closes_at=timezone.now())
    barrier = threading.Barrier(2)

    def consolidate():
        barrier.wait(10)
        return round_consolidate(round_id=round_.pk).pk

    runs = [run_in_thread(consolidate) for _ in range(2)]
    for thread, _ in runs:
        thread.join(30)
    assert [outcome.get("error") for _, outcome in runs] == [None, None]
    assert runs[0][1]["value"] == runs[1][1]["value"]
    assert SupplierOrder.objects.count() == 1
    assert Allocation.objects.count() == 1


def test_writers_of_two_shops_share_the_lock_and_consolidation_waits_for_both(racing_round):
    """Order writers take the round SHARE (docs/consolidation.md): the second writes while
    the first's transaction is still open; consolidation, EXCLUSIVE, waits for both."""
    round_, product, first_shop = racing_round
    second_shop = ShopFactory()
    holding = {shop.pk: threading.Event() for shop in (first_shop, second_shop)}
    release = {shop.pk: threading.Event() for shop in (first_shop, second_shop)}

    def writer(shop, quantity):
        def body():
            with transaction.atomic():
                order = order_place(
                    round_id=round_.pk,
                    shop=shop,
                    lines=[{"product": product.pk, "quantity": quantity, "tolerance": 0}],
                )
                holding[shop.pk].set()
                release[shop.pk].wait(20)  # the round's lock held, uncommitted
            return order

        return body

    first, first_written = run_in_thread(writer(first_shop, 3))
    assert holding[first_shop.pk].wait(10)
    second, second_written = run_in_thread(writer(second_shop, 4))
    # The second writer got through while the first holds the lock: never blocked.
    assert holding[second_shop.pk].wait(10), "the second writer waited for the first"
    assert first.is_alive() and second.is_alive()

    while timezone.now() < round_.closes_at:
        time.sleep(0.05)
    consolidator, consolidated = run_in_thread(lambda: round_consolidate(round_id=round_.pk))
    wait_for_lock_waiter()  # consolidation waits for the writers
    release[first_shop.pk].set()
    first.join(20)
    time.sleep(0.2)
    assert consolidator.is_alive() and "value" not in consolidated  # still the second
    wait_for_lock_waiter()
    release[second_shop.pk].set()
    second.join(20)
    consolidator.join(20)

    assert "error" not in first_written and "error" not in second_written
    assert "error" not in consolidated, consolidated
    assert Allocation.objects.get(shop=first_shop).allocated == 3
    assert Allocation.objects.get(shop=second_shop).allocated == 4
    assert SupplierOrder.objects.get().lines.get().units == 12
