"""Automatic postings (accounting.md): each names its source document, and the unique
(ledger, source) key makes posting it again a no-op.

- a shop invoice of the cooperative: in the shop's books (ACH) and in the
  cooperative's books (VTE);
- a supplier order received: in the cooperative's books (ACH);
- the month-end stock variation of a shop (OD, last day of the month).
Z tickets are posted by `accounting.sales`.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Prefetch

from mache.money import ZERO, money
from mache.periods import current_month, last_day_of_month, previous_month
from purchasing import rules
from purchasing.models import Invoice, InvoiceLine

from .services import EntryIn, LineIn, cooperative_ledger, entries_post, ledger_for_shop

COOP_AUX = ("COOP", "Coopérative MACHE")


def shop_aux(shop) -> tuple[str, str]:
    return (f"C{shop.pk:06d}", shop.name)


def supplier_aux(supplier) -> tuple[str, str]:
    return (f"F{supplier.pk:06d}", supplier.name)


def _by_rate(lines, kind) -> dict[Decimal, Decimal]:
    totals = defaultdict(lambda: ZERO)
    for line in lines:
        if line.kind == kind:
            totals[line.vat_rate] += line.amount
    return dict(totals)


def invoice_entries(invoice: Invoice, *, shop_ledger, coop_ledger) -> list[EntryIn]:
    """The two entries of one invoice. `invoice` comes with its lines and VAT lines."""
    lines = list(invoice.lines.all())
    goods = _by_rate(lines, InvoiceLine.Kind.GOODS)
    shipping = _by_rate(lines, InvoiceLine.Kind.SHIPPING)
    fee = sum((ln.amount for ln in lines if ln.kind == InvoiceLine.Kind.FEE), ZERO)
    vat = [(v.rate, v.amount) for v in invoice.vat_lines.all() if v.amount]
    label = f"Facture {invoice.number}"
    common = {"date": invoice.issued_on, "piece_ref": invoice.number, "label": label,
              "source": f"invoice:{invoice.number}"}

    shop_lines = (
        [LineIn("607000", debit=a, vat_rate=r, label=f"Marchandises TVA {r}")
         for r, a in sorted(goods.items()) if a]
        + [LineIn("624100", debit=a, vat_rate=r, label=f"Port TVA {r}")
           for r, a in sorted(shipping.items()) if a]
        + ([LineIn(shop_ledger.fee_account, debit=fee, vat_rate=rules.FEE_VAT_RATE,
                   label="Frais de service de la coopérative")] if fee else [])
        + [LineIn("445660", debit=a, vat_rate=r, label=f"TVA déductible {r}") for r, a in vat]
        + [LineIn("401000", credit=invoice.total_incl_vat, auxiliary=COOP_AUX, label=label)])
    coop_lines = (
        [LineIn("411000", debit=invoice.total_incl_vat, auxiliary=shop_aux(invoice.shop),
                label=label)]
        + [LineIn("707000", credit=a, vat_rate=r, label=f"Marchandises TVA {r}")
           for r, a in sorted(goods.items()) if a]
        + [LineIn("708000", credit=a, vat_rate=r, label=f"Port refacturé TVA {r}")
           for r, a in sorted(shipping.items()) if a]
        + ([LineIn("706000", credit=fee, vat_rate=rules.FEE_VAT_RATE,
                   label="Frais de service")] if fee else [])
        + [LineIn("445710", credit=a, vat_rate=r, label=f"TVA collectée {r}") for r, a in vat])
    return [EntryIn(ledger=shop_ledger, journal="ACH", lines=shop_lines, **common),
            EntryIn(ledger=coop_ledger, journal="VTE", lines=coop_lines, **common)]


def supplier_order_entry(supplier_order, lines, *, coop_ledger, date: dt.date) -> EntryIn | None:
    """The supplier's invoice for what was received: goods at their VAT rates, shipping
    split over the rates of the goods it carries (as for the shops), VAT per rate.
    `lines` are the supplier order lines with their product and received units."""
    goods = defaultdict(lambda: ZERO)
    for line in lines:
        if line.received_units:
            goods[line.product.vat_rate] += rules.line_amount(line.received_units,
                                                              line.unit_price)
    shipping = rules.split_by_rate(supplier_order.shipping, dict(goods))
    bases = defaultdict(lambda: ZERO)
    for rate, amount in [*goods.items(), *shipping.items()]:
        bases[rate] += amount
    vat = {rate: rules.vat_amount(base, rate) for rate, base in bases.items()}
    total = sum(bases.values(), ZERO) + sum(vat.values(), ZERO)
    if not total:
        return None
    supplier = supplier_order.round.supplier
    reference = f"CF-{supplier_order.pk:06d}"
    label = f"Commande {reference} reçue de {supplier.name}"
    entry_lines = (
        [LineIn("607000", debit=a, vat_rate=r, label=f"Marchandises TVA {r}")
         for r, a in sorted(goods.items()) if a]
        + [LineIn("624100", debit=a, vat_rate=r, label=f"Transport TVA {r}")
           for r, a in sorted(shipping.items()) if a]
        + [LineIn("445660", debit=a, vat_rate=r, label=f"TVA déductible {r}")
           for r, a in sorted(vat.items()) if a]
        + [LineIn("401000", credit=total, auxiliary=supplier_aux(supplier), label=label)])
    return EntryIn(ledger=coop_ledger, journal="ACH", date=date, label=label,
                   piece_ref=reference, lines=entry_lines,
                   source=f"supplier-order:{supplier_order.pk}")


def receipt_post(*, supplier_order, lines, invoices: list[Invoice], date: dt.date) -> None:
    """Post a received supplier order and the shops' invoices, in one batch.

    Call inside the receipt's transaction: the books move with the goods, or neither.
    """
    coop_ledger = cooperative_ledger()
    invoices = list(Invoice.objects.filter(pk__in=[i.pk for i in invoices])
                    .select_related("shop", "shop__ledger")
                    .prefetch_related(Prefetch("lines"), "vat_lines").order_by("sequence"))
    entries = []
    supplier_entry = supplier_order_entry(supplier_order, lines, coop_ledger=coop_ledger,
                                          date=date)
    if supplier_entry:
        entries.append(supplier_entry)
    for invoice in invoices:
        shop_ledger = getattr(invoice.shop, "ledger", None) or ledger_for_shop(invoice.shop)
        entries += invoice_entries(invoice, shop_ledger=shop_ledger, coop_ledger=coop_ledger)
    entries_post(entries=entries)


def stock_variation_entry(*, shop, month: dt.date) -> EntryIn | None:
    """The change of stock value over a month (weighted average cost), from the inventory:
    stock falls: debit 603700 / credit 370000; rises: the reverse. None when unchanged."""
    from inventory.selectors import stock_value_at

    opening = sum((s.value for _, s in stock_value_at(
        shop=shop, day=last_day_of_month(previous_month(month)))), ZERO)
    closing = sum((s.value for _, s in stock_value_at(
        shop=shop, day=last_day_of_month(month))), ZERO)
    change = money(closing - opening)
    if not change:
        return None
    label = (f"Variation de stock {month:%m/%Y} : {opening} € → {closing} €")
    amount = abs(change)
    lines = ([LineIn("603700", debit=amount, label=label), LineIn("370000", credit=amount,
                                                                  label=label)]
             if change < 0 else
             [LineIn("370000", debit=amount, label=label), LineIn("603700", credit=amount,
                                                                  label=label)])
    day = last_day_of_month(month)
    return EntryIn(ledger=ledger_for_shop(shop), journal="OD", date=day, label=label,
                   piece_ref=f"STOCK-{month:%Y%m}", lines=lines,
                   source=f"stock:{month:%Y-%m}")


def stock_variation_post(*, shop, month: dt.date):
    """Post a finished month's stock variation for a shop; posting it again does nothing."""
    if month >= current_month():
        raise ValueError("the month is not over")
    entry = stock_variation_entry(shop=shop, month=month)
    return entries_post(entries=[entry])[0] if entry else None
