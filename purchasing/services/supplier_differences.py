"""What a supplier billed more or less than the shops were invoiced for, back to the
shops (docs/supplier-differences.md): called by the approval of a supplier invoice.

Per product and on the shipping, the difference is shared over the shops by the
allocation rule (purchasing.difference_rules); each shop then gets at most one credit
note on its round invoice (what was billed less) and at most one supplementary invoice
(what was billed more), issued, numbered, validated and posted like the documents they
sit beside: the credit note by `credit_note_issue`, the supplementary invoice by the
receipt's `invoices_issue`.
"""

import datetime as dt
from collections import defaultdict
from contextlib import contextmanager
from decimal import Decimal

from django.db import transaction

from accounting import postings
from catalogue.models import Product
from mache.errors import BusinessRuleError, InvalidInput
from mache.formats import format_rate
from mache.money import ZERO
from shops.dates import business_date_check
from shops.models import Cooperative, Shop

from .. import difference_rules, rules
from ..models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, SupplierOrder
from .credit_notes import REASON_MAX, credit_note_issue
from .einvoicing import einvoices_deposit_on_commit
from .invoicing import invoices_issue, invoices_to_post
from .lifecycle import supplier_order_lock
from .settlement import shop_credit_use, shops_with_credit


class SupplierDifferencesRefused(BusinessRuleError):
    """A credit note or a supplementary invoice of the differences could not be issued:
    the approval is refused (409), the detail names the shop, its invoice and why."""

    code = "supplier_differences_refused"
    default_detail = "Les écarts de facturation ne peuvent pas être répercutés aux commerces."


def _why(exc: InvalidInput | BusinessRuleError) -> str:
    """The French messages of `exc`, on one line."""
    if isinstance(exc, BusinessRuleError):
        return str(exc.detail)

    def flat(messages):
        if isinstance(messages, dict):
            for value in messages.values():
                yield from flat(value)
        elif isinstance(messages, list | tuple):
            for value in messages:
                yield from flat(value)
        elif messages:
            yield str(messages)

    return " ".join(flat(exc.errors))


@contextmanager
def _refused_for(invoices: list[Invoice], what: str):
    """Turn a refusal of issuing `what` (an avoir, a supplementary invoice) on `invoices`
    (the round invoices of the shops concerned) into SupplierDifferencesRefused naming
    them: a 400 on fields the approval does not take would say nothing
    (docs/supplier-differences.md)."""
    try:
        yield
    except (InvalidInput, BusinessRuleError) as exc:
        names = ", ".join(f"{invoice.shop.name} (facture {invoice.number})" for invoice in invoices)
        raise SupplierDifferencesRefused(
            f"Impossible d'émettre {what} pour {names} : {_why(exc)}",
            shops=[invoice.shop_id for invoice in invoices],
            cause=getattr(exc, "code", "invalid"),
        ) from exc


class DifferencesNotReceived(BusinessRuleError):
    code = "not_received"
    default_detail = (
        "Cette commande fournisseur n'est pas encore réceptionnée : ses écarts de facturation "
        "ne peuvent pas être répercutés aux commerces."
    )


