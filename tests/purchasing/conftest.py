import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from shops.models import User
from tests.factories import (
    CooperativeFactory,
    ProductFactory,
    RoundFactory,
    ShopFactory,
    SupplierFactory,
    UserFactory,
    add_tiers,
)


@pytest.fixture
def example(db):
    """The worked example of docs/consolidation.md: supplier, products P1-P3, shops 101-103,
    each with a shopkeeper, and an open round."""
    coop = CooperativeFactory(service_fee_rate=Decimal("0.02"))
    supplier = SupplierFactory(
        name="Laiterie d'exemple",
        shipping_fee=Decimal("25.00"),
        free_shipping_threshold=Decimal("300.00"),
        min_order_amount=Decimal("0.00"),
    )
    p1 = ProductFactory(
        supplier=supplier,
        sku="P1",
        name="Produit P1",
        case_size=12,
        unit_price=Decimal("1.2000"),
        vat_rate=Decimal("5.50"),
    )
    add_tiers(p1, (5, "1.1000"), (10, "1.0000"))
    p2 = ProductFactory(
        supplier=supplier,
        sku="P2",
        name="Produit P2",
        case_size=6,
        unit_price=Decimal("3.5000"),
        vat_rate=Decimal("20.00"),
    )
    p3 = ProductFactory(
        supplier=supplier,
        sku="P3",
        name="Produit P3",
        case_size=10,
        unit_price=Decimal("0.8000"),
        vat_rate=Decimal("5.50"),
    )
    shops = {n: ShopFactory(id=n, name=f"Commerce {n}") for n in (101, 102, 103)}
    # Ids given by hand leave the table's sequence behind: shops made afterwards by
    # ShopFactory() would collide with 101-103 whenever the sequence (not rolled back
    # between tests) happens to be just below them.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('shops_shop', 'id'),"
            " GREATEST(nextval(pg_get_serial_sequence('shops_shop', 'id')), 104))"
        )
    keepers = {
        n: UserFactory(username=f"shop{n}", role=User.Role.SHOPKEEPER, shops=[shop])
        for n, shop in shops.items()
    }
    round_ = RoundFactory(
        supplier=supplier,
        opens_at=timezone.now() - dt.timedelta(hours=1),
        closes_at=timezone.now() + dt.timedelta(hours=1),
    )
    return {
        "coop": coop,
        "supplier": supplier,
        "p1": p1,
        "p2": p2,
        "p3": p3,
        "shops": shops,
        "keepers": keepers,
        "round": round_,
    }


def example_orders(ex):
    """The orders of the worked example, in creation order."""
    p1, p2, p3 = ex["p1"], ex["p2"], ex["p3"]
    return [
        (101, [(p1, 7, 2), (p2, 4, 0)]),
        (102, [(p1, 10, 0), (p2, 3, 1)]),
        (103, [(p1, 4, 3), (p3, 5, 0)]),
    ]


def lines_payload(lines):
    return [{"product": p.pk, "quantity": q, "tolerance": t} for p, q, t in lines]
