"""E-mails about rounds. Sent by worker tasks enqueued after commit, so that a slow or
failing mail server never holds or undoes a consolidation or a receipt: a service
calls `mache.notifications.notify_on_commit(round_consolidated, pk)`."""

from django.conf import settings
from django.core.mail import EmailMessage, get_connection, send_mail
from django.db import transaction
from django.utils import timezone

from mache.documents import document_bytes
from mache.formats import format_date, format_eur
from mache.notifications import notification
from mache.periods import PARIS
from shops.models import Cooperative, User

from .. import selectors
from ..documents import purchase_order_document, purchase_order_issued
from ..models import Round, SupplierInvoice, SupplierOrder


def _coordinator_emails() -> list[str]:
    return list(
        User.objects.filter(is_active=True, role=User.Role.COORDINATOR)
        .exclude(email="")
        .values_list("email", flat=True)
    )


@notification("round_consolidated")
def round_consolidated(supplier_order_id: int) -> int:
    supplier_order = SupplierOrder.objects.select_related("round__supplier").get(
        pk=supplier_order_id
    )
    round_ = supplier_order.round
    review = supplier_order.status == SupplierOrder.Status.NEEDS_REVIEW
    subject = f"[MACHE] Tournée {round_.supplier.name} : " + (
        "commande à valider" if review else "commande consolidée"
    )
    lines = [
        f"La tournée {round_.supplier.name} (livraison le {format_date(round_.delivery_date)}) "
        "est consolidée.",
        f"Total HT : {format_eur(supplier_order.total_excl_vat)} ; "
        f"port : {format_eur(supplier_order.shipping)}.",
    ]
    if review:
        lines.append(
            "Le minimum de commande n'est pas atteint : confirmez la commande ou "
            "annulez la tournée."
        )
    lines += [f"- {warning}" for warning in supplier_order.warnings]
    lines.append(f"{settings.SITE_URL}/api/rounds/{round_.pk}/consolidation/")
    recipients = _coordinator_emails()
    if not recipients:
        return 0
    return send_mail(subject, "\n".join(lines), None, recipients)


