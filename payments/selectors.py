"""Reads of the payments app, scoped to what the user may see."""

from collections import defaultdict

from django.db.models import QuerySet

from purchasing.models import Invoice
from purchasing.selectors import invoice_list, invoices_with_due

from .models import PaymentReminder

# --- Reminders (docs/invoices-due.md) ---------------------------------------------------


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
