"""Reads of the payments app, scoped to what the user may see."""

from collections import defaultdict

from django.db.models import Count, F, Q, QuerySet

from mache.periods import paris_today
from mache.permissions import sees_all_shops
from purchasing.models import Invoice
from purchasing.selectors import invoice_list, invoices_with_due

from .models import BankLine, BankStatement, PaymentReminder

# --- Bank statements (docs/bank.md) ------------------------------------------------------


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
    return (
        invoices_with_due(Invoice.objects.filter(shop_id__in=list(shop_ids)), today=paris_today())
        .annotate(due=F("due_amount"))
        .filter(due__gt=0)
        .order_by("due_on", "id")
    )


# --- Reminders (docs/invoices-due.md) ----------------------------------------------------


def overdue_invoice_list(*, user, today) -> QuerySet[Invoice]:
    """The invoices the user sees that are overdue on `today`, the oldest due first,
    annotated with `due_amount` (purchasing.selectors.invoices_with_due)."""
    return (
        invoices_with_due(invoice_list(user=user).prefetch_related(None), today=today)
        .filter(due_status="overdue")
        .order_by("due_on", "id")
    )


def reminders_by_invoice(invoice_ids) -> dict[int, list[PaymentReminder]]:
    """The reminders of these invoices (callers pass invoices from a scoped selector),
    by level: one query."""
    found = defaultdict(list)
    for reminder in PaymentReminder.objects.filter(invoice_id__in=list(invoice_ids)).order_by(
        "invoice_id", "days_overdue"
    ):
        found[reminder.invoice_id].append(reminder)
    return found
