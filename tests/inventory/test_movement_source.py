"""A stock movement names its source document by a unique key, not by a key to
purchasing's allocations (issue 11, point 2)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import resolve
from django.utils import timezone

from inventory.models import StockMovement
from inventory.services import ReceiptIn, stock_receipts_record
from purchasing.models import Allocation
from purchasing.services.consolidation import round_consolidate
from purchasing.services.receipt import supplier_order_receive
from tests.factories import ProductFactory, RoundFactory, SupplierFactory, make_order


def received_round(shop, other_shop):
    supplier = SupplierFactory()
    product = ProductFactory(supplier=supplier, case_size=1, unit_price=Decimal("2.0000"))
    past = RoundFactory(supplier=supplier, closes_at=timezone.now() - dt.timedelta(minutes=1))
    make_order(past, shop, (product, 4, 0))
    make_order(past, other_shop, (product, 2, 0))
    supplier_order = round_consolidate(round_id=past.pk)
    supplier_order_receive(supplier_order_id=supplier_order.pk, received={})
    return supplier_order


def test_a_receipt_names_each_allocation_it_comes_from(shop, other_shop):
    supplier_order = received_round(shop, other_shop)
    sources = set(StockMovement.objects.filter(kind="receipt").values_list("source", flat=True))
    assert sources == {
        f"allocation:{pk}"
        for pk in Allocation.objects.filter(supplier_order=supplier_order).values_list(
            "pk", flat=True
        )
    }
    assert len(sources) == 2


def test_a_source_document_enters_the_stock_once(shop, other_shop):
    received_round(shop, other_shop)
    movement = StockMovement.objects.filter(shop=shop, kind="receipt").get()
    with pytest.raises(IntegrityError):
        stock_receipts_record(
            receipts=[
                ReceiptIn(
                    shop_id=shop.pk,
                    product_id=movement.product_id,
                    quantity=1,
                    unit_cost=Decimal("2.0000"),
                    source=movement.source,
                    occurred_at=timezone.now(),
                )
            ]
        )


def test_movements_of_people_have_no_source_and_are_many(shop):
    product = ProductFactory()
    stock_receipts_record(
        receipts=[
            ReceiptIn(
                shop_id=shop.pk,
                product_id=product.pk,
                quantity=5,
                unit_cost=Decimal("1.0000"),
                source="receipt:test:1",
                occurred_at=timezone.now(),
            )
        ]
    )
    from inventory.services import movement_create

    movement_create(shop=shop, product=product, kind="sale", quantity=1)
    movement_create(shop=shop, product=product, kind="sale", quantity=1)
    assert list(StockMovement.objects.filter(kind="sale").values_list("source", flat=True)) == [
        "",
        "",
    ]


def test_the_suggested_order_is_served_by_purchasing_on_its_old_path():
    view = resolve("/api/rounds/7/suggestion/").func.view_class
    assert view.__module__ == "purchasing.apis.suggestion"


def migrate_to(*targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(list(targets))


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_the_old_allocation_key_into_the_source(shop, other_shop):
    supplier_order = received_round(shop, other_shop)
    expected = {(m.pk, m.source) for m in StockMovement.objects.filter(kind="receipt")}
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("inventory")
    try:
        # Back to the one-to-one key (the reverse fills it from the source), rows as
        # the old code left them: a key, no source.
        migrate_to(("inventory", "0004_movement_source"))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM inventory_stockmovement WHERE allocation_id IS NOT NULL"
            )
            assert cursor.fetchone()[0] == 2
            cursor.execute("UPDATE inventory_stockmovement SET source = ''")
        migrate_to(("inventory", "0003_catalogue_products"))
        migrate_to(*latest)
    finally:
        migrate_to(*MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert {(m.pk, m.source) for m in StockMovement.objects.filter(kind="receipt")} == expected
    assert {source for _, source in expected} == {
        f"allocation:{pk}" for pk in supplier_order.allocations.values_list("pk", flat=True)
    }
