"""Pages of the payments app (server-rendered, French)."""

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.shortcuts import render
from django.urls import path

from mache.periods import paris_today
from shops.models import User
from shops.views import role_required

from .. import selectors

PAGE_SIZE = 50

# --- Reminders (docs/invoices-due.md) ---------------------------------------------------


@role_required(User.Role.COORDINATOR)
def coord_reminders(request):
    """Relances: the invoices overdue today, the oldest first, each with the reminders
    sent for it (level, date) and what it still owes; the total overdue on top."""
    today = paris_today()
    invoices = selectors.overdue_invoice_list(user=request.user, today=today).select_related("shop")
    totals = invoices.aggregate(count=Count("id"), due=Sum("due_amount"))
    page = Paginator(invoices, PAGE_SIZE).get_page(request.GET.get("page"))
    reminders = selectors.reminders_by_invoice(invoice.pk for invoice in page)
    rows = [
        {
            "invoice": invoice,
            "days": (today - invoice.due_on).days,
            "reminders": reminders.get(invoice.pk, []),
        }
        for invoice in page
    ]
    return render(
        request,
        "payments/coord_reminders.html",
        {
            "page": page,
            "rows": rows,
            "totals": totals,
            "today": today,
            "levels": settings.PAYMENT_REMINDER_DAYS,
        },
    )


page_urlpatterns = [
    path("coordination/relances/", coord_reminders, name="coord-reminders"),
]
