import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import ProductFactory, receive_stock


@pytest.fixture
def product(db):
    return ProductFactory(name="Beurre demi-sel", unit_price=Decimal("2.4000"))


receive = receive_stock  # the name this folder's tests use


def days(n):
    return timezone.localdate() + dt.timedelta(days=n)
