"""Credit notes (avoirs) of the cooperative to a shop, on one of its invoices
(docs/credit-notes.md).

One transaction under the invoice's row lock: the rules (purchasing.credit_note_rules)
judge what is asked against what remains of the invoice, the credit note is numbered
without gap in its own yearly series (`MACHE-AV-YYYY-NNNNNN`, its counter row locked
like the invoices'), posted in both books, the goods taken back leave the shop's stock,
and what it takes off the invoice settles it; the rest, on an invoice already paid,
is a credit of the shop that pays its other open invoices.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from accounting import postings
from accounting.documents import CreditNoteToPost
from inventory.services import ReturnOut, end_of_day, stock_returns_record
from mache.errors import InvalidInput
from mache.money import ZERO
from mache.periods import paris_today
from shops.dates import business_date_check

from .. import credit_note_rules as cn_rules
from ..documents import documents_store_on_commit
from ..facturx.cii import cii_xml
from ..facturx.documents import credit_note_document
from ..facturx.validation import cii_check
from ..models import (
    CreditNote,
    CreditNoteLine,
    CreditNoteSequence,
    CreditNoteVat,
    Invoice,
    InvoiceLine,
    InvoiceSettlement,
)
from .einvoicing import einvoices_deposit_on_commit
from .settlement import invoice_settle, invoices_for_update, shop_credit_use

REASON_MAX = 300


def _asked(lines) -> list[cn_rules.UnitsBack | cn_rules.AmountBack]:
    """The API's (and the page's) lines as the rules take them: an `invoice_line` with a
    `quantity`, or a `label` with an `amount_excl_vat` at a `vat_rate`, and maybe a `kind`
    (the page names it; the API's contract does not: the rules then post the amount to
    what remains at its rate)."""
    asked = []
    for line in lines:
        if line.get("invoice_line") is not None:
            asked.append(
                cn_rules.UnitsBack(
                    invoice_line=line["invoice_line"],
                    quantity=line.get("quantity") or 0,
                    return_to_supplier=bool(line.get("return_to_supplier")),
                )
            )
        else:
            asked.append(
                cn_rules.AmountBack(
                    label=line.get("label") or "",
                    amount_excl_vat=line.get("amount_excl_vat") or ZERO,
                    vat_rate=line["vat_rate"],
                    kind=line.get("kind") or None,
                )
            )
    return asked


def credited_before(invoice: Invoice) -> cn_rules.Credited:
    """What the invoice's credit notes took so far (three queries)."""
    units: dict[int, int] = defaultdict(int)
    amounts: dict[tuple[str, Decimal], Decimal] = defaultdict(lambda: ZERO)
    for line_id, kind, rate, quantity, amount in CreditNoteLine.objects.filter(
        credit_note__invoice=invoice
    ).values_list("invoice_line_id", "kind", "vat_rate", "quantity", "amount"):
        if line_id is not None:
            units[line_id] += quantity
        amounts[(kind, rate)] += amount
    total = CreditNote.objects.filter(invoice=invoice).aggregate(t=Sum("total_incl_vat"))["t"]
    vat = dict(
        CreditNoteVat.objects.filter(credit_note__invoice=invoice)
        .order_by()
        .values("rate")
        .annotate(amount=Sum("amount"))
        .values_list("rate", "amount")
    )
    return cn_rules.Credited(dict(units), dict(amounts), total or ZERO, vat)


def credit_note_date_check(*, invoice: Invoice, issued_on: dt.date) -> None:
    """A business date of the shop (shops.dates), not before its invoice, not in the
    future: 400 on `issued_on`. A closed month or fiscal year is the posting's own
    refusal (409, accounting.services.entries_post)."""
    business_date_check(
        on=issued_on,
        shop=invoice.shop,
        field="issued_on",
        not_before=(invoice.issued_on, "émission de la facture"),
    )


def _lock_invoice(invoice_id: int) -> Invoice:
    """The invoice, locked with its shop (settlement's lock order: shop, then invoice)."""
    invoices = invoices_for_update([invoice_id])
    if not invoices:
        raise InvalidInput({"invoice": [f"Facture {invoice_id} inconnue."]})
    return invoices[0]


