"""Automatic postings (docs/postings.md): each names its source document, and the unique
(ledger, source) key makes posting it again a no-op.

- a shop invoice of the cooperative: in the shop's books (ACH) and in the
  cooperative's books (VTE);
- a credit note of the cooperative to a shop, the mirror of an invoice: in the shop's
  books (ACH) and in the cooperative's (VTE), docs/credit-notes.md;
- a supplier order received: in the cooperative's books (ACH);
- a supplier's e-invoice approved: in the cooperative's books (ACH), the purchase as
  billed, docs/supplier-invoices.md;
- the month-end stock variation of a shop (OD, last day of the month).
Z tickets are posted by `accounting.sales`.

The documents come as plain data (`accounting.documents`): the app that issues them
builds them. The `*_lines` functions are pure (no ORM): they give the lines of an
entry, for the posting below and for the benchmarks' data alike.
"""

import datetime as dt
from decimal import Decimal

from inventory.selectors import stock_value_at
from mache.formats import format_eur, format_rate
from mache.money import ZERO, money
from mache.periods import current_month, last_day_of_month, previous_month

from . import accounts
from .auxiliaries import COOP_AUX, shop_aux, supplier_aux
from .documents import (
    CreditNoteToPost,
    InvoiceToPost,
    SupplierInvoiceToPost,
    SupplierOrderToPost,
)
from .models import Entry, EntryLine
from .services import (
    EntryIn,
    LineIn,
    cooperative_ledger,
    entries_post,
    entry_reverse,
    ledger_for_shop,
    shop_ledgers,
)


def _per_rate(account: str, amounts: dict, label: str, *, side: str) -> list[LineIn]:
    """One line per VAT rate with an amount, on `side` ("debit" or "credit"); `label` may
    name the rate ("{rate}", written in French: "TVA 5,5 %"). A negative amount goes on
    the other side: the VAT of a credit note that closes a rate after earlier ones
    rounded theirs up (docs/credit-notes.md, "VAT over several credit notes")."""
    other = {"debit": "credit", "credit": "debit"}[side]
    return [
        LineIn(
            account,
            vat_rate=rate,
            label=label.format(rate=format_rate(rate)),
            **({side: amount} if amount > 0 else {other: -amount}),
        )
        for rate, amount in sorted(amounts.items())
        if amount
    ]


def invoice_lines(invoice: InvoiceToPost, *, fee_account: str) -> tuple[list[LineIn], list[LineIn]]:
    """The lines of an invoice's two entries: the shop's (its purchase, the fee on
    `fee_account`, its ledger's setting) and the cooperative's (its sale)."""
    label = f"Facture {invoice.number}"
    shop_lines = [
        *_per_rate(accounts.PURCHASES, invoice.goods, "Marchandises TVA {rate}", side="debit"),
        *_per_rate(
            accounts.TRANSPORT_ON_PURCHASES, invoice.shipping, "Port TVA {rate}", side="debit"
        ),
        *_per_rate(fee_account, invoice.fee, "Frais de service de la coopérative", side="debit"),
        *_per_rate(accounts.VAT_DEDUCTIBLE, invoice.vat, "TVA déductible {rate}", side="debit"),
        LineIn(accounts.SUPPLIERS, credit=invoice.total_incl_vat, auxiliary=COOP_AUX, label=label),
    ]
    coop_lines = [
        LineIn(
            accounts.CUSTOMERS,
            debit=invoice.total_incl_vat,
            auxiliary=shop_aux(invoice.shop_id, invoice.shop_name),
            label=label,
        ),
        *_per_rate(accounts.SALES, invoice.goods, "Marchandises TVA {rate}", side="credit"),
        *_per_rate(
            accounts.ANCILLARY_INCOME, invoice.shipping, "Port refacturé TVA {rate}", side="credit"
        ),
        *_per_rate(accounts.SERVICES_SOLD, invoice.fee, "Frais de service", side="credit"),
        *_per_rate(accounts.VAT_COLLECTED, invoice.vat, "TVA collectée {rate}", side="credit"),
    ]
    return shop_lines, coop_lines


