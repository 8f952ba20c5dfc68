"""SEPA direct-debit batches (docs/sepa.md, "Direct debits"): the cooperative collects
the open invoices of the shops that signed a mandate; one transaction per shop, a
pain.008.001.02 file for the bank, the shops pre-notified by e-mail after commit; the
bank statement settles the batch (a payment per shop) or rejects a transaction (its
payment cancelled)."""

import datetime as dt
import uuid
from collections import defaultdict

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from mache.errors import BusinessRuleError, InvalidInput
from mache.formats import format_date
from mache.money import ZERO
from mache.notifications import send_notification
from mache.outbox import enqueue_many_on_commit
from mache.periods import paris_today
from purchasing.models import Invoice
from purchasing.services.settlement import invoices_for_update, shops_for_update
from shops.models import Shop

from .. import sepa
from ..models import DirectDebitBatch, DirectDebitItem, Mandate
from ..notifications import direct_debit_prenotification
from .cooperative import cooperative_party
from .payments import payment_cancel, payment_record

PENDING = DirectDebitItem.Status.PENDING


class AlreadyCollected(BusinessRuleError):
    code = "already_collected"
    default_detail = "Une facture est déjà dans un lot de prélèvements non réglé."


class NothingToCollect(BusinessRuleError):
    code = "nothing_to_collect"
    default_detail = "Ce lot ne contient plus aucun prélèvement."


def _pending_invoice_ids(invoice_ids) -> set[int]:
    """The invoices among these that are in a collection not settled yet."""
    return set(
        DirectDebitItem.invoices.through.objects.filter(
            invoice_id__in=invoice_ids, directdebititem__status=PENDING
        ).values_list("invoice_id", flat=True)
    )


def _candidates(collection_date: dt.date) -> list[int]:
    """Every open invoice due by the collection date of every shop with a mandate, not
    already being collected."""
    return list(
        Invoice.objects.filter(
            shop__mandate__isnull=False,
            due_on__lte=collection_date,
            total_incl_vat__gt=F("amount_paid") + F("amount_credited"),
        )
        .exclude(direct_debit_items__status=PENDING)
        .values_list("pk", flat=True)
    )


def direct_debit_batch_prepare(
    *, collection_date: dt.date, invoice_ids: list[int] | None, user=None
) -> DirectDebitBatch:
    """A batch collecting `invoice_ids` (None: every open invoice due by
    `collection_date` of every shop with a mandate) on `collection_date`.

    400 on `collection_date` when it is past or leaves a shop less than its mandate's
    notice; 400 on `invoices` for an unknown or paid invoice, or one of a shop without a
    mandate; 409 `already_collected` for an invoice in a batch not settled; 409 when the
    cooperative's IBAN, BIC or ICS is missing. The invoices and the mandates are locked,
    so two batches never take the same invoice.
    """
    today = paris_today()
    if collection_date < today:
        raise InvalidInput({"collection_date": ["La date de prélèvement est passée."]})
    cooperative_party(direct_debit=True)
    explicit = invoice_ids is not None
    with transaction.atomic():
        wanted = list(dict.fromkeys(invoice_ids)) if explicit else _candidates(collection_date)
        # Shops first, then their invoices (docs/settlement.md, "Settlements").
        invoices = invoices_for_update(wanted)
        shops = {
            shop.pk: shop for shop in Shop.objects.filter(pk__in={i.shop_id for i in invoices})
        }
        for invoice in invoices:
            invoice.shop = shops[invoice.shop_id]
        pending = _pending_invoice_ids([invoice.pk for invoice in invoices])
        if explicit:
            _check_named(wanted, invoices, pending)
        else:
            # Read again under the lock: a payment or a batch may have come meanwhile.
            invoices = [i for i in invoices if i.amount_due > 0 and i.pk not in pending]
        mandates = {
            mandate.shop_id: mandate
            for mandate in Mandate.objects.select_for_update()
            .filter(shop_id__in={invoice.shop_id for invoice in invoices})
            .order_by("pk")
        }
        if explicit:
            without = [i for i in invoices if i.shop_id not in mandates]
            if without:
                raise InvalidInput(
                    {
                        "invoices": [
                            f"{i.shop.name} n'a pas de mandat de prélèvement (facture {i.number})."
                            for i in without
                        ]
                    }
                )
        else:
            # Every shop due: those whose mandate's notice the date does not leave (a
            # CORE mandate's 14 days) wait for a later batch rather than block the others.
            in_time = {
                shop_id
                for shop_id, mandate in mandates.items()
                if collection_date >= today + dt.timedelta(days=_notice(mandate))
            }
            if invoices and not in_time:
                _check_notice(collection_date, today, mandates.values())
            invoices = [invoice for invoice in invoices if invoice.shop_id in in_time]
            mandates = {shop_id: mandates[shop_id] for shop_id in in_time}
        if not invoices:
            raise InvalidInput(
                {
                    "invoices": [
                        f"Aucune facture à prélever au {format_date(collection_date)} : pas "
                        "de facture ouverte échue d'un commerce ayant un mandat."
                    ]
                }
            )
        _check_notice(collection_date, today, mandates.values())
        batch = _batch_create(collection_date, invoices, mandates, user)
        enqueue_many_on_commit(
            send_notification,
            [
                (direct_debit_prenotification.notification_kind, item_id)
                for item_id in batch.item_ids
            ],
        )
    return batch


