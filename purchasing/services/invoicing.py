"""Issuing the cooperative's invoices to the shops (docs/consolidation.md, "The shop
invoice"; docs/e-invoicing.md): each validated as a Factur-X e-invoice before the year's
counter is locked, numbered gap-free (MACHE-YYYY-NNNNNN), and as accounting posts them.
Used by the receipt (a round's invoices) and by the supplier's differences re-invoiced
to the shops (docs/supplier-differences.md)."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from accounting.documents import InvoiceToPost
from mache.money import ZERO
from shops.models import Shop

from .. import rules
from ..documents import documents_store_on_commit
from ..facturx.cii import cii_xml
from ..facturx.documents import invoice_document
from ..facturx.validation import cii_check
from ..hooks import invoice_mandates
from ..models import Invoice, InvoiceLine, InvoiceSequence, InvoiceVat


def invoice_to_post(
    *, number: str, date: dt.date, shop_id: int, shop_name: str, lines, vat, total_incl_vat: Decimal
) -> InvoiceToPost:
    """An invoice as accounting posts it. `lines`: its lines (`.kind`, `.vat_rate`,
    `.amount`: the invoice's rows or `rules.shop_invoices`' drafts); `vat`: its
    (rate, VAT) pairs."""
    by_kind = {kind: defaultdict(lambda: ZERO) for kind in InvoiceLine.Kind.values}
    for line in lines:
        by_kind[line.kind][line.vat_rate] += line.amount
    return InvoiceToPost(
        number=number,
        date=date,
        shop_id=shop_id,
        shop_name=shop_name,
        total_incl_vat=total_incl_vat,
        goods=dict(by_kind[InvoiceLine.Kind.GOODS]),
        shipping=dict(by_kind[InvoiceLine.Kind.SHIPPING]),
        fee=dict(by_kind[InvoiceLine.Kind.FEE]),
        vat=dict(vat),
    )


def invoices_to_post(invoices: list[Invoice]) -> list[InvoiceToPost]:
    """Issued invoices as accounting posts them, read again with their lines (three
    queries), in the order of their numbers."""
    invoices = (
        Invoice.objects.filter(pk__in=[i.pk for i in invoices])
        .select_related("shop")
        .prefetch_related("lines", "vat_lines")
        .order_by("sequence")
    )
    return [
        invoice_to_post(
            number=invoice.number,
            date=invoice.issued_on,
            shop_id=invoice.shop_id,
            shop_name=invoice.shop.name,
            lines=invoice.lines.all(),
            vat=[(v.rate, v.amount) for v in invoice.vat_lines.all()],
            total_incl_vat=invoice.total_incl_vat,
        )
        for invoice in invoices
    ]


def invoices_issue(
    *,
    supplier_order,
    drafts: list[rules.InvoiceDraft],
    coop,
    issued_on: dt.date,
    products: dict[int, object],
    supplements: dict[int, Invoice] | None = None,
) -> list[Invoice]:
    """The shops' invoices of `drafts`, sold by `coop`, issued on `issued_on` and
    numbered in its year. `products`: the products of the lines by id. `supplements`:
    for supplementary invoices (docs/supplier-differences.md), the round's invoice each
    shop's adds to, by shop id; its e-invoice names it (BT-25/BT-26).

    Each invoice's e-invoice is built with a provisional number and validated (XSD, EN
    16931 and French rules: purchasing.facturx) before the year's counter row is locked:
    one that would not validate raises FacturXInvalid naming the rules, and the receipt's
    transaction writes nothing (docs/e-invoicing.md)."""
    if not drafts:
        return []

    year = issued_on.year
    shops = Shop.objects.in_bulk([draft.shop for draft in drafts])
    # The shops collected by direct debit, with their mandate (payments answers: it sits
    # above purchasing, docs/e-invoicing.md "Identities").
    mandates = {}
    for answer in invoice_mandates.results(shop_ids=list(shops), on=issued_on):
        mandates.update(answer)
    due_on = issued_on + dt.timedelta(days=coop.payment_term_days)
    invoices, lines, vat_lines = [], [], []
    for draft in drafts:
        invoice = Invoice(
            number=provisional_number(year),
            year=year,
            shop_id=draft.shop,
            round=supplier_order.round,
            supplier_order=supplier_order,
            supplements=(supplements or {}).get(draft.shop),
            issued_on=issued_on,
            due_on=due_on,
            goods_excl_vat=draft.goods_excl_vat,
            shipping=draft.shipping,
            fee=draft.fee,
            total_excl_vat=draft.total_excl_vat,
            total_vat=draft.total_vat,
            total_incl_vat=draft.total_incl_vat,
            savings=draft.savings,
            # The parties as issued: later changes of either never reach the invoice.
            **Invoice.parties(
                seller=coop,
                buyer=shops[draft.shop],
                mandate_reference=mandates.get(draft.shop, ""),
            ),
        )
        its_lines = [
            InvoiceLine(
                invoice=invoice,
                position=position,
                kind=ln.kind,
                label=ln.label,
                product=products[ln.product] if ln.product else None,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                amount=ln.amount,
                vat_rate=ln.vat_rate,
                base_unit_price=ln.base_unit_price,
            )
            for position, ln in enumerate(draft.lines, start=1)
        ]
        its_vat = [
            InvoiceVat(invoice=invoice, rate=rate, base=base, amount=tax)
            for rate, base, tax in draft.vat
        ]
        cii_check(
            cii_xml(
                invoice_document(
                    invoice,
                    lines=its_lines,
                    vat_lines=its_vat,
                    delivery_date=supplier_order.round.delivery_date,
                    cooperative=coop,
                )
            ),
            document=f"La facture de {shops[draft.shop].name}",
        )
        invoices.append(invoice)
        lines += its_lines
        vat_lines += its_vat

    # The year's counter row may not exist yet: insert it without conflict, then lock it.
    InvoiceSequence.objects.bulk_create([InvoiceSequence(year=year)], ignore_conflicts=True)
    sequence = InvoiceSequence.objects.select_for_update().get(year=year)
    for invoice in invoices:
        sequence.last_number += 1
        invoice.sequence = sequence.last_number
        invoice.number = invoice_number(year, sequence.last_number)
    sequence.save(update_fields=["last_number"])
    Invoice.objects.bulk_create(invoices)
    InvoiceLine.objects.bulk_create(lines)
    InvoiceVat.objects.bulk_create(vat_lines)
    # Issued: each invoice's PDF and XML are rendered and stored once this commits, as
    # they are then for good (docs/documents.md).
    documents_store_on_commit(invoices=invoices)
    return invoices


def invoice_number(year: int, sequence: int) -> str:
    return f"MACHE-{year}-{sequence:06d}"


def provisional_number(year: int) -> str:
    """The number an invoice is validated with before it takes its own: of the same
    shape, so the rules on the number judge it as they will judge the real one."""
    return invoice_number(year, 0)
