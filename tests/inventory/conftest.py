import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.services import MovementIn, movements_record
from tests.factories import ProductFactory


@pytest.fixture
def product(db):
    return ProductFactory(name="Beurre demi-sel", unit_price=Decimal("2.4000"))


def receive(shop, product, quantity, cost, *, lot="", expires_on=None, at=None):
    """Put goods in stock as purchasing does (a receipt movement with its cost)."""
    [movement] = movements_record(movements=[MovementIn(
        shop_id=shop.pk, product_id=product.pk, kind="receipt", quantity=quantity,
        occurred_at=at or timezone.now(), unit_cost=Decimal(cost), lot=lot,
        expires_on=expires_on)])
    return movement


def days(n):
    return timezone.localdate() + dt.timedelta(days=n)
