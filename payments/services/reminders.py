"""Reminders of overdue invoices (relances, docs/invoices-due.md).

Every morning the beat sweep (`worker.payment_reminders`) calls `payment_reminders_send`:
each invoice still due is reminded when it is overdue by one of the levels of
settings.PAYMENT_REMINDER_DAYS (7 and 21 days by default), once per level. The
`payments.PaymentReminder` row is the claim: its unique (invoice, level) lets only one
sweep insert it, even two sweeps at once on two connections (the second waits on the
index, then fails on it and moves on), and the e-mail is enqueued in the same
transaction, after commit (payments.notifications.payment_reminder).
"""

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max

from mache.notifications import notify_on_commit
from mache.periods import paris_today
from purchasing.models import Invoice

from ..models import DirectDebitItem, PaymentReminder
from ..notifications import payment_reminder


def reminder_level(*, due_on: dt.date, today: dt.date, levels: Sequence[int]) -> int | None:
    """The level an invoice due on `due_on` has reached on `today`: the highest of
    `levels` (days after the due date) not beyond the days it is overdue; None before
    the first. A sweep that missed days sends only the level reached, not every level
    passed on the way (a shop gets one e-mail, not two at once)."""
    overdue = (today - due_on).days
    reached = [level for level in levels if level <= overdue]
    return max(reached) if reached else None


def payment_reminders_send(*, today: dt.date | None = None) -> list[int]:
    """Remind the shops of their overdue invoices (module doc); returns the ids of the
    reminders this call created. An invoice with nothing left to pay is not reminded;
    one already reminded at its level (or a higher one) neither. Idempotent: a second
    call the same day creates nothing."""
    today = today or paris_today()
    levels = settings.PAYMENT_REMINDER_DAYS
    if not levels:
        return []
    due = Invoice.objects.filter(
        due_on__lte=today - dt.timedelta(days=min(levels)),
        total_incl_vat__gt=F("amount_paid") + F("amount_credited"),
    ).exclude(
        # In a direct-debit batch awaiting its collection: the shop has nothing to do.
        direct_debit_items__status=DirectDebitItem.Status.PENDING
    )
    candidates = list(due.order_by("due_on", "id").values_list("id", "due_on"))
    reminded = dict(
        PaymentReminder.objects.filter(invoice__in=due)
        .values("invoice_id")
        .annotate(level=Max("days_overdue"))
        .values_list("invoice_id", "level")
    )
    created = []
    for invoice_id, due_on in candidates:
        level = reminder_level(due_on=due_on, today=today, levels=levels)
        if level is None or reminded.get(invoice_id, 0) >= level:
            continue
        with transaction.atomic():
            try:
                with transaction.atomic():
                    reminder = PaymentReminder.objects.create(
                        invoice_id=invoice_id, days_overdue=level
                    )
            except IntegrityError:
                continue  # another sweep claimed this level: its e-mail is on its way
            notify_on_commit(payment_reminder, reminder.pk)
        created.append(reminder.pk)
    return created
