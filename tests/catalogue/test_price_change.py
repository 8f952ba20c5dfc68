"""A price change from the product page never touches a round already consolidated
(docs/catalogue.md, Price changes and rounds): its supplier order, its allocations and
its invoices keep the prices of the consolidation, whether the invoices were issued
before the change or after it; an open round follows the new price."""

from decimal import Decimal

import pytest

from purchasing import selectors as purchasing_selectors
from purchasing.models import (
    Allocation,
    Invoice,
    InvoiceLine,
    InvoiceVat,
    SupplierOrder,
    SupplierOrderLine,
)
from purchasing.services.consolidation import round_consolidate
from tests.factories import (
    CooperativeFactory,
    ProductFactory,
    RoundFactory,
    ShopFactory,
    SupplierFactory,
    add_tiers,
    close_round,
    make_order,
)
from tests.helpers import page_text, rows_of


@pytest.fixture
def rounds(db):
    """Three rounds of one supplier: one received and invoiced, one consolidated and
    waiting for its delivery, one open; galettes cost 2.50, 2.20 from 2 cases."""
    CooperativeFactory(service_fee_rate=Decimal("0.02"))
    supplier = SupplierFactory(
        name="Biscuiterie de Rimou",
        min_order_amount=Decimal("0.00"),
        free_shipping_threshold=Decimal("300.00"),
        shipping_fee=Decimal("25.00"),
    )
    galettes = ProductFactory(
        supplier=supplier,
        sku="GAL",
        name="Galettes",
        case_size=6,
        unit_price=Decimal("2.5000"),
        vat_rate=Decimal("5.50"),
    )
    add_tiers(galettes, (2, "2.2000"))
    bar, epicerie = ShopFactory(name="Bar de Vieux-Vy"), ShopFactory(name="Épicerie de Romazy")

    def consolidated_round():
        round_ = RoundFactory(supplier=supplier)
        make_order(round_, bar, (galettes, 6, 0))
        make_order(round_, epicerie, (galettes, 6, 0))
        close_round(round_)
        return round_, round_consolidate(round_id=round_.pk)

    invoiced, invoiced_order = consolidated_round()
    waiting, waiting_order = consolidated_round()
    open_round = RoundFactory(supplier=supplier)
    make_order(open_round, bar, (galettes, 6, 0))
    return {
        "galettes": galettes,
        "invoiced": invoiced,
        "invoiced_order": invoiced_order,
        "waiting": waiting,
        "waiting_order": waiting_order,
        "open": open_round,
    }


def receive(api, coordinator, supplier_order):
    response = api.as_user(coordinator).post(
        f"/api/supplier-orders/{supplier_order.pk}/receipt/", {"lines": []}, format="json"
    )
    assert response.status_code == 201, response.content


def change_price_from_the_page(client, product):
    """The coordinator raises the price (2.50 -> 3.10) and the tier (2.20 -> 2.90)."""
    response = client.post(
        f"/coordination/produits/{product.pk}/",
        {
            "supplier": product.supplier_id,
            "sku": product.sku,
            "name": product.name,
            "unit_label": product.unit_label,
            "case_size": "6",
            "unit_price": "3,10",
            "vat_rate": "5.50",
            "active": "on",
            "paliers-TOTAL_FORMS": "2",
            "paliers-INITIAL_FORMS": "1",
            "paliers-0-min_cases": "2",
            "paliers-0-unit_price": "2,90",
            "paliers-1-min_cases": "",
            "paliers-1-unit_price": "",
        },
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.unit_price == Decimal("3.1000")


def consolidated_rows():
    return rows_of(SupplierOrder, SupplierOrderLine, Allocation, Invoice, InvoiceLine, InvoiceVat)


def test_a_price_change_leaves_consolidated_rounds_as_they_were(api, client, coordinator, rounds):
    receive(api, coordinator, rounds["invoiced_order"])
    coordinator_api = api.as_user(coordinator)
    consolidation = coordinator_api.get(f"/api/rounds/{rounds['waiting'].pk}/consolidation/").json()
    assert [(line["unit_price"], line["amount"]) for line in consolidation["lines"]] == [
        ("2.2000", "26.40")
    ]
    before = consolidated_rows()
    invoices_before = coordinator_api.get("/api/invoices/").json()

    client.force_login(coordinator)
    change_price_from_the_page(client, rounds["galettes"])

    # Supplier orders, their lines, the allocations and the invoices: not a byte moved.
    assert consolidated_rows() == before
    assert coordinator_api.get("/api/invoices/").json() == invoices_before
    assert (
        coordinator_api.get(f"/api/rounds/{rounds['waiting'].pk}/consolidation/").json()
        == consolidation
    )
    # The round's page shows the consolidated prices.
    text = page_text(client.get(f"/coordination/tournees/{rounds['waiting'].pk}/"))
    assert "2,2000\u00a0€" in text and "2,5000\u00a0€" in text and "3,1000" not in text


def test_a_round_received_after_the_change_is_invoiced_at_the_consolidated_price(
    api, client, coordinator, rounds
):
    client.force_login(coordinator)
    change_price_from_the_page(client, rounds["galettes"])

    receive(api, coordinator, rounds["waiting_order"])

    lines = InvoiceLine.objects.filter(
        invoice__supplier_order=rounds["waiting_order"], product=rounds["galettes"]
    )
    assert sorted(lines.values_list("quantity", "unit_price", "base_unit_price", "amount")) == [
        (6, Decimal("2.2000"), Decimal("2.5000"), Decimal("13.20")),
        (6, Decimal("2.2000"), Decimal("2.5000"), Decimal("13.20")),
    ]
    # Each shop's saving is counted against the base price of the consolidation.
    assert sorted(
        Invoice.objects.filter(supplier_order=rounds["waiting_order"]).values_list(
            "savings", flat=True
        )
    ) == [Decimal("1.80"), Decimal("1.80")]


def test_an_open_round_follows_the_new_price(client, coordinator, rounds):
    fill = purchasing_selectors.round_fill(round_=rounds["open"])
    assert [row["unit_price"] for row in fill["products"]] == [Decimal("2.5000")]

    client.force_login(coordinator)
    change_price_from_the_page(client, rounds["galettes"])

    fill = purchasing_selectors.round_fill(round_=rounds["open"])
    assert [row["unit_price"] for row in fill["products"]] == [Decimal("3.1000")]
    assert fill["total_excl_vat"] == Decimal("18.60")
    text = page_text(client.get(f"/coordination/tournees/{rounds['open'].pk}/"))
    assert "3,1000\u00a0€" in text and "18,60\u00a0€" in text