def _check_named(wanted, invoices, pending) -> None:
    found = {invoice.pk for invoice in invoices}
    unknown = [str(pk) for pk in wanted if pk not in found]
    if unknown:
        raise InvalidInput({"invoices": [f"Facture inconnue : {', '.join(unknown)}."]})
    paid = [invoice.number for invoice in invoices if invoice.amount_due <= 0]
    if paid:
        raise InvalidInput({"invoices": [f"Plus rien n'est dû sur : {', '.join(paid)}."]})
    taken = [invoice.number for invoice in invoices if invoice.pk in pending]
    if taken:
        raise AlreadyCollected(
            "Déjà dans un lot de prélèvements non réglé : " + ", ".join(taken) + ".",
            invoices=sorted(pk for pk in pending),
        )


def _notice(mandate) -> int:
    return sepa.notice_days(
        scheme=mandate.scheme, prenotification_days=mandate.prenotification_days
    )


def _check_notice(collection_date, today, mandates) -> None:
    """The shops must be told `notice_days` ahead (B2B 2 days, CORE 14, unless the
    mandate says otherwise)."""
    notice = max(_notice(m) for m in mandates)
    earliest = today + dt.timedelta(days=notice)
    if collection_date < earliest:
        raise InvalidInput(
            {
                "collection_date": [
                    f"Les commerces doivent être prévenus {notice} jours avant le prélèvement : "
                    f"choisissez le {format_date(earliest)} ou plus tard."
                ]
            }
        )


def _batch_create(collection_date, invoices, mandates, user) -> DirectDebitBatch:
    by_shop = defaultdict(list)
    for invoice in invoices:
        by_shop[invoice.shop_id].append(invoice)
    # A mandate with a collection on its way (a batch not settled) is no longer first.
    on_their_way = set(
        DirectDebitItem.objects.filter(mandate__in=mandates.values(), status=PENDING).values_list(
            "mandate_id", flat=True
        )
    )
    batch = DirectDebitBatch.objects.create(
        collection_date=collection_date, message_id=uuid.uuid4().hex[:35], created_by=user
    )
    # The message id names the batch: the bank statement names it back (docs/sepa.md).
    batch.message_id = f"MACHE-PRLV-{batch.pk:06d}"
    items = []
    for shop_id in sorted(by_shop, key=lambda pk: (by_shop[pk][0].shop.name, pk)):
        shop_invoices = sorted(by_shop[shop_id], key=lambda i: (i.due_on, i.number))
        numbers = [invoice.number for invoice in shop_invoices]
        mandate = mandates[shop_id]
        items.append(
            DirectDebitItem(
                batch=batch,
                shop_id=shop_id,
                mandate=mandate,
                amount=sum((invoice.amount_due for invoice in shop_invoices), ZERO),
                sequence_type=sepa.sequence_type(
                    first_collected_on=mandate.first_collected_on,
                    pending_elsewhere=mandate.pk in on_their_way,
                ),
                end_to_end_id=sepa.direct_debit_end_to_end_id(batch_id=batch.pk, numbers=numbers),
            )
        )
    DirectDebitItem.objects.bulk_create(items)
    Through = DirectDebitItem.invoices.through
    Through.objects.bulk_create(
        Through(directdebititem_id=item.pk, invoice_id=invoice.pk)
        for item in items
        for invoice in by_shop[item.shop_id]
    )
    batch.count = len(items)
    batch.total = sum((item.amount for item in items), ZERO)
    batch.save(update_fields=["message_id", "count", "total"])
    batch.item_ids = [item.pk for item in items]
    return batch


