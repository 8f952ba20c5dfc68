"""SEPA credit transfers to suppliers (docs/sepa.md, "Paying suppliers"): a batch pays
received supplier orders (until supplier e-invoices exist, a received order stands for
its supplier's invoice) what the cooperative owes for each, incl. VAT; pain.001.001.03
for the bank; posted when the bank statement shows the transfers."""

import datetime as dt
import uuid

from django.db import transaction
from django.utils import timezone

from accounting import accounts
from accounting.auxiliaries import supplier_aux
from accounting.services import EntryIn, LineIn, cooperative_ledger, entries_post
from mache.errors import BusinessRuleError, InvalidInput
from mache.money import ZERO
from mache.periods import paris_today
from purchasing.models import SupplierOrder

from .. import sepa
from ..models import CreditTransferBatch, CreditTransferItem
from ..selectors import supplier_orders_owed
from .cooperative import cooperative_party


class AlreadyPaid(BusinessRuleError):
    code = "already_paid"
    default_detail = "Une commande fournisseur est déjà dans un lot de virements."


def order_reference(supplier_order_id: int) -> str:
    """The supplier order's reference, as on its purchase entry (CF-000123)."""
    return f"CF-{supplier_order_id:06d}"


def credit_transfer_batch_prepare(
    *, execution_date: dt.date, supplier_order_ids: list[int], user=None
) -> CreditTransferBatch:
    """A batch paying these received supplier orders on `execution_date`.

    400 on `execution_date` when past; 400 on `supplier_invoices` for an order unknown,
    not received, owing nothing, or whose supplier has no IBAN/BIC; 409 `already_paid`
    for an order already in a batch; 409 when the cooperative's IBAN or BIC is missing.
    The orders are locked: two batches never pay the same one.
    """
    if execution_date < paris_today():
        raise InvalidInput({"execution_date": ["La date d'exécution est passée."]})
    if not supplier_order_ids:
        raise InvalidInput({"supplier_invoices": ["Choisissez au moins une commande à payer."]})
    cooperative_party(direct_debit=False)
    wanted = list(dict.fromkeys(supplier_order_ids))
    with transaction.atomic():
        orders = list(
            SupplierOrder.objects.select_for_update(of=("self",))
            .filter(pk__in=wanted)
            .select_related("round__supplier")
            .order_by("pk")
        )
        found = {order.pk for order in orders}
        problems = [f"Commande fournisseur inconnue : {pk}." for pk in wanted if pk not in found]
        owed = supplier_orders_owed(found)
        for order in orders:
            supplier = order.round.supplier
            ref = order_reference(order.pk)
            if order.status != SupplierOrder.Status.RECEIVED:
                problems.append(f"La commande {ref} n'est pas reçue : rien n'est encore dû.")
            elif not owed.get(order.pk):
                problems.append(f"Rien n'est dû au fournisseur pour la commande {ref}.")
            elif not (supplier.iban and supplier.bic):
                problems.append(
                    f"{supplier.name} n'a pas d'IBAN ou de BIC : renseignez-les sur sa fiche."
                )
        if problems:
            raise InvalidInput({"supplier_invoices": problems})
        taken = sorted(
            set(
                CreditTransferItem.objects.filter(supplier_order__in=orders).values_list(
                    "supplier_order_id", flat=True
                )
            )
        )
        if taken:
            raise AlreadyPaid(
                "Déjà dans un lot de virements : "
                + ", ".join(order_reference(pk) for pk in taken)
                + ".",
                supplier_invoices=taken,
            )
        batch = CreditTransferBatch.objects.create(
            execution_date=execution_date, message_id=uuid.uuid4().hex[:35], created_by=user
        )
        batch.message_id = f"MACHE-VIR-{batch.pk:06d}"
        items = [
            CreditTransferItem(
                batch=batch,
                supplier=order.round.supplier,
                supplier_order=order,
                amount=owed[order.pk],
                iban=order.round.supplier.iban,
                bic=order.round.supplier.bic,
                end_to_end_id=f"V{batch.pk:06d}-{order_reference(order.pk)}",
            )
            for order in orders
        ]
        CreditTransferItem.objects.bulk_create(items)
        batch.count = len(items)
        batch.total = sum((item.amount for item in items), ZERO)
        batch.save(update_fields=["message_id", "count", "total"])
    return batch


def credit_transfer_batch_file(*, batch: CreditTransferBatch) -> bytes:
    """The batch's pain.001.001.03 file; giving it marks the batch sent."""
    debtor = cooperative_party(direct_debit=False)
    items = list(
        CreditTransferItem.objects.filter(batch=batch).select_related("supplier").order_by("pk")
    )
    xml = sepa.credit_transfer_xml(
        debtor=debtor,
        message_id=batch.message_id,
        execution_date=batch.execution_date,
        transfers=[
            sepa.TransferIn(
                name=item.supplier.name,
                iban=item.iban,
                bic=item.bic,
                amount=item.amount,
                end_to_end_id=item.end_to_end_id,
                remittance=f"Commande {order_reference(item.supplier_order_id)} - {debtor.name}",
            )
            for item in items
        ],
    )
    CreditTransferBatch.objects.filter(
        pk=batch.pk, status=CreditTransferBatch.Status.PREPARED
    ).update(status=CreditTransferBatch.Status.SENT)
    return xml


def credit_transfer_batch_settle(
    *, batch: CreditTransferBatch, date: dt.date
) -> CreditTransferBatch:
    """The transfers are on the bank statement: each is posted in the cooperative's books
    (BQ: debit 401000 aux supplier, credit 512000; source `credit-transfer:<item id>`, so
    posting it again posts nothing) and the batch is settled."""
    with transaction.atomic():
        batch = CreditTransferBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status == CreditTransferBatch.Status.SETTLED:
            return batch
        items = list(
            CreditTransferItem.objects.select_for_update(of=("self",))
            .filter(batch=batch)
            .select_related("supplier")
            .order_by("pk")
        )
        ledger = cooperative_ledger()
        entries = []
        for item in items:
            label = (
                f"Virement {item.supplier.name} commande {order_reference(item.supplier_order_id)}"
            )
            entries.append(
                EntryIn(
                    ledger=ledger,
                    journal="BQ",
                    date=date,
                    label=label,
                    piece_ref=item.end_to_end_id,
                    lines=[
                        LineIn(
                            accounts.SUPPLIERS,
                            debit=item.amount,
                            auxiliary=supplier_aux(item.supplier_id, item.supplier.name),
                            label=label,
                        ),
                        LineIn(accounts.BANK, credit=item.amount, label=label),
                    ],
                    source=f"credit-transfer:{item.pk}",
                )
            )
        posted = entries_post(entries=entries)
        for item, entry in zip(items, posted, strict=True):
            item.entry = entry
        CreditTransferItem.objects.bulk_update(items, ["entry"])
        batch.status = CreditTransferBatch.Status.SETTLED
        batch.settled_at = timezone.now()
        batch.save(update_fields=["status", "settled_at"])
    return batch
