"""Reads of the money after the invoice, scoped to what the user may see."""

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet

from mache.permissions import sees_all_shops
from purchasing.models import Invoice

from .models import BankLine, BankStatement

# --- bank statements (docs/bank.md) ---


def bank_statement_list(*, user) -> QuerySet[BankStatement]:
    """The imported statements, latest first, with their number of lines and of lines
    matched: the cooperative's bank account, for coordinators only."""
    if not sees_all_shops(user):
        return BankStatement.objects.none()
    return BankStatement.objects.annotate(
        line_count=Count("lines"),
        matched_count=Count("lines", filter=Q(lines__status=BankLine.Status.MATCHED)),
    ).order_by("-to_date", "-id")


def bank_line_list(*, user, status: str | None = None) -> QuerySet[BankLine]:
    """The statements' lines (of one status), latest first; coordinators only."""
    if not sees_all_shops(user):
        return BankLine.objects.none()
    lines = BankLine.objects.select_related("statement").prefetch_related("payments")
    if status:
        lines = lines.filter(status=status)
    return lines.order_by("-booked_on", "-statement_id", "position")


def open_invoice_list(shop_ids) -> QuerySet[Invoice]:
    """The invoices of these shops still due (`due`: the amount due), oldest due first;
    for the coordinator's matching (callers check the role)."""
    due = ExpressionWrapper(
        F("total_incl_vat") - F("amount_paid") - F("amount_credited"),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )
    return (
        Invoice.objects.filter(shop_id__in=shop_ids)
        .annotate(due=due)
        .filter(due__gt=0)
        .order_by("due_on", "id")
    )


# --- end of bank statements ---