def invoice_entries(invoice: InvoiceToPost, *, shop_ledger, coop_ledger) -> list[EntryIn]:
    """The two entries of one invoice."""
    shop_lines, coop_lines = invoice_lines(invoice, fee_account=shop_ledger.fee_account)
    common = {
        "date": invoice.date,
        "piece_ref": invoice.number,
        "label": f"Facture {invoice.number}",
        "source": f"invoice:{invoice.number}",
    }
    return [
        EntryIn(ledger=shop_ledger, journal="ACH", lines=shop_lines, **common),
        EntryIn(ledger=coop_ledger, journal="VTE", lines=coop_lines, **common),
    ]


def credit_note_lines(
    credit_note: CreditNoteToPost, *, fee_account: str
) -> tuple[list[LineIn], list[LineIn]]:
    """The lines of a credit note's two entries, the invoice's mirrored: the shop's
    (401000 aux COOP debited with the total; purchases, shipping, the fee on
    `fee_account` and deductible VAT credited per rate) and the cooperative's (sales,
    shipping charged on, fee and collected VAT debited per rate; 411000 aux shop
    credited with what is applied to the invoice, 419100 aux shop with the rest)."""
    label = f"Avoir {credit_note.number}"
    aux = shop_aux(credit_note.shop_id, credit_note.shop_name)
    excess = credit_note.total_incl_vat - credit_note.applied
    shop_lines = [
        LineIn(
            accounts.SUPPLIERS, debit=credit_note.total_incl_vat, auxiliary=COOP_AUX, label=label
        ),
        *_per_rate(
            accounts.PURCHASES, credit_note.goods, "Avoir marchandises TVA {rate}", side="credit"
        ),
        *_per_rate(
            accounts.TRANSPORT_ON_PURCHASES,
            credit_note.shipping,
            "Avoir port TVA {rate}",
            side="credit",
        ),
        *_per_rate(
            fee_account, credit_note.fee, "Avoir frais de service de la coopérative", side="credit"
        ),
        *_per_rate(
            accounts.VAT_DEDUCTIBLE, credit_note.vat, "TVA déductible {rate}", side="credit"
        ),
    ]
    coop_lines = [
        *_per_rate(
            accounts.SALES, credit_note.goods, "Avoir marchandises TVA {rate}", side="debit"
        ),
        *_per_rate(
            accounts.ANCILLARY_INCOME,
            credit_note.shipping,
            "Avoir port refacturé TVA {rate}",
            side="debit",
        ),
        *_per_rate(accounts.SERVICES_SOLD, credit_note.fee, "Avoir frais de service", side="debit"),
        *_per_rate(accounts.VAT_COLLECTED, credit_note.vat, "TVA collectée {rate}", side="debit"),
    ]
    if credit_note.applied:
        coop_lines.append(
            LineIn(accounts.CUSTOMERS, credit=credit_note.applied, auxiliary=aux, label=label)
        )
    if excess:
        coop_lines.append(
            LineIn(
                accounts.CUSTOMER_CREDITS,
                credit=excess,
                auxiliary=aux,
                label=f"{label} : crédit du commerce",
            )
        )
    return shop_lines, coop_lines


def credit_note_entries(
    credit_note: CreditNoteToPost, *, shop_ledger, coop_ledger
) -> list[EntryIn]:
    """The two entries of one credit note (shop's ACH, cooperative's VTE)."""
    shop_lines, coop_lines = credit_note_lines(credit_note, fee_account=shop_ledger.fee_account)
    common = {
        "date": credit_note.date,
        "piece_ref": credit_note.number,
        "label": f"Avoir {credit_note.number}",
        "source": f"credit-note:{credit_note.number}",
    }
    return [
        EntryIn(ledger=shop_ledger, journal="ACH", lines=shop_lines, **common),
        EntryIn(ledger=coop_ledger, journal="VTE", lines=coop_lines, **common),
    ]


