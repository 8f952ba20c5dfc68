"""factory_boy factories, and `build_shop_world`: one of every shop-scoped object.

The tenancy walk (tests/test_tenancy_walk.py) builds a world for a foreign shop and
checks that no endpoint lets another shop's user see or change any of it. When an
app adds a shop-scoped model, it adds one of it here, and the walk covers it.
"""

import datetime as dt
import itertools
from decimal import Decimal

import factory

from mache.siret import luhn_ok
from shops.models import Cooperative, Shop, User

_siret_counter = itertools.count(10_000_000_000)


def make_siret(prefix: str | None = None) -> str:
    """A fresh 14-digit SIRET with a valid Luhn key."""
    body = prefix or f"{next(_siret_counter):013d}"
    for key in range(10):
        candidate = f"{body}{key}"
        if luhn_ok(candidate):
            return candidate
    raise AssertionError("unreachable: one key digit always fits")


DEFAULT_PASSWORD = "mot-de-passe-de-test-42"


class CooperativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cooperative
        django_get_or_create = ("singleton",)

    singleton = True
    name = "MACHE Test"
    legal_name = "SCIC MACHE TEST"
    siret = factory.LazyFunction(make_siret)
    service_fee_rate = Decimal("0.02")
    share_value = Decimal("50.00")


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop

    name = factory.Sequence(lambda n: f"Épicerie n°{n}")
    legal_name = factory.LazyAttribute(lambda o: o.name.upper())
    siret = factory.LazyFunction(make_siret)
    kind = Shop.Kind.EPICERIE
    address = "1 place de l'Église"
    postcode = "35560"
    commune = "Rimou"
    zone = Shop.Zone.RURAL
    status = Shop.Status.ACTIVE
    joined_on = dt.date(2024, 3, 1)
    shares = 2


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = User.Role.SHOPKEEPER
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)
    is_staff = factory.LazyAttribute(lambda o: o.role == User.Role.COORDINATOR)

    @factory.post_generation
    def shops(self, create, extracted, **kwargs):
        if extracted:
            self.shops.set(extracted)
        self.save()


def build_shop_world(shop: Shop) -> dict:
    """One of every object that belongs to `shop`, for the tenancy walk."""
    world = {"shop": shop}
    world["shopkeeper"] = UserFactory(role=User.Role.SHOPKEEPER, shops=[shop])
    world["accountant"] = UserFactory(role=User.Role.ACCOUNTANT, shops=[shop])
    return world