def credit_note_issue(
    *, invoice_id: int, reason: str, lines: list[dict], issued_on=None, user=None
) -> CreditNote:
    """Issue a credit note on invoice `invoice_id` (module doc). `lines`: dicts of the
    API's shape (`_asked`). `issued_on`: default today (Paris). Raises InvalidInput (400
    naming the field) and writes nothing when it asks more than remains."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": ["Indiquez le motif de l'avoir."]})
    if len(reason) > REASON_MAX:
        raise InvalidInput({"reason": [f"{REASON_MAX} caractères au plus."]})
    if not lines:
        raise InvalidInput({"lines": ["Un avoir compte au moins une ligne."]})
    issued_on = issued_on or paris_today()
    with transaction.atomic():
        invoice = _lock_invoice(invoice_id)
        credit_note_date_check(invoice=invoice, issued_on=issued_on)
        invoice_lines = list(invoice.lines.select_related("product"))
        draft = cn_rules.credit_note_draft(
            invoice_lines=[
                cn_rules.InvoicedLine(
                    id=line.pk,
                    kind=line.kind,
                    label=line.label,
                    product=line.product_id,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    amount=line.amount,
                    vat_rate=line.vat_rate,
                )
                for line in invoice_lines
            ],
            invoice_vat={vat.rate: vat.amount for vat in invoice.vat_lines.all()},
            invoice_total_incl_vat=invoice.total_incl_vat,
            credited=credited_before(invoice),
            asked=_asked(lines),
        )
        applied = cn_rules.credit_applied(
            total_incl_vat=draft.total_incl_vat, amount_due=invoice.amount_due
        )
        credit_note = _credit_note_create(
            invoice=invoice,
            draft=draft,
            reason=reason,
            issued_on=issued_on,
            applied=applied,
            user=user,
            products={line.product_id: line.product for line in invoice_lines if line.product_id},
        )
        # Issue 15: the credit note goes to the e-invoicing platform once this commits.
        einvoices_deposit_on_commit(credit_notes=[credit_note])
        # Its PDF and XML stored as issued once this commits (docs/documents.md).
        documents_store_on_commit(credit_notes=[credit_note])
        line = postings.credit_note_post(credit_note=credit_note_to_post(credit_note, draft.lines))
        stock_returns_record(
            returns=[
                ReturnOut(
                    shop_id=invoice.shop_id,
                    product_id=row.product_id,
                    quantity=row.quantity,
                    source=f"credit-note-line:{row.pk}",
                    occurred_at=end_of_day(issued_on),
                    note=f"Avoir {credit_note.number}",
                    user_id=getattr(user, "pk", None),
                )
                for row in credit_note.lines.all()
                if row.product_id and row.quantity
            ]
        )
        if applied:
            invoice_settle(
                invoice=invoice,
                kind=InvoiceSettlement.Kind.CREDIT_NOTE,
                amount=applied,
                date=issued_on,
                line=line,
                credit_note=credit_note,
            )
        if applied < credit_note.total_incl_vat:
            # The rest went to the shop's credit (419100): it pays its other open invoices.
            shop_credit_use(shop=invoice.shop, date=issued_on)
    return credit_note


def _credit_note_create(
    *,
    invoice: Invoice,
    draft: cn_rules.CreditNoteDraft,
    reason,
    issued_on,
    applied,
    user,
    products,
) -> CreditNote:
    """The credit note of `draft`, numbered in its year's series. Its e-invoice is built
    with a provisional number and validated (purchasing.facturx) before the counter row is
    locked: one that would not validate raises FacturXInvalid naming the rules and nothing
    is written (docs/e-invoicing.md). `products`: the invoice's products by id."""
    year = issued_on.year
    credit_note = CreditNote(
        number=credit_note_number(year, 0),
        year=year,
        invoice=invoice,
        shop=invoice.shop,
        issued_on=issued_on,
        reason=reason,
        total_excl_vat=draft.total_excl_vat,
        total_vat=draft.total_vat,
        total_incl_vat=draft.total_incl_vat,
        applied=applied,
        created_by=user if getattr(user, "pk", None) else None,
    )
    lines = [
        CreditNoteLine(
            credit_note=credit_note,
            position=position,
            invoice_line_id=line.invoice_line,
            kind=line.kind,
            label=line.label,
            product=products.get(line.product) if line.product else None,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
            vat_rate=line.vat_rate,
            return_to_supplier=line.return_to_supplier,
        )
        for position, line in enumerate(draft.lines, start=1)
    ]
    vat_lines = [
        CreditNoteVat(credit_note=credit_note, rate=rate, base=base, amount=tax)
        for rate, base, tax in draft.vat
    ]
    cii_check(
        cii_xml(
            credit_note_document(credit_note, invoice=invoice, lines=lines, vat_lines=vat_lines)
        ),
        document="L'avoir",
    )
    # The year's counter row may not exist yet: insert it without conflict, then lock it:
    # a rolled-back credit note rolls its number back too (no gap).
    CreditNoteSequence.objects.bulk_create([CreditNoteSequence(year=year)], ignore_conflicts=True)
    sequence = CreditNoteSequence.objects.select_for_update().get(year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    credit_note.sequence = sequence.last_number
    credit_note.number = credit_note_number(year, sequence.last_number)
    credit_note.save(force_insert=True)
    CreditNoteLine.objects.bulk_create(lines)
    CreditNoteVat.objects.bulk_create(vat_lines)
    return credit_note


def credit_note_number(year: int, sequence: int) -> str:
    return f"MACHE-AV-{year}-{sequence:06d}"


def credit_note_to_post(credit_note: CreditNote, lines) -> CreditNoteToPost:
    """A credit note as accounting posts it. `lines`: its lines (`.kind`, `.vat_rate`,
    `.amount`)."""
    by_kind = {kind: defaultdict(lambda: ZERO) for kind in InvoiceLine.Kind.values}
    for line in lines:
        by_kind[line.kind][line.vat_rate] += line.amount
    return CreditNoteToPost(
        number=credit_note.number,
        date=credit_note.issued_on,
        shop_id=credit_note.shop_id,
        shop_name=credit_note.shop.name,
        total_incl_vat=credit_note.total_incl_vat,
        applied=credit_note.applied,
        goods=dict(by_kind[InvoiceLine.Kind.GOODS]),
        shipping=dict(by_kind[InvoiceLine.Kind.SHIPPING]),
        fee=dict(by_kind[InvoiceLine.Kind.FEE]),
        vat={vat.rate: vat.amount for vat in credit_note.vat_lines.all()},
    )