def credit_note_post(*, credit_note: CreditNoteToPost) -> EntryLine | None:
    """Post a credit note in both books (posting it again posts nothing). Returns the
    cooperative's 411000 line of it, the one that settles the invoice (None when nothing
    was applied to the invoice).

    Call inside the credit note's transaction."""
    shop_ledger = shop_ledgers({credit_note.shop_id})[credit_note.shop_id]
    _, coop_entry = entries_post(
        entries=credit_note_entries(
            credit_note, shop_ledger=shop_ledger, coop_ledger=cooperative_ledger()
        )
    )
    return _customer_line(coop_entry)


def _customer_line(entry: Entry) -> EntryLine | None:
    return entry.lines.filter(account__number=accounts.CUSTOMERS).first()


def supplier_order_label(order: SupplierOrderToPost) -> str:
    return f"Commande {order.reference} reçue de {order.supplier_name}"


def supplier_order_lines(order: SupplierOrderToPost) -> list[LineIn]:
    """The supplier's invoice for what was received: goods and shipping at their VAT
    rates, VAT per rate, the total owed to the supplier."""
    return [
        *_per_rate(accounts.PURCHASES, order.goods, "Marchandises TVA {rate}", side="debit"),
        *_per_rate(
            accounts.TRANSPORT_ON_PURCHASES, order.shipping, "Transport TVA {rate}", side="debit"
        ),
        *_per_rate(accounts.VAT_DEDUCTIBLE, order.vat, "TVA déductible {rate}", side="debit"),
        LineIn(
            accounts.SUPPLIERS,
            credit=order.total_incl_vat,
            auxiliary=supplier_aux(order.supplier_id, order.supplier_name),
            label=supplier_order_label(order),
        ),
    ]


def supplier_order_entry(order: SupplierOrderToPost, *, coop_ledger) -> EntryIn | None:
    """The supplier order's entry; None when nothing was received (nothing is owed)."""
    if not order.total_incl_vat:
        return None
    return EntryIn(
        ledger=coop_ledger,
        journal="ACH",
        date=order.date,
        label=supplier_order_label(order),
        piece_ref=order.reference,
        lines=supplier_order_lines(order),
        source=f"supplier-order:{order.id}",
    )


def receipt_post(*, supplier_order: SupplierOrderToPost, invoices: list[InvoiceToPost]) -> None:
    """Post a received supplier order and the shops' invoices, in one batch.

    Call inside the receipt's transaction: the books move with the goods, or neither.
    """
    coop_ledger = cooperative_ledger()
    ledgers = shop_ledgers({invoice.shop_id for invoice in invoices})
    entries = []
    supplier_entry = supplier_order_entry(supplier_order, coop_ledger=coop_ledger)
    if supplier_entry:
        entries.append(supplier_entry)
    for invoice in invoices:
        entries += invoice_entries(
            invoice, shop_ledger=ledgers[invoice.shop_id], coop_ledger=coop_ledger
        )
    entries_post(entries=entries)


def supplier_invoice_label(invoice: SupplierInvoiceToPost) -> str:
    return f"Facture {invoice.number} de {invoice.supplier_name}"


def supplier_invoice_lines(invoice: SupplierInvoiceToPost) -> list[LineIn]:
    """The purchase as the supplier billed it: goods and shipping at their VAT rates, the
    VAT of its breakdown per rate, the total owed to the supplier (BT-112)."""
    return [
        *_per_rate(accounts.PURCHASES, invoice.goods, "Marchandises TVA {rate}", side="debit"),
        *_per_rate(
            accounts.TRANSPORT_ON_PURCHASES, invoice.shipping, "Transport TVA {rate}", side="debit"
        ),
        *_per_rate(accounts.VAT_DEDUCTIBLE, invoice.vat, "TVA déductible {rate}", side="debit"),
        LineIn(
            accounts.SUPPLIERS,
            credit=invoice.total_incl_vat,
            auxiliary=supplier_aux(invoice.supplier_id, invoice.supplier_name),
            label=supplier_invoice_label(invoice),
        ),
    ]


