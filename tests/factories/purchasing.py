"""Rounds, orders and their consolidation and receipt; the round of the pages' tests."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from purchasing.models import Order, OrderLine, Round
from shops.models import Cooperative

from .catalogue import ProductFactory, SupplierFactory, add_tiers
from .shops import CooperativeFactory, ShopFactory


class RoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Round
        skip_postgeneration_save = True

    supplier = factory.SubFactory(SupplierFactory)
    opens_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=2))
    closes_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1))
    delivery_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=3))
    status = Round.Status.OPEN

    # helper xml (issue 15): a round is the cooperative's, and its invoices are valid
    # e-invoices only with the seller's identity (SIREN, VAT number): the cooperative is
    # recorded before any round, as in every installation (docs/e-invoicing.md).
    @factory.post_generation
    def cooperative(self, create, extracted, **kwargs):
        if create and not Cooperative.objects.exists():
            CooperativeFactory()


def make_order(round_, shop, *lines, created_at=None):
    """make_order(r, shop, (product, quantity, tolerance), ...), straight to the database
    (tests of the rules use it to build any situation, past deadlines included)."""
    order = Order.objects.create(round=round_, shop=shop)
    if created_at is not None:
        Order.objects.filter(pk=order.pk).update(created_at=created_at)
        order.refresh_from_db()
    OrderLine.objects.bulk_create(
        OrderLine(order=order, product=product, quantity=quantity, tolerance=tolerance)
        for product, quantity, tolerance in lines
    )
    return order


def close_round(round_, *, ago=dt.timedelta(seconds=1)):
    """The round's deadline passes (`ago` before now), straight to the database."""
    Round.objects.filter(pk=round_.pk).update(closes_at=timezone.now() - ago)


def biscuit_round(*, min_order_amount="50.00", galettes=None, cidre=None, closes_at=None):
    """The round of the purchasing pages, shared by tests/purchasing/test_pages.py and the
    browser's tests/browser/test_purchasing_pages.py: the Biscuiterie de Rimou with
    galettes (case of 6, 2.20 from 2 cases) and cider (case of 12), an open round in which
    the Bar de Vieux-Vy ordered 4 galettes. `galettes` and `cidre` change their products'
    fields (names, labels)."""
    CooperativeFactory()
    supplier = SupplierFactory(
        name="Biscuiterie de Rimou",
        min_order_amount=Decimal(min_order_amount),
        free_shipping_threshold=Decimal("300.00"),
        shipping_fee=Decimal("25.00"),
    )
    galettes = ProductFactory(
        supplier=supplier,
        **{
            "name": "Galettes",
            "sku": "GAL",
            "case_size": 6,
            "unit_price": Decimal("2.5000"),
            "vat_rate": Decimal("5.50"),
            **(galettes or {}),
        },
    )
    add_tiers(galettes, (2, "2.2000"))
    cidre = ProductFactory(
        supplier=supplier,
        **{
            "name": "Cidre",
            "sku": "CID",
            "case_size": 12,
            "unit_price": Decimal("1.0000"),
            "vat_rate": Decimal("20.00"),
            **(cidre or {}),
        },
    )
    round_ = RoundFactory(supplier=supplier, **({"closes_at": closes_at} if closes_at else {}))
    other = ShopFactory(name="Bar de Vieux-Vy")
    make_order(round_, other, (galettes, 4, 0))
    return {
        "supplier": supplier,
        "galettes": galettes,
        "cidre": cidre,
        "round": round_,
        "other": other,
    }


def received_round(
    shop_units: dict,
    *,
    received_on=None,
    unit_price="2.5000",
    vat_rate="5.50",
    closed_ago=dt.timedelta(seconds=1),
):
    """A round that went all the way through the services: each shop of `shop_units`
    ordered that many units of one product (case of 6), the round closed, consolidated
    and received on `received_on` (default today; a day in the past needs the round
    closed before it: `closed_ago`). Returns {shop id: invoice}, the
    invoices posted in both books as in real life."""
    from purchasing.services.consolidation import round_consolidate
    from purchasing.services.receipt import supplier_order_receive

    if not Cooperative.objects.exists():
        CooperativeFactory()
    product = ProductFactory(
        case_size=6, unit_price=Decimal(unit_price), vat_rate=Decimal(vat_rate)
    )
    round_ = RoundFactory(
        supplier=product.supplier, opens_at=timezone.now() - closed_ago - dt.timedelta(days=2)
    )
    for shop, units in shop_units.items():
        make_order(round_, shop, (product, units, 0))
    close_round(round_, ago=closed_ago)
    supplier_order = round_consolidate(round_id=round_.pk)
    # Placed when the round closed (straight to the database), for a receipt back then.
    type(supplier_order).objects.filter(pk=supplier_order.pk).update(
        created_at=timezone.now() - closed_ago
    )
    invoices = supplier_order_receive(
        supplier_order_id=supplier_order.pk, received={}, received_on=received_on
    )
    return {invoice.shop_id: invoice for invoice in invoices}
