"""E-mails of the payments app, sent after commit by the worker (mache.notifications)."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from mache.formats import format_date, format_eur
from mache.notifications import notification
from purchasing.selectors import shop_email_addresses
from shops.models import Shop

from .models import PaymentReminder


def reminder_message(reminder: PaymentReminder, to: list[str]) -> EmailMessage:
    """The French e-mail of a reminder (docs/invoices-due.md)."""
    invoice = reminder.invoice
    subject = (
        f"[MACHE] Relance : facture {invoice.number} échue depuis {reminder.days_overdue} jours"
    )
    lines = [
        "Bonjour,",
        "",
        f"Sauf erreur de notre part, la facture {invoice.number} du "
        f"{format_date(invoice.issued_on)} adressée à {invoice.buyer_name}, échue le "
        f"{format_date(invoice.due_on)}, n'est pas entièrement réglée.",
        "",
        f"Montant TTC : {format_eur(invoice.total_incl_vat)}",
    ]
    if invoice.amount_paid:
        lines.append(f"Déjà réglé : {format_eur(invoice.amount_paid)}")
    if invoice.amount_credited:
        lines.append(f"Avoirs : {format_eur(invoice.amount_credited)}")
    lines += [
        f"Reste à payer : {format_eur(invoice.amount_due)}",
        "",
        "Merci d'effectuer le règlement dès que possible. Si vous l'avez déjà fait, "
        "ne tenez pas compte de ce message.",
        "",
        f"Voir la facture : {settings.SITE_URL}/factures/{invoice.pk}/",
        "",
        f"{invoice.seller_name or 'La coopérative'}",
    ]
    return EmailMessage(subject, "\n".join(lines), None, to)


@notification("payment_reminder")
def payment_reminder(reminder_id: int) -> int:
    """The reminder's e-mail to the shop (its address and its shopkeepers'), unless it
    went already (a task delivered twice) or the invoice was paid since the sweep.
    `sent_at` is written after the send: a crash in between sends it twice rather than
    never."""
    reminder = PaymentReminder.objects.select_related("invoice").get(pk=reminder_id)
    invoice = reminder.invoice
    if reminder.sent_at is not None or invoice.amount_due <= 0:
        return 0
    to = shop_email_addresses(Shop.objects.filter(pk=invoice.shop_id)).get(invoice.shop_id)
    if not to:
        return 0
    sent = reminder_message(reminder, to).send()
    PaymentReminder.objects.filter(pk=reminder_id, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    return sent
