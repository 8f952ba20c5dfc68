"""The allocations have no per-row foreign key: one check per statement (migration
0015_allocation_statement_checks) must still refuse every dangling allocation,
through the ORM and through raw SQL (docs/consolidation.md, "How it stays fast")."""

import pytest
from django.db import IntegrityError, connection, transaction

from purchasing.models import Allocation, Order, SupplierOrder
from purchasing.services.consolidation import round_consolidate
from tests.factories import ShopFactory
from tests.factories import close_round as close

from .test_consolidation import place_example

INSERT = (
    "INSERT INTO purchasing_allocation (supplier_order_id, order_id, shop_id, product_id,"
    " rank, quantity, tolerance, allocated) VALUES (%s, %s, %s, %s, 1, 1, 0, 1)"
)


@pytest.fixture
def consolidated(example):
    place_example(example)
    close(example["round"])
    supplier_order = round_consolidate(round_id=example["round"].pk)
    orders = {o.shop_id: o for o in Order.objects.filter(round=example["round"])}
    return {**example, "supplier_order": supplier_order, "orders": orders}


def refused(sql, params=()):
    """The statement fails with a foreign-key violation naming the allocations' check,
    and leaves the transaction usable (a savepoint)."""
    with pytest.raises(IntegrityError, match="purchasing_allocation"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def insert(ex, *, supplier_order=None, order=None, shop=None, product=None):
    """An allocation of shop 101's P1 line, with one of its references replaced."""
    order = order or ex["orders"][101]
    order_id = order.pk if isinstance(order, Order) else order
    shop_id = shop or order.shop_id
    return (
        INSERT,
        [supplier_order or ex["supplier_order"].pk, order_id, shop_id, product or ex["p1"].pk],
    )


def test_the_consolidation_writes_its_allocations_through_the_check(consolidated):
    assert Allocation.objects.filter(supplier_order=consolidated["supplier_order"]).count() == 6


def test_an_allocation_of_no_order_line_is_refused(consolidated):
    ex = consolidated
    Allocation.objects.filter(order=ex["orders"][101], product=ex["p1"]).delete()
    # The order and the product exist, but shop 101 ordered no P3.
    refused(*insert(ex, product=ex["p3"].pk))
    # And the allocation deleted above can come back: it is a line of the order.
    with connection.cursor() as cursor:
        cursor.execute(*insert(ex))


def test_an_allocation_of_a_missing_order_product_or_supplier_order_is_refused(consolidated):
    ex = consolidated
    Allocation.objects.filter(order=ex["orders"][101], product=ex["p1"]).delete()
    refused(*insert(ex, order=999_999, shop=101))
    refused(*insert(ex, product=999_999))
    refused(*insert(ex, supplier_order=999_999))


def test_an_allocation_for_another_shop_than_the_orders_is_refused(consolidated):
    ex = consolidated
    Allocation.objects.filter(product=ex["p1"]).delete()
    # Shop 102 did order P1, but in an order of its own.
    refused(*insert(ex, shop=ex["shops"][102].pk))


def test_the_orm_is_refused_too_and_one_bad_row_refuses_the_whole_statement(consolidated):
    ex = consolidated
    Allocation.objects.filter(supplier_order=ex["supplier_order"]).delete()
    good = Allocation(
        supplier_order=ex["supplier_order"],
        order=ex["orders"][101],
        shop=ex["shops"][101],
        product=ex["p1"],
        rank=1,
        quantity=7,
        tolerance=2,
        allocated=8,
    )
    bad = Allocation(
        supplier_order=ex["supplier_order"],
        order=ex["orders"][103],
        shop=ex["shops"][103],
        product=ex["p2"],  # shop 103 ordered no P2
        rank=3,
        quantity=1,
        tolerance=0,
        allocated=1,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Allocation.objects.bulk_create([good, bad])
    assert not Allocation.objects.filter(supplier_order=ex["supplier_order"]).exists()


def test_moving_an_allocation_to_nowhere_is_refused(consolidated):
    ex = consolidated
    refused(
        "UPDATE purchasing_allocation SET product_id = %s WHERE order_id = %s AND product_id = %s",
        [ex["p3"].pk, ex["orders"][101].pk, ex["p1"].pk],
    )
    refused(
        "UPDATE purchasing_allocation SET supplier_order_id = 999999 WHERE order_id = %s",
        [ex["orders"][101].pk],
    )


def test_what_an_allocation_points_at_cannot_be_deleted_nor_moved(consolidated):
    ex = consolidated
    order = ex["orders"][101]
    refused(
        "DELETE FROM purchasing_orderline WHERE order_id = %s AND product_id = %s",
        [order.pk, ex["p1"].pk],
    )
    refused(
        "UPDATE purchasing_orderline SET product_id = %s WHERE order_id = %s AND product_id = %s",
        [ex["p3"].pk, order.pk, ex["p1"].pk],
    )
    refused("UPDATE purchasing_order SET shop_id = %s WHERE id = %s", [ShopFactory().pk, order.pk])
    refused("DELETE FROM purchasing_supplierorder WHERE id = %s", [ex["supplier_order"].pk])
    # An order's ordinary save (updated_at) is not a move.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE purchasing_order SET updated_at = now() WHERE id = %s", [order.pk])


def test_deleting_a_supplier_order_through_the_orm_cascades_as_before(consolidated):
    supplier_order = consolidated["supplier_order"]
    SupplierOrder.objects.filter(pk=supplier_order.pk).delete()
    assert not Allocation.objects.filter(supplier_order_id=supplier_order.pk).exists()
