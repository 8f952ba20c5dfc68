"""A round delivered to the hub and received with lots and a shortfall, through the
services (tests/purchasing/test_distribution.py and the browser's
tests/browser/test_day_documents.py)."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from purchasing.services.consolidation import round_consolidate
from purchasing.services.receipt import supplier_order_receive
from tests.factories import (
    CooperativeFactory,
    ProductFactory,
    RoundFactory,
    ShopFactory,
    SupplierFactory,
    close_round,
    make_order,
)

HUB = "Plateforme MACHE\nZA du Lindon\n35630 Hédé-Bazouges"
TOMME_LOT = ("T-2611", dt.date(2031, 1, 15))
YAOURT_LOT = ("Y-0077", dt.date(2031, 1, 9))


def distributed_round(*, receive=True):
    """Three shops, two products, a round delivered to the hub: the Bar de Vieux-Vy is
    the first stop (position 1), the Épicerie de Romazy the second, the Boulangerie de
    Sens has no place (last). Tomme (case of 6): 4 + 2 + 6 ordered, 10 received (2 short);
    yaourts (case of 12): 6 + 6, received in full. Lots: T-2611 and Y-0077."""
    coop = CooperativeFactory(hub_address=HUB)
    supplier = SupplierFactory(name="Fromagerie du Coglais", min_order_amount=Decimal("0.00"))
    tomme = ProductFactory(
        supplier=supplier, name="Tomme du Coglais", sku="TOM", case_size=6, unit_label="pièce"
    )
    yaourts = ProductFactory(
        supplier=supplier,
        name="Yaourts nature",
        sku="YAO",
        case_size=12,
        unit_price=Decimal("0.6000"),
    )
    romazy = ShopFactory(
        name="Épicerie de Romazy",
        tour_position=2,
        address="3 rue de l'Église",
        postcode="35490",
        commune="Romazy",
        phone="02 99 00 11 22",
        opening_hours="Mar-sam 8h-12h30",
    )
    vieux_vy = ShopFactory(
        name="Bar de Vieux-Vy",
        tour_position=1,
        address="1 place du Bourg",
        postcode="35490",
        commune="Vieux-Vy-sur-Couesnon",
        phone="02 99 33 44 55",
        opening_hours="Tous les jours 7h-20h",
    )
    sens = ShopFactory(
        name="Boulangerie de Sens", address="8 rue de Rennes", commune="Sens-de-Bretagne"
    )
    round_ = RoundFactory(supplier=supplier, opens_at=timezone.now() - dt.timedelta(days=2))
    make_order(round_, romazy, (tomme, 4, 0), (yaourts, 6, 0))
    make_order(round_, vieux_vy, (tomme, 2, 0), (yaourts, 6, 0))
    make_order(round_, sens, (tomme, 6, 0))
    close_round(round_)
    supplier_order = round_consolidate(round_id=round_.pk)
    invoices = {}
    if receive:
        invoices = {
            invoice.shop_id: invoice
            for invoice in supplier_order_receive(
                supplier_order_id=supplier_order.pk,
                received={tomme.pk: 10},
                lots={tomme.pk: TOMME_LOT, yaourts.pk: YAOURT_LOT},
            )
        }
        supplier_order.refresh_from_db()
    return {
        "coop": coop,
        "supplier": supplier,
        "tomme": tomme,
        "yaourts": yaourts,
        "romazy": romazy,
        "vieux_vy": vieux_vy,
        "sens": sens,
        "round": round_,
        "supplier_order": supplier_order,
        "invoices": invoices,
        "tour": [vieux_vy, romazy, sens],
    }
