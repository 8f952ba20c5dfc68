"""A supplier order with no line orders nothing: it is neither confirmed nor received
(409 empty_supplier_order), so no shipping is ever owed for it; its round can only be
cancelled."""

from decimal import Decimal

import pytest
from django.utils import timezone

from accounting.models import Entry
from purchasing.models import Invoice, Round, SupplierOrder
from purchasing.services.consolidation import round_consolidate
from shops.models import User
from tests.factories import (
    CooperativeFactory,
    ProductFactory,
    RoundFactory,
    ShopFactory,
    SupplierFactory,
    UserFactory,
    make_order,
)
from tests.factories import close_round as close
from tests.helpers import page_text


@pytest.fixture
def supplier(db):
    CooperativeFactory()
    return SupplierFactory(
        name="Brasserie du Coglais",
        shipping_fee=Decimal("54.00"),
        free_shipping_threshold=None,
        min_order_amount=Decimal("0.00"),
    )


@pytest.fixture
def empty_round(supplier):
    """A round where nobody ordered, consolidated at its deadline."""
    round_ = RoundFactory(supplier=supplier)
    close(round_)
    round_consolidate(round_id=round_.pk)
    return round_


def nothing_owed():
    assert not Invoice.objects.exists()
    assert not Entry.objects.exists()


def test_consolidating_a_round_without_orders_charges_no_shipping(empty_round):
    supplier_order = SupplierOrder.objects.get(round=empty_round)
    assert supplier_order.status == "needs_review"
    assert supplier_order.shipping == Decimal("0.00")
    assert supplier_order.total_excl_vat == Decimal("0.00")
    assert any("annulée" in warning for warning in supplier_order.warnings)
    assert not supplier_order.lines.exists()


def test_a_round_whose_orders_filled_no_case_is_empty_too(supplier):
    product = ProductFactory(supplier=supplier, case_size=12)
    round_ = RoundFactory(supplier=supplier)
    make_order(round_, ShopFactory(), (product, 3, 0))
    close(round_)
    supplier_order = round_consolidate(round_id=round_.pk)
    assert (supplier_order.status, supplier_order.shipping) == ("needs_review", Decimal("0.00"))


def test_an_empty_supplier_order_is_neither_confirmed_nor_received_only_cancelled(
    api, coordinator, empty_round
):
    supplier_order = SupplierOrder.objects.get(round=empty_round)
    client = api.as_user(coordinator)
    confirm = client.post(f"/api/supplier-orders/{supplier_order.pk}/confirm/")
    assert confirm.status_code == 409
    assert confirm.json()["code"] == "empty_supplier_order"
    assert "aucune ligne" in confirm.json()["detail"]
    receipt = client.post(
        f"/api/supplier-orders/{supplier_order.pk}/receipt/", {"lines": []}, format="json"
    )
    assert receipt.status_code == 409
    assert receipt.json()["code"] == "empty_supplier_order"
    supplier_order.refresh_from_db()
    assert supplier_order.status == "needs_review"
    nothing_owed()

    cancel = client.post(f"/api/rounds/{empty_round.pk}/cancel/")
    assert cancel.status_code == 200, cancel.json()
    assert SupplierOrder.objects.get(pk=supplier_order.pk).status == "cancelled"
    assert Round.objects.get(pk=empty_round.pk).status == "cancelled"


def test_an_empty_supplier_order_already_confirmed_cannot_be_received(
    api, coordinator, empty_round
):
    # As consolidation did before: an empty order confirmed with 54.00 of shipping.
    SupplierOrder.objects.filter(round=empty_round).update(
        status="confirmed", shipping=Decimal("54.00"), confirmed_at=timezone.now()
    )
    supplier_order = SupplierOrder.objects.get(round=empty_round)
    response = api.as_user(coordinator).post(
        f"/api/supplier-orders/{supplier_order.pk}/receipt/", {"lines": []}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "empty_supplier_order"
    assert SupplierOrder.objects.get(pk=supplier_order.pk).status == "confirmed"
    nothing_owed()


def test_the_coordinator_page_offers_only_to_cancel_an_empty_round(client, empty_round):
    client.force_login(UserFactory(role=User.Role.COORDINATOR))
    url = f"/coordination/tournees/{empty_round.pk}/"
    body = page_text(client.get(url))
    assert "Annuler la tournée" in body
    assert "Confirmer malgré le minimum" not in body
    assert "Aucun produit à commander" in body
    response = client.post(url + "valider/", follow=True)
    assert "aucune ligne" in page_text(response)
    assert SupplierOrder.objects.get(round=empty_round).status == "needs_review"
    response = client.post(url + "annuler/", follow=True)
    assert "Tournée annulée" in page_text(response)
    assert Round.objects.get(pk=empty_round.pk).status == "cancelled"
    nothing_owed()


def test_the_receipt_page_refuses_an_empty_confirmed_order(client, empty_round):
    SupplierOrder.objects.filter(round=empty_round).update(
        status="confirmed", shipping=Decimal("54.00")
    )
    client.force_login(UserFactory(role=User.Role.COORDINATOR))
    url = f"/coordination/tournees/{empty_round.pk}/"
    assert "Saisir la réception" not in page_text(client.get(url))
    response = client.post(url + "reception/", {})
    assert response.status_code == 409
    assert "aucune ligne" in page_text(response)
    nothing_owed()