def supplier_differences_settle(
    *,
    supplier_order: SupplierOrder,
    deltas: dict[int | None, Decimal],
    issued_on: dt.date,
    reason: str,
    user=None,
) -> tuple[list[CreditNote], list[Invoice]]:
    """Share `deltas` ({product id: amount billed minus expected excl. VAT, None: the
    shipping}) over the shops of `supplier_order`'s round invoices and issue, per shop,
    one credit note (the negative shares) and one supplementary invoice (the positive
    ones), dated `issued_on`; `reason`: the credit notes' motive (names the supplier
    invoice). Returns (credit notes, supplementary invoices), shops in order.

    Once only: the supplier order's row is locked, and a supplier order whose
    differences were settled (a supplementary invoice of it, or a credit note of
    `reason` on one of its invoices) returns what was issued then, issuing nothing.
    Call inside the approval's transaction (the caller holds the supplier invoice's
    lock): the documents and their entries are written with the approval, or none.
    """
    # The credit notes' motive, cut to their field: a long supplier name or invoice
    # number never refuses the approval.
    reason = (reason or "").strip()[:REASON_MAX].strip()
    with transaction.atomic():
        supplier_order = supplier_order_lock(supplier_order.pk)
        if supplier_order.status != SupplierOrder.Status.RECEIVED:
            raise DifferencesNotReceived()
        done = _settled(supplier_order, reason)
        if done is not None:
            return done
        round_invoices = list(
            Invoice.objects.filter(supplier_order=supplier_order, supplements__isnull=True)
            .select_related("shop", "round")
            .prefetch_related("lines__product")
            .order_by("sequence")
        )
        credited = _credited(round_invoices)
        products = {
            line.product_id: line.product
            for invoice in round_invoices
            for line in invoice.lines.all()
            if line.product_id
        }
        # A product billed that no shop was invoiced (not received): its VAT rate.
        unknown = [pk for pk in deltas if pk is not None and pk not in products]
        products.update(Product.objects.in_bulk(unknown))
        differences = difference_rules.shop_differences(
            deltas={pk: delta for pk, delta in deltas.items() if delta},
            shops=[_invoiced(invoice, credited.get(invoice.pk, [])) for invoice in round_invoices],
            vat_rates={pk: product.vat_rate for pk, product in products.items()},
        )
        by_shop = {invoice.shop_id: invoice for invoice in round_invoices}
        supplier_name = supplier_order.round.supplier.name
        credit_notes = []
        for difference in differences:
            if not difference.credits:
                continue
            with _refused_for([by_shop[difference.shop]], "l'avoir"):
                credit_notes.append(
                    credit_note_issue(
                        invoice_id=by_shop[difference.shop].pk,
                        reason=reason,
                        lines=[
                            _credit_line(share, products, supplier_name)
                            for share in difference.credits
                        ],
                        issued_on=issued_on,
                        user=user,
                    )
                )
        charged = [difference for difference in differences if difference.charges]
        for difference in charged:
            with _refused_for([by_shop[difference.shop]], "la facture complémentaire"):
                business_date_check(
                    on=issued_on,
                    shop=by_shop[difference.shop].shop,
                    field="issued_on",
                    not_before=(by_shop[difference.shop].issued_on, "émission de la facture"),
                )
        with _refused_for([by_shop[d.shop] for d in charged], "les factures complémentaires"):
            invoices = invoices_issue(
                supplier_order=supplier_order,
                drafts=[_supplement_draft(d, products, supplier_name) for d in charged],
                coop=Cooperative.current(),
                issued_on=issued_on,
                products=products,
                supplements={d.shop: by_shop[d.shop] for d in charged},
            )
        if invoices:
            # Deposited to the platform and posted in both books like a round's invoice
            # (docs/supplier-differences.md); a shop's credit pays it at once.
            einvoices_deposit_on_commit(invoices=invoices)
            postings.invoices_post(invoices=invoices_to_post(invoices))
            for shop_id in shops_with_credit({invoice.shop_id for invoice in invoices}):
                shop_credit_use(shop=Shop.objects.get(pk=shop_id), date=issued_on)
    return credit_notes, invoices


def _settled(
    supplier_order: SupplierOrder, reason: str
) -> tuple[list[CreditNote], list[Invoice]] | None:
    """What an earlier call issued for this supplier order, or None when none did."""
    invoices = list(
        Invoice.objects.filter(supplier_order=supplier_order, supplements__isnull=False).order_by(
            "sequence"
        )
    )
    credit_notes = list(
        CreditNote.objects.filter(invoice__supplier_order=supplier_order, reason=reason).order_by(
            "year", "sequence"
        )
    )
    if not invoices and not credit_notes:
        return None
    return credit_notes, invoices


