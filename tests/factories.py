"""factory_boy factories, and `build_shop_world`: one of every shop-scoped object.

The tenancy walk (tests/test_tenancy_walk.py) builds a world for a foreign shop and
checks that no endpoint lets another shop's user see or change any of it. When an
app adds a shop-scoped model, it adds one of it here, and the walk covers it.
"""

import datetime as dt
import itertools
from decimal import Decimal

import factory
from django.utils import timezone

from catalogue.models import PriceTier, Product, Supplier
from mache.siret import luhn_key
from purchasing.models import Order, OrderLine, Round
from shops.models import Cooperative, Shop, User

_siret_counter = itertools.count(10_000_000_000)


def make_siret(prefix: str | None = None) -> str:
    """A fresh 14-digit SIRET with a valid Luhn key."""
    body = prefix or f"{next(_siret_counter):013d}"
    return body + luhn_key(body)


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
            from accounting.services import cooperative_ledger

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
            from accounting.services import ledger_for_shop

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


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    name = factory.Sequence(lambda n: f"Fournisseur {n}")
    siret = factory.LazyFunction(make_siret)
    email = factory.Sequence(lambda n: f"commandes{n}@fournisseur.example")
    min_order_amount = Decimal("0.00")
    free_shipping_threshold = Decimal("300.00")
    shipping_fee = Decimal("25.00")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    supplier = factory.SubFactory(SupplierFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Produit {n}")
    unit_label = "unité"
    case_size = 6
    unit_price = Decimal("2.5000")
    vat_rate = Decimal("5.50")
    active = True


def add_tiers(product, *tiers):
    """add_tiers(p, (5, "1.1000"), (10, "1.0000"))"""
    for min_cases, price in tiers:
        PriceTier.objects.create(product=product, min_cases=min_cases, unit_price=Decimal(price))


class RoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Round

    supplier = factory.SubFactory(SupplierFactory)
    opens_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=2))
    closes_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1))
    delivery_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=3))
    status = Round.Status.OPEN


def make_order(round_, shop, *lines, created_at=None):
    """make_order(r, shop, (product, quantity, tolerance), ...), straight to the database
    (tests of the rules use it to build any situation, past deadlines included)."""
    order = Order.objects.create(round=round_, shop=shop)
    if created_at is not None:
        Order.objects.filter(pk=order.pk).update(created_at=created_at)
        order.refresh_from_db()
    OrderLine.objects.bulk_create(
        OrderLine(order=order, product=product, quantity=quantity, tolerance=tolerance)
        for product, quantity, tolerance in lines)
    return order


def build_shop_world(shop: Shop) -> dict:
    """One of every object that belongs to `shop`, for the tenancy walk: the shop's
    users, an order in an open round, a received round with its invoice, stock, a Z
    ticket and a report."""
    from purchasing.services.consolidation import round_consolidate
    from purchasing.services.receipt import supplier_order_receive

    world = {"shop": shop}
    world["shopkeeper"] = UserFactory(role=User.Role.SHOPKEEPER, shops=[shop])
    world["accountant"] = UserFactory(role=User.Role.ACCOUNTANT, shops=[shop])
    supplier = SupplierFactory()
    product = ProductFactory(supplier=supplier, case_size=1)
    open_round = RoundFactory(supplier=supplier)
    world["order"] = make_order(open_round, shop, (product, 3, 0))
    past = RoundFactory(supplier=supplier, closes_at=timezone.now() - dt.timedelta(minutes=1))
    world["past_order"] = make_order(past, shop, (product, 4, 0))
    world["supplier_order"] = round_consolidate(round_id=past.pk)
    world["invoices"] = supplier_order_receive(supplier_order_id=world["supplier_order"].pk,
                                               received={})
    # Stock: the receipt above put 4 units in; sell one, count the rest.
    from inventory.services import movement_create, stock_count_record

    world["sale"] = movement_create(shop=shop, product=product, kind="sale", quantity=1)
    world["count"] = stock_count_record(shop=shop, counted_on=timezone.localdate(),
                                        lines=[{"product": product, "quantity": 2}],
                                        user=world["shopkeeper"])
    from accounting.sales.services import sales_day_record

    world["sales_day"] = sales_day_record(
        shop=shop, date=timezone.localdate(), user=world["shopkeeper"],
        lines=[{"vat_rate": Decimal("5.50"), "amount_incl_vat": Decimal("10.00")}],
        payments={"cash": Decimal("10.00")})
    from mache.periods import current_month, previous_month
    from worker.models import Report

    world["report"] = Report.objects.create(shop=shop, month=previous_month(current_month()))
    return world
