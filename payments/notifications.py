"""E-mails of the payments app, sent by the worker after commit (mache.notifications):
a service calls `notify_on_commit(direct_debit_prenotification, item.pk)`."""

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from mache.formats import format_date, format_eur
from mache.notifications import notification
from purchasing.selectors import shop_email_addresses
from shops.models import Cooperative, Shop

from .models import DirectDebitItem
from .sepa import mask_iban


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
