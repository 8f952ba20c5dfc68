"""Payments of the shops (docs/settlement.md, "Payments").

A payment is allocated to the invoices named, else to the shop's open invoices oldest
due first; what no invoice takes stays as the shop's credit (419100), used by its next
invoices. It is posted in both books at once: the cooperative's BQ entry has one 411000
line per invoice it settles (so that each invoice letters on its own) and one 419100
line for the rest; the shop's BQ entry debits 401000 (COOP) and credits its bank.

Cancelling a payment (a cheque returned, a direct debit rejected) reverses both
entries, cancels its settlements (their letters go, the invoices are due again) and,
if the shop had already used the credit it made, cancels those uses too.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounting import accounts
from accounting.auxiliaries import COOP_AUX, shop_aux
from accounting.services import (
    EntryIn,
    LineIn,
    cooperative_ledger,
    entries_post,
    entry_reverse,
    ledger_for_shop,
)
from mache.errors import BusinessRuleError, InvalidInput
from mache.money import money
from mache.periods import paris_today
from purchasing.models import Invoice, InvoiceSettlement
from purchasing.services.settlement import (
    invoice_settle,
    invoices_for_update,
    open_invoices_for_update,
    settlement_cancel,
    shop_credit_restore,
    shops_for_update,
)
from shops.dates import business_date_check

from ..models import Payment, PaymentAllocation

MAX_AMOUNT = Decimal("9999999999.99")


class PaymentCancelled(BusinessRuleError):
    code = "payment_cancelled"
    default_detail = "Ce règlement est déjà annulé."


def payment_check(*, shop, date: dt.date, amount: Decimal, method: str, invoices) -> None:
    """Raise InvalidInput (400 naming the field) for a payment that cannot be recorded."""
    errors = {}
    if amount is None or amount <= 0:
        errors["amount"] = ["Le montant doit être positif."]
    elif amount != money(amount) or amount > MAX_AMOUNT:
        errors["amount"] = ["Un montant en euros, au centime près."]
    if method not in Payment.Method.values:
        errors["method"] = ["Mode de règlement inconnu."]
    if invoices:
        foreign = set(invoices) - set(
            Invoice.objects.filter(pk__in=list(invoices), shop=shop).values_list("pk", flat=True)
        )
        if foreign:
            errors["invoices"] = [
                "Ces factures ne sont pas celles de ce commerce : "
                + ", ".join(str(pk) for pk in sorted(foreign))
                + "."
            ]
    if errors:
        raise InvalidInput(errors)
    business_date_check(on=date, shop=shop, field="date")


def payment_record(
    *,
    shop,
    date: dt.date,
    amount: Decimal,
    method: str,
    reference: str = "",
    invoices=None,
    user=None,
) -> Payment:
    """Record a payment of `shop` and allocate it (`invoices`: ids of the shop's invoices
    to pay, in that order; None: the oldest open ones first). Posted in both books."""
    payment_check(shop=shop, date=date, amount=amount, method=method, invoices=invoices)
    with transaction.atomic():
        if invoices:
            locked = {invoice.pk: invoice for invoice in invoices_for_update(invoices)}
            targets = [locked[pk] for pk in dict.fromkeys(invoices)]
        else:
            targets = open_invoices_for_update(shop)
        plan = []
        rest = amount
        for invoice in targets:
            share = min(rest, invoice.amount_due)
            if share > 0:
                plan.append((invoice, share))
                rest -= share
        payment = Payment.objects.create(
            shop=shop,
            date=date,
            amount=amount,
            method=method,
            reference=reference,
            unallocated=rest,
            created_by=user if user and user.is_authenticated else None,
        )
        entry, shop_entry = _post(payment, plan)
        customer_lines = list(entry.lines.filter(account__number=accounts.CUSTOMERS).order_by("pk"))
        for (invoice, share), line in zip(plan, customer_lines, strict=True):
            settlement = invoice_settle(
                invoice=invoice,
                kind=InvoiceSettlement.Kind.PAYMENT,
                amount=share,
                date=date,
                line=line,
                entry=entry,
            )
            PaymentAllocation.objects.create(payment=payment, settlement=settlement)
        payment.entry = entry
        payment.shop_entry = shop_entry
        payment.save(update_fields=["entry", "shop_entry"])
    return payment


def _post(payment: Payment, plan) -> tuple:
    shop = payment.shop
    aux = shop_aux(shop.pk, shop.name)
    label = f"Règlement {payment.get_method_display().lower()} de {shop.name}"
    lines = [LineIn(accounts.BANK, debit=payment.amount, label=label)]
    lines += [
        LineIn(
            accounts.CUSTOMERS,
            credit=share,
            auxiliary=aux,
            label=f"Règlement facture {invoice.number}",
        )
        for invoice, share in plan
    ]
    if payment.unallocated:
        lines.append(
            LineIn(
                accounts.CUSTOMER_CREDITS,
                credit=payment.unallocated,
                auxiliary=aux,
                label="Règlement non imputé : crédit du commerce",
            )
        )
    piece = payment.reference[:60] or f"REG-{payment.pk}"
    common = {
        "date": payment.date,
        "label": label,
        "piece_ref": piece,
        "source": f"payment:{payment.pk}",
    }
    shop_label = f"Règlement à la coopérative ({payment.get_method_display().lower()})"
    entry, shop_entry = entries_post(
        entries=[
            EntryIn(ledger=cooperative_ledger(), journal="BQ", lines=lines, **common),
            EntryIn(
                ledger=ledger_for_shop(shop),
                journal="BQ",
                lines=[
                    LineIn(
                        accounts.SUPPLIERS,
                        debit=payment.amount,
                        auxiliary=COOP_AUX,
                        label=shop_label,
                    ),
                    LineIn(accounts.BANK, credit=payment.amount, label=shop_label),
                ],
                **{**common, "label": shop_label},
            ),
        ]
    )
    return entry, shop_entry


def payment_cancel(*, payment, date: dt.date | None = None, reason: str = "", user=None) -> Payment:
    """Cancel `payment`: its entries reversed on `date` (default today), its
    settlements undone (invoices due again, letters removed), the credit it made
    taken back (credits already used on invoices are cancelled first)."""
    date = date or paris_today()
    with transaction.atomic():
        shops_for_update([payment.shop_id])
        payment = Payment.objects.select_for_update().select_related("shop").get(pk=payment.pk)
        if payment.cancelled_at:
            raise PaymentCancelled()
        settlements = list(
            InvoiceSettlement.objects.filter(allocation__payment=payment, cancelled_at__isnull=True)
        )
        invoices = {
            invoice.pk: invoice
            for invoice in invoices_for_update({s.invoice_id for s in settlements})
        }
        cancel_entry = entry_reverse(entry=payment.entry, date=date, user=user)
        shop_cancel_entry = entry_reverse(entry=payment.shop_entry, date=date, user=user)
        for settlement in settlements:
            settlement.invoice = invoices[settlement.invoice_id]
            settlement_cancel(settlement=settlement)
        if payment.unallocated:
            shop_credit_restore(shop=payment.shop, date=date)
        payment.cancelled_at = timezone.now()
        payment.cancel_reason = reason[:200]
        payment.cancel_entry = cancel_entry
        payment.shop_cancel_entry = shop_cancel_entry
        payment.save(
            update_fields=["cancelled_at", "cancel_reason", "cancel_entry", "shop_cancel_entry"]
        )
    return payment
