"""A supplier order's life before its receipt: its review (a supplier order under the
supplier's minimum waits for the coordinator's confirmation) and the cancellation of its
round. The receipt: `purchasing.services.receipt`.
"""

from django.db import transaction
from django.utils import timezone

from mache.errors import BusinessRuleError
from mache.notifications import notify_on_commit

from ..documents import documents_store_on_commit
from ..models import Round, SupplierOrder
from . import notifications
from .orders import fill_changes_at_commit, round_lock


class NotAwaitingReview(BusinessRuleError):
    code = "not_needs_review"
    default_detail = "Cette commande fournisseur n'attend pas de validation."


class RoundNotCancellable(BusinessRuleError):
    code = "round_not_cancellable"
    default_detail = "Une tournée déjà réceptionnée ne peut plus être annulée."


class EmptySupplierOrder(BusinessRuleError):
    code = "empty_supplier_order"
    default_detail = (
        "Cette commande fournisseur n'a aucune ligne : il n'y a rien à "
        "confirmer ni à réceptionner, la tournée ne peut qu'être annulée."
    )


def supplier_order_check_not_empty(supplier_order: SupplierOrder) -> None:
    """A supplier order with no line (a round with no order, or none that filled a case)
    orders nothing: confirming or receiving it would only owe the supplier its shipping."""
    if not supplier_order.lines.exists():
        raise EmptySupplierOrder()


def supplier_order_lock(supplier_order_id: int) -> SupplierOrder:
    # Lock order: round first, then supplier order (as consolidation does), no deadlock.
    round_id = SupplierOrder.objects.values_list("round_id", flat=True).get(pk=supplier_order_id)
    round_lock(round_id)
    return (
        SupplierOrder.objects.select_for_update()
        .select_related("round__supplier")
        .get(pk=supplier_order_id)
    )


def supplier_order_confirm(*, supplier_order_id: int) -> SupplierOrder:
    with transaction.atomic():
        supplier_order = supplier_order_lock(supplier_order_id)
        if supplier_order.status != SupplierOrder.Status.NEEDS_REVIEW:
            raise NotAwaitingReview()
        supplier_order_check_not_empty(supplier_order)
        supplier_order.status = SupplierOrder.Status.CONFIRMED
        supplier_order.confirmed_at = timezone.now()
        supplier_order.save(update_fields=["status", "confirmed_at"])
        notify_on_commit(notifications.purchase_order_to_supplier, supplier_order.pk)
        # Issued: the purchase order is stored as sent (docs/documents.md).
        documents_store_on_commit(purchase_orders=[supplier_order])
    return supplier_order


def round_cancel(*, round_id: int) -> Round:
    """The round and its supplier order are cancelled; orders stay for history."""
    with transaction.atomic():
        round_ = round_lock(round_id)
        if round_.status == Round.Status.CANCELLED:
            return round_
        if round_.status not in (Round.Status.OPEN, Round.Status.CONSOLIDATED):
            raise RoundNotCancellable()
        round_.status = Round.Status.CANCELLED
        round_.save(update_fields=["status"])
        fill_changes_at_commit(round_.pk)
        SupplierOrder.objects.filter(round=round_).update(status=SupplierOrder.Status.CANCELLED)
        notify_on_commit(notifications.round_cancelled, round_.pk)
    return round_
