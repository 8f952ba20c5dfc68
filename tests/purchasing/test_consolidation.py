import datetime as dt
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from purchasing.models import Allocation, Round, SupplierOrder
from purchasing.services.consolidation import round_consolidate, rounds_due_ids
from tests.factories import ProductFactory, RoundFactory, ShopFactory, SupplierFactory, make_order
from tests.factories import close_round as close

from .conftest import example_orders


def place_example(ex):
    start = timezone.now() - dt.timedelta(minutes=30)
    for index, (number, lines) in enumerate(example_orders(ex)):
        make_order(
            ex["round"], ex["shops"][number], *lines, created_at=start + dt.timedelta(minutes=index)
        )


def test_the_worked_example_of_the_spec(example):
    place_example(example)
    close(example["round"])

    supplier_order = round_consolidate(round_id=example["round"].pk)

    lines = {ln.product.sku: ln for ln in supplier_order.lines.select_related("product")}
    assert set(lines) == {"P1", "P2"}
    assert (lines["P1"].cases, lines["P1"].units, lines["P1"].unit_price, lines["P1"].amount) == (
        2,
        24,
        Decimal("1.2000"),
        Decimal("28.80"),
    )
    assert (lines["P2"].cases, lines["P2"].units, lines["P2"].unit_price, lines["P2"].amount) == (
        1,
        6,
        Decimal("3.5000"),
        Decimal("21.00"),
    )
    assert supplier_order.total_excl_vat == Decimal("49.80")
    assert supplier_order.shipping == Decimal("25.00")
    assert supplier_order.status == "confirmed"
    assert len(supplier_order.warnings) == 1 and "P3" in supplier_order.warnings[0]
    allocated = {
        (a.shop_id, a.product.sku): a.allocated
        for a in Allocation.objects.select_related("product")
    }
    assert allocated == {
        (101, "P1"): 8,
        (102, "P1"): 10,
        (103, "P1"): 6,
        (101, "P2"): 3,
        (102, "P2"): 3,
        (103, "P3"): 0,
    }
    assert Round.objects.get(pk=example["round"].pk).status == "consolidated"


def test_a_group_reaching_a_tier_gets_the_tier_price(example):
    make_order(example["round"], example["shops"][101], (example["p1"], 70, 0))
    make_order(example["round"], example["shops"][102], (example["p1"], 50, 0))
    close(example["round"])
    supplier_order = round_consolidate(round_id=example["round"].pk)
    line = supplier_order.lines.get()
    assert (line.cases, line.unit_price, line.amount) == (10, Decimal("1.0000"), Decimal("120.00"))


def test_free_shipping_from_the_threshold(example):
    example["supplier"].free_shipping_threshold = Decimal("120.00")
    example["supplier"].save()
    make_order(example["round"], example["shops"][101], (example["p1"], 120, 0))
    close(example["round"])
    assert round_consolidate(round_id=example["round"].pk).shipping == Decimal("0.00")


def test_below_the_minimum_the_supplier_order_needs_review(example):
    example["supplier"].min_order_amount = Decimal("80.00")
    example["supplier"].save()
    place_example(example)
    close(example["round"])
    supplier_order = round_consolidate(round_id=example["round"].pk)
    assert supplier_order.status == "needs_review"
    assert any("minimum" in w for w in supplier_order.warnings)


def test_a_shortfall_is_shared_by_rank_not_by_shop_id(db):
    supplier = SupplierFactory()
    product = ProductFactory(supplier=supplier, case_size=10)
    round_ = RoundFactory(supplier=supplier)
    late, early, middle = ShopFactory(id=301), ShopFactory(id=399), ShopFactory(id=350)
    start = timezone.now() - dt.timedelta(hours=1)
    # 15 asked, 10 bought: 10 x 5/15 = 3.33 each; the leftover unit goes to rank 1.
    make_order(round_, early, (product, 5, 0), created_at=start)
    make_order(round_, middle, (product, 5, 0), created_at=start + dt.timedelta(minutes=1))
    make_order(round_, late, (product, 5, 0), created_at=start + dt.timedelta(minutes=2))
    close(round_)
    round_consolidate(round_id=round_.pk)
    got = dict(Allocation.objects.values_list("shop_id", "allocated"))
    assert got == {399: 4, 350: 3, 301: 3}
    assert list(Allocation.objects.order_by("rank").values_list("shop_id", flat=True)) == [
        399,
        350,
        301,
    ]


def test_running_it_twice_gives_one_supplier_order(example):
    place_example(example)
    close(example["round"])
    first = round_consolidate(round_id=example["round"].pk)
    second = round_consolidate(round_id=example["round"].pk)
    assert first.pk == second.pk
    assert SupplierOrder.objects.count() == 1
    assert Allocation.objects.count() == 6


def test_a_round_before_its_deadline_is_not_consolidated_by_the_sweep(example):
    place_example(example)
    assert round_consolidate(round_id=example["round"].pk) is None
    assert rounds_due_ids() == []
    close(example["round"])
    assert rounds_due_ids() == [example["round"].pk]


def test_a_cancelled_round_is_not_consolidated(example):
    place_example(example)
    Round.objects.filter(pk=example["round"].pk).update(
        status="cancelled", closes_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert round_consolidate(round_id=example["round"].pk) is None
    assert not SupplierOrder.objects.exists()


def test_an_empty_round_consolidates_to_an_empty_order_under_review(example):
    example["supplier"].min_order_amount = Decimal("50.00")
    example["supplier"].save()
    close(example["round"])
    supplier_order = round_consolidate(round_id=example["round"].pk)
    assert supplier_order.total_excl_vat == Decimal("0.00")
    assert supplier_order.status == "needs_review"
    assert not supplier_order.lines.exists()


def consolidation_queries(shop_count: int, lines_per_shop: int) -> int:
    supplier = SupplierFactory()
    products = [
        ProductFactory(supplier=supplier, case_size=n % 5 + 1) for n in range(lines_per_shop)
    ]
    round_ = RoundFactory(supplier=supplier)
    for n in range(shop_count):
        make_order(round_, ShopFactory(), *[(p, n % 7 + 1, n % 3) for p in products])
    close(round_)
    with CaptureQueriesContext(connection) as queries:
        round_consolidate(round_id=round_.pk)
    assert (
        Allocation.objects.filter(supplier_order__round=round_).count()
        == shop_count * lines_per_shop
    )
    return len(queries)


def test_the_query_count_does_not_grow_with_shops_or_lines(db):
    small = consolidation_queries(3, 2)
    large = consolidation_queries(30, 8)
    assert small == large