def supplier_invoice_post(*, invoice: SupplierInvoiceToPost) -> Entry:
    """Post an approved supplier invoice in the cooperative's books (posting it again
    posts nothing and returns the entry posted). Call inside the approval's transaction."""
    (entry,) = entries_post(
        entries=[
            EntryIn(
                ledger=cooperative_ledger(),
                journal="ACH",
                date=invoice.date,
                piece_date=invoice.issued_on,
                label=supplier_invoice_label(invoice),
                piece_ref=invoice.number[:60],
                lines=supplier_invoice_lines(invoice),
                source=f"supplier-invoice:{invoice.id}",
            )
        ]
    )
    return entry


def supplier_order_entry_reverse(
    *, supplier_order_id: int, date: dt.date, user=None
) -> Entry | None:
    """Reverse the entry posted at the receipt of a supplier order (`supplier-order:<id>`,
    the purchase as ordered) once the supplier's invoice is posted instead
    (docs/supplier-invoices.md, "Approval and the books"). None when there is none
    (nothing was received) or it is reversed already."""
    entry = Entry.objects.filter(
        ledger=cooperative_ledger(), source=f"supplier-order:{supplier_order_id}"
    ).first()
    if entry is None or Entry.objects.filter(reversal_of=entry).exists():
        return None
    return entry_reverse(entry=entry, date=date, user=user)


def invoices_post(*, invoices: list[InvoiceToPost]) -> None:
    """Post invoices issued on their own, not at a receipt: a supplier's difference
    re-invoiced to the shops (docs/supplier-differences.md), in both books like a
    round's invoice (posting one again posts nothing).

    Call inside the invoices' transaction."""
    coop_ledger = cooperative_ledger()
    ledgers = shop_ledgers({invoice.shop_id for invoice in invoices})
    entries_post(
        entries=[
            entry
            for invoice in invoices
            for entry in invoice_entries(
                invoice, shop_ledger=ledgers[invoice.shop_id], coop_ledger=coop_ledger
            )
        ]
    )


def stock_variation_lines(
    *, month: dt.date, opening: Decimal, closing: Decimal
) -> tuple[str, list[LineIn]] | None:
    """The label and lines of a month's stock variation, from the stock values at the
    opening and the closing of the month: stock falls: debit 603700 / credit 370000;
    rises: the reverse. None when unchanged."""
    change = money(closing - opening)
    if not change:
        return None
    label = f"Variation de stock {month:%m/%Y} : {format_eur(opening)} → {format_eur(closing)}"
    amount = abs(change)
    lines = (
        [
            LineIn(accounts.STOCK_VARIATION, debit=amount, label=label),
            LineIn(accounts.STOCK, credit=amount, label=label),
        ]
        if change < 0
        else [
            LineIn(accounts.STOCK, debit=amount, label=label),
            LineIn(accounts.STOCK_VARIATION, credit=amount, label=label),
        ]
    )
    return label, lines


def stock_variation_entry(*, shop, month: dt.date) -> EntryIn | None:
    """The change of stock value over a month (weighted average cost), from the inventory.
    None when unchanged."""
    opening = sum(
        (
            s.value
            for _, s in stock_value_at(shop=shop, day=last_day_of_month(previous_month(month)))
        ),
        ZERO,
    )
    closing = sum(
        (s.value for _, s in stock_value_at(shop=shop, day=last_day_of_month(month))), ZERO
    )
    variation = stock_variation_lines(month=month, opening=opening, closing=closing)
    if variation is None:
        return None
    label, lines = variation
    day = last_day_of_month(month)
    return EntryIn(
        ledger=ledger_for_shop(shop),
        journal="OD",
        date=day,
        label=label,
        piece_ref=f"STOCK-{month:%Y%m}",
        lines=lines,
        source=f"stock:{month:%Y-%m}",
    )


def stock_variation_post(*, shop, month: dt.date):
    """Post a finished month's stock variation for a shop; posting it again does nothing."""
    if month >= current_month():
        raise ValueError("the month is not over")
    entry = stock_variation_entry(shop=shop, month=month)
    return entries_post(entries=[entry])[0] if entry else None
