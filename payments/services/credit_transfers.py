"""SEPA credit transfers to suppliers (docs/sepa.md, "Paying suppliers"): a batch pays
approved supplier invoices (docs/supplier-invoices.md) their amount due;
pain.001.001.03 for the bank; posted when the bank statement shows the transfers."""

import datetime as dt
import uuid
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounting import accounts
from accounting.auxiliaries import supplier_aux
from accounting.services import EntryIn, LineIn, cooperative_ledger, entries_post
from mache.errors import BusinessRuleError, InvalidInput
from mache.money import ZERO
from mache.periods import paris_today
from purchasing.models import SupplierInvoice

from .. import sepa
from ..models import CreditTransferBatch, CreditTransferItem
from .cooperative import cooperative_party


class AlreadyPaid(BusinessRuleError):
    code = "already_paid"
    default_detail = "Une facture fournisseur est déjà dans un lot de virements."


def payable(invoice: SupplierInvoice) -> Decimal:
    """What a transfer pays of `invoice`: its amount due (BT-115: the total less what
    was prepaid), else (recorded before it was kept) its total incl. VAT."""
    return invoice.total_incl_vat if invoice.amount_due is None else invoice.amount_due


def _invoice_name(invoice: SupplierInvoice) -> str:
    return f"{invoice.number} de {invoice.supplier.name}"


def credit_transfer_batch_prepare(
    *, execution_date: dt.date, supplier_invoice_ids: list[int], user=None
) -> CreditTransferBatch:
    """A batch paying these approved supplier invoices on `execution_date`, each its
    amount due (`payable`, docs/sepa.md).

    400 on `execution_date` when past; 400 on `supplier_invoices` for an invoice unknown,
    not approved, owing nothing, or whose supplier has no IBAN/BIC; 409 `already_paid`
    for an invoice already in a batch or whose order an older transfer paid; 409 when the
    cooperative's IBAN or BIC is missing. The invoices are locked: two batches never pay
    the same one.
    """
    if execution_date < paris_today():
        raise InvalidInput({"execution_date": ["La date d'exécution est passée."]})
    if not supplier_invoice_ids:
        raise InvalidInput({"supplier_invoices": ["Choisissez au moins une facture à payer."]})
    cooperative_party(direct_debit=False)
    wanted = list(dict.fromkeys(supplier_invoice_ids))
    with transaction.atomic():
        invoices = list(
            SupplierInvoice.objects.select_for_update(of=("self",))
            .filter(pk__in=wanted)
            .select_related("supplier")
            .order_by("pk")
        )
        found = {invoice.pk for invoice in invoices}
        problems = [f"Facture fournisseur inconnue : {pk}." for pk in wanted if pk not in found]
        for invoice in invoices:
            supplier = invoice.supplier
            if invoice.status != SupplierInvoice.Status.APPROVED:
                problems.append(
                    f"La facture {_invoice_name(invoice)} n'est pas approuvée : "
                    "rien ne lui est encore dû."
                )
            elif payable(invoice) <= 0:
                problems.append(f"Rien n'est dû pour la facture {_invoice_name(invoice)}.")
            elif not (supplier.iban and supplier.bic):
                problems.append(
                    f"{supplier.name} n'a pas d'IBAN ou de BIC : renseignez-les sur sa fiche."
                )
        if problems:
            raise InvalidInput({"supplier_invoices": problems})
        # Paid already: an item of this invoice, or (transfers made before supplier
        # invoices existed) an item paying its supplier order.
        orders = {invoice.supplier_order_id: invoice.pk for invoice in invoices}
        orders.pop(None, None)
        taken = sorted(
            {
                invoice_id if invoice_id is not None else orders[order_id]
                for invoice_id, order_id in CreditTransferItem.objects.filter(
                    Q(supplier_invoice__in=invoices)
                    | Q(supplier_invoice__isnull=True, supplier_order__in=list(orders))
                ).values_list("supplier_invoice_id", "supplier_order_id")
            }
        )
        if taken:
            names = [_invoice_name(invoice) for invoice in invoices if invoice.pk in taken]
            raise AlreadyPaid(
                "Déjà dans un lot de virements : " + ", ".join(names) + ".",
                supplier_invoices=taken,
            )
        batch = CreditTransferBatch.objects.create(
            execution_date=execution_date, message_id=uuid.uuid4().hex[:35], created_by=user
        )
        batch.message_id = f"MACHE-VIR-{batch.pk:06d}"
        items = [
            CreditTransferItem(
                batch=batch,
                supplier=invoice.supplier,
                supplier_invoice=invoice,
                amount=payable(invoice),
                iban=invoice.supplier.iban,
                bic=invoice.supplier.bic,
                end_to_end_id=f"V{batch.pk:06d}-FF{invoice.pk:06d}",
            )
            for invoice in invoices
        ]
        CreditTransferItem.objects.bulk_create(items)
        batch.count = len(items)
        batch.total = sum((item.amount for item in items), ZERO)
        batch.save(update_fields=["message_id", "count", "total"])
    return batch


def item_reference(item: CreditTransferItem) -> str:
    """What a transfer pays, as the supplier and the books name it: the supplier's invoice
    number (transfers made before supplier invoices existed: the order, CF-000123)."""
    if item.supplier_invoice_id:
        return f"facture {item.supplier_invoice.number}"
    return f"commande CF-{item.supplier_order_id:06d}"


def credit_transfer_batch_file(*, batch: CreditTransferBatch) -> bytes:
    """The batch's pain.001.001.03 file; giving it marks the batch sent."""
    debtor = cooperative_party(direct_debit=False)
    items = list(
        CreditTransferItem.objects.filter(batch=batch)
        .select_related("supplier", "supplier_invoice")
        .order_by("pk")
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
                remittance=f"{item_reference(item).capitalize()} - {debtor.name}"[:140],
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
            .select_related("supplier", "supplier_invoice")
            .order_by("pk")
        )
        ledger = cooperative_ledger()
        entries = []
        for item in items:
            label = f"Virement {item.supplier.name} {item_reference(item)}"[:200]
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