def direct_debit_batch_file(*, batch: DirectDebitBatch) -> bytes:
    """The batch's pain.008.001.02 file (its transactions not rejected). Giving it marks
    the batch sent (it is what the coordinator uploads to the bank)."""
    creditor = cooperative_party(direct_debit=True)
    items = list(
        DirectDebitItem.objects.filter(batch=batch)
        .exclude(status=DirectDebitItem.Status.REJECTED)
        .select_related("shop", "mandate")
        .prefetch_related("invoices")
        .order_by("pk")
    )
    if not items:
        raise NothingToCollect()
    xml = sepa.direct_debit_xml(
        creditor=creditor,
        message_id=batch.message_id,
        collection_date=batch.collection_date,
        debits=[
            sepa.DebitIn(
                name=item.shop.legal_name or item.shop.name,
                iban=item.mandate.iban,
                bic=item.mandate.bic,
                amount=item.amount,
                mandate_reference=item.mandate.reference,
                mandate_signed_on=item.mandate.signed_on,
                scheme=item.mandate.scheme,
                sequence_type=item.sequence_type,
                end_to_end_id=item.end_to_end_id,
                remittance=sepa.numbers_text(
                    "Factures", sorted(invoice.number for invoice in item.invoices.all())
                ),
            )
            for item in items
        ],
    )
    DirectDebitBatch.objects.filter(pk=batch.pk, status=DirectDebitBatch.Status.PREPARED).update(
        status=DirectDebitBatch.Status.SENT, sent_at=timezone.now()
    )
    return xml


# --- What the bank statement says (called by the bank import, docs/sepa.md) ------------


def direct_debit_batch_settle(*, batch: DirectDebitBatch, date: dt.date) -> DirectDebitBatch:
    """The collection is on the bank statement: each pending transaction becomes the
    shop's payment of its invoices (payments.services.payments.payment_record), the
    mandates are no longer first, the batch is settled. Settling it again does nothing."""
    with transaction.atomic():
        batch = DirectDebitBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status == DirectDebitBatch.Status.SETTLED:
            return batch
        items = list(
            DirectDebitItem.objects.select_for_update(of=("self",))
            .filter(batch=batch, status=PENDING)
            .select_related("shop")
            .prefetch_related("invoices")
            .order_by("pk")
        )
        # Every shop of the batch at once, in id order, before payment_record takes
        # each again with its invoices (docs/settlement.md, "Settlements").
        shops_for_update({item.shop_id for item in items})
        for item in items:
            item.payment = payment_record(
                shop=item.shop,
                date=date,
                amount=item.amount,
                method="direct_debit",
                reference=item.end_to_end_id,
                invoices=sorted(invoice.pk for invoice in item.invoices.all()),
            )
            item.status = DirectDebitItem.Status.SETTLED
            item.save(update_fields=["payment", "status"])
        Mandate.objects.filter(
            pk__in=[item.mandate_id for item in items], first_collected_on__isnull=True
        ).update(first_collected_on=batch.collection_date)
        batch.status = DirectDebitBatch.Status.SETTLED
        batch.settled_at = timezone.now()
        batch.save(update_fields=["status", "settled_at"])
    return batch


def direct_debit_item_reject(
    *, item: DirectDebitItem, reason: str, date: dt.date
) -> DirectDebitItem:
    """A transaction came back (R-transaction, ISO reason code such as AC04 or MD06): its
    payment, if the batch was settled, is cancelled (the invoices open again), the item
    is rejected with its reason. A rejected first collection leaves the mandate first
    again. Rejecting it again does nothing."""
    with transaction.atomic():
        item = (
            DirectDebitItem.objects.select_for_update(of=("self",))
            .select_related("payment", "mandate")
            .get(pk=item.pk)
        )
        if item.status == DirectDebitItem.Status.REJECTED:
            return item
        if item.payment is not None and item.payment.cancelled_at is None:
            payment_cancel(
                payment=item.payment, date=date, reason=f"Prélèvement rejeté ({reason})"[:200]
            )
        item.status = DirectDebitItem.Status.REJECTED
        item.return_reason = (reason or "")[:4]
        item.save(update_fields=["status", "return_reason"])
        if (
            item.sequence_type == sepa.FIRST
            and not DirectDebitItem.objects.filter(
                mandate_id=item.mandate_id, status=DirectDebitItem.Status.SETTLED
            ).exists()
        ):
            Mandate.objects.filter(pk=item.mandate_id).update(first_collected_on=None)
    return item
