"""What settles an invoice (docs/settlement.md): payments'
allocations, credit notes, the shop's credit (an overpayment, the part of a credit
note its invoice could not take) used on its open invoices.

Each settlement has its own 411000 line in the cooperative's books, so that an invoice
whose amount due reaches zero gets one letter on its 411000 lines: the invoice's debit
and the credits that settled it (accounting.lettering).

Locks, always in this order: the shops, then their invoices by id
(`invoices_for_update`). A payment, a credit note and a credit used at once on one
invoice wait for each other; a database check keeps paid + credited within the total.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from accounting import accounts
from accounting.auxiliaries import shop_aux
from accounting.lettering import letters_remove, lines_letter
from accounting.models import EntryLine
from accounting.services import EntryIn, LineIn, cooperative_ledger, entries_post
from mache.money import ZERO
from mache.periods import paris_today
from shops.models import Shop

from ..models import Invoice, InvoiceSettlement

Kind = InvoiceSettlement.Kind


def shops_for_update(shop_ids) -> None:
    """Lock the shops' rows (by id): whoever settles a shop's invoices holds it."""
    list(
        Shop.objects.select_for_update()
        .filter(pk__in=list(shop_ids))
        .order_by("pk")
        .values_list("pk")
    )


def invoices_for_update(ids) -> list[Invoice]:
    """The invoices `ids`, locked with their shops (shops first, then invoices by id)."""
    ids = list(ids)
    shops_for_update(
        Invoice.objects.filter(pk__in=ids).values_list("shop_id", flat=True).distinct()
    )
    return list(Invoice.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk"))


def open_invoices_for_update(shop) -> list[Invoice]:
    """The shop's invoices with something due, locked, oldest due first."""
    shops_for_update([shop.pk])
    return list(
        Invoice.objects.select_for_update(of=("self",))
        .filter(shop=shop, total_incl_vat__gt=F("amount_paid") + F("amount_credited"))
        .order_by("due_on", "issued_on", "pk")
    )


def invoice_customer_line(invoice) -> EntryLine | None:
    """The invoice's 411000 line in the cooperative's books (None if never posted)."""
    return (
        EntryLine.objects.filter(
            entry__ledger=cooperative_ledger(),
            entry__source=f"invoice:{invoice.number}",
            account__number=accounts.CUSTOMERS,
        )
        .only("pk")
        .first()
    )


def _letter_if_settled(invoice, date: dt.date) -> None:
    if invoice.amount_due:
        return
    line = invoice_customer_line(invoice)
    if line is None:
        return
    settled = list(
        invoice.settlements.filter(cancelled_at__isnull=True, line__isnull=False).values_list(
            "line_id", "date"
        )
    )
    # Lettered on the day the set balanced: the latest of its documents (a payment may
    # be dated before the invoice it was later allocated to).
    day = max([date, invoice.issued_on, *(settled_on for _, settled_on in settled)])
    lines_letter(line_ids=[line.pk] + [line_id for line_id, _ in settled], date=day)


def invoice_settle(
    *, invoice, kind, amount: Decimal, date: dt.date, line=None, credit_note=None, entry=None
) -> InvoiceSettlement:
    """Take `amount` off `invoice`'s amount due; letter the invoice when nothing remains.

    Call under the invoice's row lock (`invoices_for_update`), with `amount` at most
    what is due (the caller computed it under that lock). `line` is the settlement's
    411000 line in the cooperative's books.
    """
    if amount <= 0 or amount > invoice.amount_due:
        raise ValueError(f"cannot settle {amount} of {invoice.number}: {invoice.amount_due} due")
    column = "amount_credited" if kind == Kind.CREDIT_NOTE else "amount_paid"
    with transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(**{column: F(column) + amount})
        setattr(invoice, column, getattr(invoice, column) + amount)
        settlement = InvoiceSettlement.objects.create(
            invoice=invoice,
            kind=kind,
            amount=amount,
            date=date,
            line=line,
            credit_note=credit_note,
            entry=entry,
        )
        _letter_if_settled(invoice, date)
    return settlement


def settlement_cancel(*, settlement) -> None:
    """Undo a settlement (its payment was cancelled): the invoice's letter goes, its
    amount due comes back. Call under the invoice's row lock; the entry that carried
    the settlement is reversed by the caller."""
    invoice = settlement.invoice
    column = "amount_credited" if settlement.kind == Kind.CREDIT_NOTE else "amount_paid"
    with transaction.atomic():
        line = invoice_customer_line(invoice)
        if line is not None:
            letters_remove(line_ids=[line.pk])
        Invoice.objects.filter(pk=invoice.pk).update(**{column: F(column) - settlement.amount})
        setattr(invoice, column, getattr(invoice, column) - settlement.amount)
        InvoiceSettlement.objects.filter(pk=settlement.pk).update(cancelled_at=timezone.now())
        settlement.cancelled_at = timezone.now()