@notification("round_cancelled")
def round_cancelled(round_id: int) -> int:
    round_ = Round.objects.select_related("supplier").get(pk=round_id)
    recipients = sorted(
        set(
            User.objects.filter(
                is_active=True, role=User.Role.SHOPKEEPER, shops__orders__round=round_
            )
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )
    if not recipients:
        return 0
    body = (
        f"La tournée {round_.supplier.name} prévue pour le {format_date(round_.delivery_date)} "
        "est annulée par la coopérative. Votre commande est conservée pour mémoire ; "
        "rien ne vous sera livré ni facturé pour cette tournée."
    )
    return send_mail(f"[MACHE] Tournée {round_.supplier.name} annulée", body, None, recipients)


@notification("missing_shops_reminder")
def missing_shops_reminder(round_id: int) -> int:
    """One e-mail to each active shop that has still not ordered in the round (read now:
    a shop that ordered since the button was pressed is left alone). Nothing once the
    round no longer takes orders."""
    round_ = Round.objects.select_related("supplier").get(pk=round_id)
    now = timezone.now()
    if not round_.takes_orders(now) or now < round_.opens_at:
        return 0
    missing = selectors.round_missing_shops(round_=round_)
    shops = list(missing)
    addresses = selectors.shop_email_addresses(missing)
    closes = round_.closes_at.astimezone(PARIS)
    messages = [
        EmailMessage(
            f"[MACHE] Tournée {round_.supplier.name} : commandez avant le "
            f"{closes:%d/%m/%Y} à {closes:%H:%M}",
            "\n".join(
                [
                    "Bonjour,",
                    "",
                    f"La tournée {round_.supplier.name} se clôt le {closes:%d/%m/%Y} à "
                    f"{closes:%H:%M} (livraison prévue le {round_.delivery_date:%d/%m/%Y}).",
                    f"{shop.name} n'a pas encore passé commande.",
                    "",
                    f"Commander : {settings.SITE_URL}/commandes/{round_.pk}/",
                ]
            ),
            None,
            addresses[shop.pk],
        )
        for shop in shops
        if shop.pk in addresses
    ]
    if not messages:
        return 0
    return get_connection().send_messages(messages)


@notification("purchase_order_to_supplier")
def purchase_order_to_supplier(supplier_order_id: int) -> int:
    """The purchase order (PDF attached) to the supplier of a confirmed supplier order,
    once: the row is locked while the e-mail goes and marked sent in the same transaction,
    so a second run finds it sent; a failure rolls back and the task retries. A supplier
    with no e-mail gets nothing (the round's page says so).

    The PDF attached is the purchase order as issued (docs/documents.md), stored before
    the row is locked, in its own commit: a mail server that fails leaves it stored, and
    the retry attaches the same bytes. Its bytes are read (checked) there too: an altered
    purchase order is refused before the lock, so that its alarm (mache.documents flags
    it) is not rolled back with the e-mail's transaction."""
    issued = SupplierOrder.objects.select_related("round__supplier").get(pk=supplier_order_id)
    attached = None
    if purchase_order_issued(issued) and issued.sent_to_supplier_at is None:
        attached = document_bytes(purchase_order_document(issued))
    with transaction.atomic():
        supplier_order = (
            SupplierOrder.objects.select_for_update(of=("self",))
            .select_related("round__supplier")
            .get(pk=supplier_order_id)
        )
        supplier = supplier_order.round.supplier
        if (
            supplier_order.status != SupplierOrder.Status.CONFIRMED
            or supplier_order.sent_to_supplier_at is not None
            or not supplier.email
        ):
            return 0
        coop = Cooperative.current()
        round_ = supplier_order.round
        message = EmailMessage(
            f"Bon de commande n° {supplier_order.pk} — {coop.name}",
            "\n".join(
                [
                    "Bonjour,",
                    "",
                    f"Veuillez trouver ci-joint notre bon de commande n° {supplier_order.pk}, "
                    f"à livrer le {round_.delivery_date:%d/%m/%Y}.",
                    "L'adresse de livraison figure sur le bon de commande.",
                    "",
                    "Cordialement,",
                    coop.name,
                ]
            ),
            None,
            [supplier.email],
        )
        message.attach(
            f"bon-de-commande-{supplier_order.pk}.pdf",
            # Read before the lock; confirmed meanwhile (rare): read now.
            attached
            if attached is not None
            else document_bytes(purchase_order_document(supplier_order)),
            "application/pdf",
        )
        sent = message.send()
        SupplierOrder.objects.filter(pk=supplier_order.pk).update(
            sent_to_supplier_at=timezone.now(), sent_to_email=supplier.email
        )
    return sent


@notification("supplier_invoice_rejected")
def supplier_invoice_rejected(supplier_invoice_id: int) -> int:
    """The rejection of its invoice, with the reason, to the supplier
    (docs/supplier-invoices.md, "Approval and the books"); its coordinators in copy. Once:
    the row is locked while the e-mail goes and marked sent in the same transaction, as
    for the purchase order. A supplier with no e-mail gets nothing (the invoice's page
    says so)."""
    with transaction.atomic():
        invoice = (
            SupplierInvoice.objects.select_for_update(of=("self",))
            .select_related("supplier")
            .get(pk=supplier_invoice_id)
        )
        supplier = invoice.supplier
        if (
            invoice.status != SupplierInvoice.Status.REJECTED
            or invoice.rejection_sent_at is not None
            or not supplier.email
        ):
            return 0
        coop = Cooperative.current()
        message = EmailMessage(
            f"Facture {invoice.number} rejetée — {coop.name}",
            "\n".join(
                [
                    "Bonjour,",
                    "",
                    f"Nous ne pouvons pas accepter votre facture n° {invoice.number} du "
                    f"{invoice.issued_on:%d/%m/%Y} ({format_eur(invoice.total_incl_vat)} TTC).",
                    f"Motif : {invoice.reason}",
                    "",
                    "Merci de nous adresser une facture rectifiée ou un avoir.",
                    "",
                    "Cordialement,",
                    coop.name,
                ]
            ),
            None,
            [supplier.email],
            cc=_coordinator_emails(),
        )
        sent = message.send()
        SupplierInvoice.objects.filter(pk=invoice.pk).update(rejection_sent_at=timezone.now())
    return sent
