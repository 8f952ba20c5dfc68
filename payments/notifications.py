"""E-mails of the payments app, sent after commit by the worker (mache.notifications)."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from mache.formats import format_date, format_eur
from mache.notifications import notification
from purchasing.selectors import shop_email_addresses
from shops.models import Cooperative, Shop

from .models import DirectDebitItem, PaymentReminder
from .sepa import mask_iban


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


# --- SEPA (docs/sepa.md) ------------------------------------------------------------------


@notification("direct_debit_prenotification")
def direct_debit_prenotification(item_id: int) -> int:
    """The shop is told of a collection: amount, date, invoices, mandate (docs/sepa.md,
    "Pre-notification"). Once: the item is locked while the e-mail goes and marked
    prenotified in the same transaction, so a second run finds it done; a failure rolls
    back and the task retries. A shop with no address gets nothing."""
    with transaction.atomic():
        item = (
            DirectDebitItem.objects.select_for_update(of=("self",))
            .select_related("batch", "mandate", "shop")
            .get(pk=item_id)
        )
        if item.prenotified_at is not None or item.status != DirectDebitItem.Status.PENDING:
            return 0
        recipients = shop_email_addresses(Shop.objects.filter(pk=item.shop_id)).get(item.shop_id)
        if not recipients:
            return 0
        coop = Cooperative.current()
        numbers = sorted(item.invoices.values_list("number", flat=True))
        day = format_date(item.batch.collection_date)
        message = EmailMessage(
            f"[MACHE] Prélèvement de {format_eur(item.amount)} le {day}",
            "\n".join(
                [
                    "Bonjour,",
                    "",
                    f"{coop.name} prélèvera {format_eur(item.amount)} sur le compte "
                    f"{mask_iban(item.mandate.iban)} de {item.shop.name} le {day} "
                    f"(mandat {item.mandate.reference}, identifiant de créancier "
                    f"{coop.sepa_creditor_id or '—'}).",
                    "",
                    "Factures concernées : " + ", ".join(numbers) + ".",
                    "",
                    "Merci de veiller à ce que le compte soit approvisionné à cette date.",
                    "",
                    "Cordialement,",
                    coop.name,
                ]
            ),
            None,
            recipients,
        )
        sent = message.send()
        DirectDebitItem.objects.filter(pk=item.pk).update(prenotified_at=timezone.now())
    return sent
