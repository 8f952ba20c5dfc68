"""Reads of the payments app, each scoped to what the user may see (docs/security.md)."""

from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from accounting import accounts
from accounting.models import EntryLine, Ledger
from mache.permissions import scope_to_user, sees_all_shops
from purchasing.models import SupplierOrder

from .models import (
    CreditTransferBatch,
    CreditTransferItem,
    DirectDebitBatch,
    DirectDebitItem,
    Mandate,
)

# --- SEPA: mandates, direct debits, credit transfers (docs/sepa.md) --------------------


def mandate_list(*, user) -> QuerySet[Mandate]:
    return scope_to_user(Mandate.objects.select_related("shop"), user=user)


def direct_debit_batch_list(*, user) -> QuerySet[DirectDebitBatch]:
    """The cooperative's batches: coordinators only (nobody else sees another shop's
    collection)."""
    if not sees_all_shops(user):
        return DirectDebitBatch.objects.none()
    return DirectDebitBatch.objects.all()


def direct_debit_items(batch_ids) -> QuerySet[DirectDebitItem]:
    """The items of these batches with what their output names (shop, mandate, invoice
    ids): three queries, whatever their number."""
    return (
        DirectDebitItem.objects.filter(batch_id__in=batch_ids)
        .select_related("shop", "mandate")
        .prefetch_related("invoices")
        .order_by("batch_id", "id")
    )


def credit_transfer_batch_list(*, user) -> QuerySet[CreditTransferBatch]:
    if not sees_all_shops(user):
        return CreditTransferBatch.objects.none()
    return CreditTransferBatch.objects.all()


def credit_transfer_items(batch_ids) -> QuerySet[CreditTransferItem]:
    return CreditTransferItem.objects.filter(batch_id__in=batch_ids).order_by("batch_id", "id")


def supplier_orders_owed(supplier_order_ids) -> dict[int, Decimal]:
    """Supplier order id -> what the cooperative owes its supplier for it: the credit of
    401000 in the order's purchase entry (source `supplier-order:<id>`, posted at the
    receipt, incl. VAT; docs/postings.md). An order not posted (nothing received) owes
    nothing and is absent."""
    sources = {f"supplier-order:{pk}": pk for pk in supplier_order_ids}
    rows = (
        EntryLine.objects.filter(
            ledger__kind=Ledger.Kind.COOPERATIVE,
            entry__source__in=list(sources),
            account__number=accounts.SUPPLIERS,
        )
        .values("entry__source")
        .annotate(owed=Sum("credit"))
    )
    return {sources[row["entry__source"]]: row["owed"] for row in rows if row["owed"]}


def supplier_orders_to_pay() -> QuerySet[SupplierOrder]:
    """Received supplier orders in no transfer batch yet: what the transfers page offers."""
    return (
        SupplierOrder.objects.filter(status=SupplierOrder.Status.RECEIVED)
        .annotate(transfers=Count("credit_transfers"))
        .filter(transfers=0)
        .select_related("round__supplier")
        .order_by("round__delivery_date", "pk")
    )