def shop_credit_balance(shop) -> Decimal:
    """The shop's credit with the cooperative: the credit balance of its auxiliary
    account on 419100 (overpayments, credit notes its invoices could not take)."""
    code, _ = shop_aux(shop.pk, shop.name)
    totals = EntryLine.objects.filter(
        ledger=cooperative_ledger(),
        account__number=accounts.CUSTOMER_CREDITS,
        auxiliary__code=code,
    ).aggregate(debit=Sum("debit"), credit=Sum("credit"))
    return (totals["credit"] or ZERO) - (totals["debit"] or ZERO)


def shops_with_credit(shop_ids) -> list[int]:
    """Those of `shop_ids` that have a credit to use (one query)."""
    codes = {shop_aux(pk, "")[0]: pk for pk in shop_ids}
    rows = (
        EntryLine.objects.filter(
            ledger=cooperative_ledger(),
            account__number=accounts.CUSTOMER_CREDITS,
            auxiliary__code__in=list(codes),
        )
        .values("auxiliary__code")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
    )
    return sorted(codes[row["auxiliary__code"]] for row in rows if row["credit"] > row["debit"])


def shop_credit_use(*, shop, date: dt.date) -> list[InvoiceSettlement]:
    """Use the shop's credit on its open invoices, oldest due first: for each, an OD
    entry (debit 419100 / credit 411000, the shop's auxiliary account) and a `credit`
    settlement. Nothing to use, or nothing due: nothing done."""
    with transaction.atomic():
        invoices = open_invoices_for_update(shop)
        credit = shop_credit_balance(shop)
        used = []
        for invoice in invoices:
            if credit <= 0:
                break
            amount = min(credit, invoice.amount_due)
            credit -= amount
            used.append(_credit_settle(shop=shop, invoice=invoice, amount=amount, date=date))
    return used


def _credit_settle(*, shop, invoice, amount: Decimal, date: dt.date) -> InvoiceSettlement:
    ledger = cooperative_ledger()
    aux = shop_aux(shop.pk, shop.name)
    label = f"Crédit du commerce utilisé sur la facture {invoice.number}"
    rank = invoice.settlements.filter(kind=Kind.CREDIT).count() + 1
    [entry] = entries_post(
        entries=[
            EntryIn(
                ledger=ledger,
                journal="OD",
                date=date,
                label=label,
                piece_ref=invoice.number,
                lines=[
                    LineIn(accounts.CUSTOMER_CREDITS, debit=amount, auxiliary=aux, label=label),
                    LineIn(accounts.CUSTOMERS, credit=amount, auxiliary=aux, label=label),
                ],
                source=f"credit-use:{invoice.number}:{rank}",
            )
        ]
    )
    line = entry.lines.get(account__number=accounts.CUSTOMERS)
    return invoice_settle(
        invoice=invoice, kind=Kind.CREDIT, amount=amount, date=date, line=line, entry=entry
    )


def shop_credit_restore(*, shop, date: dt.date | None = None) -> list[InvoiceSettlement]:
    """After a payment's cancellation took back a credit the shop had already used
    (419100 in debit): cancel the latest credits used, reversing their entries, until
    the credit is no longer negative; what they freed beyond is used again. Returns the
    settlements cancelled."""
    from accounting.services import entry_reverse

    date = date or paris_today()
    cancelled = []
    with transaction.atomic():
        shops_for_update([shop.pk])
        balance = shop_credit_balance(shop)
        if balance >= 0:
            return []
        latest = (
            InvoiceSettlement.objects.filter(
                invoice__shop=shop, kind=Kind.CREDIT, cancelled_at__isnull=True
            )
            .select_related("invoice", "entry")
            .order_by("-date", "-pk")
        )
        for settlement in latest:
            if balance >= 0:
                break
            [invoice] = invoices_for_update([settlement.invoice_id])
            settlement.invoice = invoice
            entry_reverse(entry=settlement.entry, date=date)
            settlement_cancel(settlement=settlement)
            balance += settlement.amount
            cancelled.append(settlement)
        if balance > 0:
            shop_credit_use(shop=shop, date=date)
    return cancelled