def _credited(invoices: list[Invoice]) -> dict[int, list[CreditNoteLine]]:
    """The lines of the credit notes already issued on `invoices`, by invoice (one query)."""
    found: dict[int, list[CreditNoteLine]] = defaultdict(list)
    for line in CreditNoteLine.objects.filter(
        credit_note__invoice__in=[invoice.pk for invoice in invoices]
    ).select_related("credit_note"):
        found[line.credit_note.invoice_id].append(line)
    return found


def _invoiced(invoice: Invoice, credited: list[CreditNoteLine]) -> difference_rules.ShopInvoiced:
    """What the shop was invoiced, what it sent back to the supplier and what remains to
    credit on its invoice (docs/supplier-differences.md, "Returns and earlier credit
    notes")."""
    goods, shipping = {}, {}
    left: dict[tuple[str, Decimal], Decimal] = defaultdict(lambda: ZERO)
    goods_left: dict[int, Decimal] = defaultdict(lambda: ZERO)
    returned: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line in invoice.lines.all():
        left[(line.kind, line.vat_rate)] += line.amount
        if line.kind == InvoiceLine.Kind.GOODS and line.product_id:
            amount, _ = goods.get(line.product_id, (ZERO, None))
            goods[line.product_id] = (amount + line.amount, line.vat_rate)
            goods_left[line.product_id] += line.amount
        elif line.kind == InvoiceLine.Kind.SHIPPING:
            shipping[line.vat_rate] = shipping.get(line.vat_rate, ZERO) + line.amount
    for line in credited:
        left[(line.kind, line.vat_rate)] -= line.amount
        if line.product_id:
            goods_left[line.product_id] -= line.amount
            if line.return_to_supplier:
                returned[line.product_id] += line.amount
    return difference_rules.ShopInvoiced(
        shop=invoice.shop_id,
        goods=goods,
        shipping=shipping,
        returned=dict(returned),
        left=dict(left),
        goods_left=dict(goods_left),
    )


def _label(share: difference_rules.Share, products) -> str:
    if share.product is None:
        return f"port (TVA {format_rate(share.vat_rate)})"
    return products[share.product].name


LABEL_MAX = 200  # InvoiceLine.label, CreditNoteLine.label


def _cut(label: str) -> str:
    """A line's label within its field (a supplier's name may take 200 characters)."""
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"


def _credit_line(share, products, supplier_name: str) -> dict:
    """An amount line of the credit note, of its kind at its rate (credit_note_issue's
    API shape)."""
    return {
        "label": _cut(f"Moins facturé par {supplier_name} : {_label(share, products)}"),
        "amount_excl_vat": -share.amount,
        "vat_rate": share.vat_rate,
        "kind": InvoiceLine.Kind.GOODS if share.product else InvoiceLine.Kind.SHIPPING,
    }


def _supplement_draft(
    difference: difference_rules.ShopDifference, products, supplier_name: str
) -> rules.InvoiceDraft:
    """The supplementary invoice of a shop's positive shares: one line each, goods or
    shipping at its rate, no fee (docs/supplier-differences.md)."""
    draft = rules.InvoiceDraft(shop=difference.shop)
    for share in difference.charges:
        draft.lines.append(
            rules.InvoiceLineDraft(
                kind=InvoiceLine.Kind.GOODS if share.product else InvoiceLine.Kind.SHIPPING,
                label=_cut(f"Complément facturé par {supplier_name} : {_label(share, products)}"),
                product=share.product,
                quantity=1,
                unit_price=share.amount,
                amount=share.amount,
                vat_rate=share.vat_rate,
            )
        )
    draft.goods_excl_vat = sum(
        (line.amount for line in draft.lines if line.kind == InvoiceLine.Kind.GOODS), ZERO
    )
    draft.shipping = sum(
        (line.amount for line in draft.lines if line.kind == InvoiceLine.Kind.SHIPPING), ZERO
    )
    rules.draft_totals(draft)
    return draft
