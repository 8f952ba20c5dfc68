"""Builders of the supplier-invoice tests: an invoice as read (ReceivedInvoice) for a
supplier order, with the changes a scenario needs; a round consolidated but not yet
received. The files themselves (CII, UBL, Factur-X): tests/factories/supplier_einvoices.py."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.utils import timezone

from mache.identifiers import vat_number_for
from mache.money import money
from purchasing import rules
from purchasing.models import SupplierOrder
from purchasing.supplier_invoices.document import (
    ReceivedCharge,
    ReceivedInvoice,
    ReceivedLine,
    ReceivedParty,
    ReceivedVat,
)
from shops.models import Cooperative
from tests.factories import CooperativeFactory, ProductFactory, RoundFactory
from tests.factories.purchasing import close_round, make_order

ZERO = Decimal("0.00")


def received_for(
    supplier_order: SupplierOrder,
    *,
    number: str = "FA-2026-001",
    prices: dict | None = None,
    units: dict | None = None,
    drop: tuple = (),
    shipping: Decimal | None = None,
    shipping_rate: Decimal | None = None,
    order_reference: str | None = None,
    seller: ReceivedParty | None = None,
    fmt: str = "cii",
) -> ReceivedInvoice:
    """The invoice the supplier of `supplier_order` would send for what was received
    (the ordered units before the receipt), changed by `prices` / `units` (per product
    id), without the products in `drop`, with another `shipping` (at `shipping_rate`,
    default split over the billed goods' rates as a supplier splits it)."""
    prices, units = prices or {}, units or {}
    supplier = supplier_order.round.supplier
    lines = []
    for line in supplier_order.lines.select_related("product").order_by("product_id"):
        if line.product_id in drop:
            continue
        quantity = units.get(
            line.product_id, line.units if line.received_units is None else line.received_units
        )
        if not quantity:
            continue
        price = Decimal(prices.get(line.product_id, line.unit_price))
        lines.append(
            ReceivedLine(
                line_id=str(len(lines) + 1),
                name=line.product.name,
                seller_item_id=line.product.sku,
                buyer_item_id="",
                quantity=Decimal(quantity),
                unit_code="C62",
                net_unit_price=price,
                amount=money(quantity * price),
                vat_category="S",
                vat_rate=line.product.vat_rate,
            )
        )
    shipping = supplier_order.shipping if shipping is None else Decimal(shipping)
    if shipping_rate is not None:
        split = {Decimal(shipping_rate): shipping}
    else:
        # As a supplier splits it: over the rates of the goods it bills, by amount.
        billed = defaultdict(lambda: ZERO)
        for line in lines:
            billed[line.vat_rate] += line.amount
        split = rules.split_by_rate(shipping, dict(billed)) if shipping else {}
    charges = tuple(
        ReceivedCharge(True, amount, "Transport", "FC", "S", rate)
        for rate, amount in sorted(split.items())
        if amount
    )
    bases = defaultdict(lambda: ZERO)
    for line in lines:
        bases[line.vat_rate] += line.amount
    for charge in charges:
        bases[charge.vat_rate] += charge.amount
    vat = tuple(
        ReceivedVat("S", rate, base, money(base * rate / 100))
        for rate, base in sorted(bases.items())
    )
    total_lines = sum((line.amount for line in lines), ZERO)
    excl = total_lines + shipping
    total_vat = sum((v.amount for v in vat), ZERO)
    coop = Cooperative.current()
    return ReceivedInvoice(
        format=fmt,
        type_code="380",
        number=number,
        issued_on=timezone.localdate(),
        currency="EUR",
        seller=seller or ReceivedParty(supplier.name, supplier.siret, supplier.siret[:9], ""),
        buyer=ReceivedParty(coop.name, coop.siret, coop.siret[:9], vat_number_for(coop.siret)),
        order_reference=(
            f"CF-{supplier_order.pk:06d}" if order_reference is None else order_reference
        ),
        delivery_date=supplier_order.round.delivery_date,
        due_on=timezone.localdate() + dt.timedelta(days=30),
        lines=tuple(lines),
        charges=charges,
        vat=vat,
        total_lines=total_lines,
        total_allowances=ZERO,
        total_charges=shipping,
        total_excl_vat=excl,
        total_vat=total_vat,
        total_incl_vat=excl + total_vat,
        amount_due=excl + total_vat,
        xml=b"<xml/>",
    )


def consolidated_round(shop_units: dict, *, unit_price="2.5000", vat_rate="5.50"):
    """A round closed and consolidated, not received: its supplier order."""
    from purchasing.services.consolidation import round_consolidate

    if not Cooperative.objects.exists():
        CooperativeFactory()
    product = ProductFactory(
        case_size=6, unit_price=Decimal(unit_price), vat_rate=Decimal(vat_rate)
    )
    round_ = RoundFactory(
        supplier=product.supplier,
        opens_at=timezone.now() - dt.timedelta(days=2, seconds=1),
    )
    for shop, quantity in shop_units.items():
        make_order(round_, shop, (product, quantity, 0))
    close_round(round_)
    return round_consolidate(round_id=round_.pk)


def two_product_round():
    """Galettes (5.5 %, 2.50, case of 6) and cider (20 %, 1.00, case of 12): the Épicerie
    orders 6 galettes and 12 ciders, the Bar 12 galettes, the round received today:
    45.00 + 12.00 of goods, 25.00 of shipping (19.74 at 5.5 %, 5.26 at 20 %). Returns
    (supplier_order, {name: shop}, {name: product}, {shop id: invoice})."""
    from purchasing.services.consolidation import round_consolidate
    from purchasing.services.receipt import supplier_order_receive
    from tests.factories import ShopFactory, SupplierFactory

    if not Cooperative.objects.exists():
        CooperativeFactory()
    supplier = SupplierFactory(name="Biscuiterie de Rimou", shipping_fee=Decimal("25.00"))
    products = {
        "galettes": ProductFactory(
            supplier=supplier,
            sku="GAL",
            name="Galettes",
            case_size=6,
            unit_price=Decimal("2.5000"),
            vat_rate=Decimal("5.50"),
        ),
        "cidre": ProductFactory(
            supplier=supplier,
            sku="CID",
            name="Cidre",
            case_size=12,
            unit_price=Decimal("1.0000"),
            vat_rate=Decimal("20.00"),
        ),
    }
    shops = {"epicerie": ShopFactory(name="Épicerie de Romazy"), "bar": ShopFactory(name="Bar")}
    round_ = RoundFactory(
        supplier=supplier, opens_at=timezone.now() - dt.timedelta(days=2, seconds=1)
    )
    make_order(round_, shops["epicerie"], (products["galettes"], 6, 0), (products["cidre"], 12, 0))
    make_order(round_, shops["bar"], (products["galettes"], 12, 0))
    close_round(round_)
    supplier_order = round_consolidate(round_id=round_.pk)
    SupplierOrder.objects.filter(pk=supplier_order.pk).update(
        created_at=timezone.now() - dt.timedelta(seconds=1)
    )
    invoices = supplier_order_receive(supplier_order_id=supplier_order.pk, received={})
    supplier_order.refresh_from_db()
    return supplier_order, shops, products, {invoice.shop_id: invoice for invoice in invoices}
