"""The cooperative, its shops and users."""

import datetime as dt
import itertools
from decimal import Decimal

import factory

from accounting.services import cooperative_ledger, ledger_for_shop
from mache.identifiers import siret_from
from shops.models import Cooperative, Shop, User

_siren_counter = itertools.count(10_000_000)


def make_siret(prefix: str | None = None) -> str:
    """A fresh 14-digit SIRET that python-stdnum accepts (a SIREN with its key, then the
    establishment and the SIRET's key). `prefix`: its first 8 digits."""
    if prefix:
        return siret_from(int(prefix[:8]))
    return siret_from(next(_siren_counter))


DEFAULT_PASSWORD = "mot-de-passe-de-test-42"


class CooperativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cooperative
        django_get_or_create = ("singleton",)
        skip_postgeneration_save = True

    singleton = True
    name = "MACHE Test"

    @factory.post_generation
    def ledger(self, create, extracted, **kwargs):
        if create:
            cooperative_ledger()

    legal_name = "SCIC MACHE TEST"
    siret = factory.LazyFunction(make_siret)
    service_fee_rate = Decimal("0.02")
    share_value = Decimal("50.00")


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Épicerie n°{n}")
    legal_name = factory.LazyAttribute(lambda o: o.name.upper())
    siret = factory.LazyFunction(make_siret)
    kind = Shop.Kind.EPICERIE
    address = "1 place de l'Église"
    postcode = "35560"
    commune = "Rimou"
    zone = Shop.Zone.RURAL
    status = Shop.Status.ACTIVE
    joined_on = dt.date(2015, 1, 1)
    shares = 2

    @factory.post_generation
    def ledger(self, create, extracted, **kwargs):
        # As shops.services.shop_create does: every shop has its books.
        if create:
            ledger_for_shop(self)


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
